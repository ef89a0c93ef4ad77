package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/etcd"
	"github.com/faultline/faultline/systems/redislock"
)

// needServer skips a test that needs bin on PATH, or fails it when env=1.
func needServer(t *testing.T, bin, env, install string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv(env) == "1" {
			t.Fatalf("%s is not on PATH and %s=1", bin, env)
		}
		t.Skipf("needs %s on PATH (%s)", bin, install)
	}
}

// TestDetectCatchesEveryBug is the detection campaign's short version,
// run on every change: every bug of every catalog under the faults that
// expose it, three seeds each, and the correct systems (the Raft KV, etcd,
// the breaker, the fenced lock) under the same faults, one seed each (the
// ten-seed campaign of BENCHMARKS.md runs them all). It fails if a bug
// is missed in every seed or a correct system is called invalid: a
// harness that stops catching a bug, or starts crying wolf, does not land.
func TestDetectCatchesEveryBug(t *testing.T) {
	if testing.Short() {
		t.Skip("a detection campaign of several minutes")
	}
	needServer(t, "redis-server", redislock.EnvRequireRedis, "apt-get install redis-server")
	needServer(t, "etcd", etcd.EnvRequireEtcd, "apt-get install etcd-server")
	results := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(faultlineBin, "detect", "--seeds", "3", "--control-seeds", "1", "--parallel", "2", "--bar", "0", "--results", results)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	code := exitCode(t, cmd, 20*time.Minute)
	t.Log(out.String())

	dirs, err := filepath.Glob(filepath.Join(results, "detect-*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1, "one campaign directory")
	b, err := os.ReadFile(filepath.Join(dirs[0], "detect.json"))
	require.NoError(t, err)
	var rep runner.DetectReport
	require.NoError(t, json.Unmarshal(b, &rep))
	require.NotEmpty(t, rep.Bugs)
	for _, bug := range rep.Bugs {
		assert.Len(t, bug.Runs, 3, "%s ran once per seed", bug.Name())
		assert.Positive(t, bug.Caught, "%s was missed in every seed", bug.Name())
	}
	for _, c := range rep.Controls {
		assert.Zero(t, c.FalseAlarms, "false alarm: the correct %s was called invalid", c.Name())
		assert.Positive(t, c.Valid, "the correct %s was never found valid: the control proves nothing", c.Name())
	}
	assert.Equal(t, 0, code, "with --bar 0 the campaign fails only on a false alarm")
	md, err := os.ReadFile(filepath.Join(dirs[0], "detect.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| bug | faults | caught |")
}

func TestDetectRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"detect", "--seeds", "0"},
		{"detect", "--bug", "no-such-bug"},
		{"detect", "--parallel", "0"},
		{"detect", "--bar", "2"},
		{"detect", "--control-seeds", "-1"},
	} {
		code, _, stderr := cli(t, append(args, "--results", t.TempDir())...)
		assert.Equal(t, runner.ExitBadInput, code, "%v: %s", args, stderr)
	}
	_, _, stderr := cli(t, "detect", "--bug", "no-such-bug", "--results", t.TempDir())
	assert.Contains(t, stderr, "faultline list", "the error says where the bugs are listed")
}
