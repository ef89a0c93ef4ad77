package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cli runs the CLI in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestBadInputExits254WithAClearError(t *testing.T) {
	dir := t.TempDir()
	aFile := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(aFile, []byte("x"), 0o644))
	badHistory := filepath.Join(dir, "bad-run")
	require.NoError(t, os.MkdirAll(badHistory, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(badHistory, "history.jsonl"), []byte(
		`{"index":0,"time":1,"process":0,"type":"invoke","f":"read","key":"1","value":null}`+"\n"+
			`{"index":1,"time":2,"process":0,"type":"ok","f":"read","key":"1",`+"\n"+
			`{"index":2,"time":3,"process":1,"type":"invoke","f":"read","key":"1","value":null}`+"\n"), 0o644))
	results := filepath.Join(dir, "results")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", []string{"run", "--frobnicate"}, "unknown flag"},
		{"unknown system", []string{"run", "--system", "mongo", "--results", results}, "valid systems:"},
		{"unknown workload", []string{"run", "--workload", "bank", "--results", results}, "valid workloads: register"},
		{"unknown fault", []string{"run", "--nemesis", "meteor", "--results", results}, "valid faults:"},
		{"malformed duration", []string{"run", "--time", "ten seconds", "--results", results}, "invalid argument"},
		{"zero concurrency", []string{"run", "--concurrency", "0", "--results", results}, "concurrency must be at least 1"},
		{"unreachable toxiproxy", []string{"run", "--toxiproxy", "http://127.0.0.1:1", "--results", results}, "not reachable"},
		{"unwritable results", []string{"run", "--results", filepath.Join(aFile, "sub")}, "name a writable"},
		{"check of a missing dir", []string{"check", filepath.Join(dir, "nope")}, "not a run directory"},
		{"check of a malformed history", []string{"check", badHistory}, "line 2"},
		{"check with no dir", []string{"check"}, "expected one run directory or history file"},
		{"heal without a url", []string{"heal"}, "--toxiproxy URL is required"},
		{"jitter above latency", []string{"run", "--latency-max", "50ms", "--latency-min", "10ms", "--jitter", "80ms", "--results", results}, "jitter"},
		{"negative interval", []string{"run", "--nemesis-interval", "-1s", "--results", results}, "nemesis_interval must be positive"},
		{"unknown topology", []string{"run", "--topologies", "donut", "--results", results}, "donut"},
		{"pause on a system without processes", []string{"run", "--system", "breaker", "--nemesis", "pause", "--results", results}, "valid faults"},
		{"a lease of 0", []string{"run", "--system", "redislock", "--lease", "0s", "--results", results}, "lease must be at least 1ms"},
		{"a hold longer than the run", []string{"run", "--system", "redislock", "--hold", "2m", "--time", "1m", "--results", results}, "is not shorter than the run"},
		{"unreachable redis", []string{"run", "--system", "redislock", "--redis", "127.0.0.1:1", "--nemesis", "latency", "--results", results}, "redis is unreachable"},
		{"unknown lock", []string{"run", "--system", "redislock", "--lock", "chubby", "--results", results}, "valid locks: naive, fenced"},
		{"a flag of another system", []string{"run", "--lease", "1s", "--results", results}, "--lease is not a flag of --system raftkv"},
		{"a system flag's bad value", []string{"run", "--keys", "many", "--results", results}, "--keys \"many\""},
		{"bad breaker switch", []string{"run", "--system", "breaker", "--breaker", "maybe", "--results", results}, "breaker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, tc.args...)
			assert.Equal(t, 254, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
	entries, _ := os.ReadDir(results)
	for _, e := range entries {
		assert.False(t, e.IsDir(), "bad input left a run directory behind: %s", e.Name())
	}
}

func TestRunHelpGroupsTheFlagsOfEachSystem(t *testing.T) {
	code, out, _ := cli(t, "run", "--help")
	require.Equal(t, 0, code)
	for _, want := range []string{"--nemesis string", "Flags of --system raftkv:", "--keys int", "Flags of --system redislock:", "--lease duration",
		"Flags of --system breaker:", "--half-open-trials int"} {
		assert.Contains(t, out, want)
	}
	assert.Less(t, strings.Index(out, "Flags of --system breaker:"), strings.Index(out, "--half-open-trials"), "a system's flags are under its heading")
}

func TestListNamesEverySystem(t *testing.T) {
	code, out, _ := cli(t, "list")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "system raftkv")
	assert.Contains(t, out, "register")
	assert.Contains(t, out, "partition")
}
