package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixture(t *testing.T) samples {
	t.Helper()
	f, err := os.Open("testdata/run.txt")
	require.NoError(t, err)
	defer f.Close()
	s, err := readSamples(f, "run.txt")
	require.NoError(t, err)
	return s
}

func row(t *testing.T, name string) comparison {
	t.Helper()
	for _, s := range suites() {
		for _, r := range s.Rows {
			if r.Name == name {
				return r
			}
		}
	}
	t.Fatalf("no comparison %q", name)
	return comparison{}
}

// TestRatiosSayHowMuchBetterOursIs: a throughput's ratio is ours/peer, a
// time's peer/ours, each of the medians, with the spread of the runs
// paired in order; a row without figures says which are missing.
func TestRatiosSayHowMuchBetterOursIs(t *testing.T) {
	rs := compare(fixture(t), []comparison{
		row(t, "raftkv write, 16 clients, vs hashicorp/raft"),
		row(t, "breaker Success vs gobreaker"),
		row(t, "check of 200k ops vs porcupine (CPU time)"),
		row(t, "raftkv read, 64 clients, vs hashicorp/raft"),
	})
	require.Len(t, rs, 4)

	w := rs[0]
	assert.Equal(t, 2700.0, w.Ours)
	assert.Equal(t, 1000.0, w.Peer)
	assert.InDelta(t, 2.7, w.Ratio, 1e-9)
	assert.InDelta(t, 2.7, w.Lo, 1e-9) // 2700/1000, 3000/1000, 2400/800
	assert.InDelta(t, 3.0, w.Hi, 1e-9)
	assert.Equal(t, 3, w.Runs)

	b := rs[1] // 45 ns against 100 ns: ours is 2.2× faster
	assert.InDelta(t, 100.0/45, b.Ratio, 1e-9)
	assert.InDelta(t, 2.0, b.Lo, 1e-9)
	assert.InDelta(t, 2.5, b.Hi, 1e-9)

	c := rs[2] // 1.5 s of CPU against 0.5 s: a third as fast
	assert.InDelta(t, 1.0/3, c.Ratio, 1e-9)

	assert.Contains(t, rs[3].Missing, "BenchmarkClusterFaultline/read/clients=64")

	var out bytes.Buffer
	printRatios(&out, rs)
	assert.Contains(t, out.String(), "2.70×")
	assert.Contains(t, out.String(), "2.70×–3.00×")
	assert.Contains(t, out.String(), "45.0 ns")
}

// TestRegressionsAreFlaggedFromABaseline: a ratio 20% or more below the
// baseline's is flagged, one less worse is not; -save and -baseline round
// trip through a file, and -from reads stored output.
func TestRegressionsAreFlaggedFromABaseline(t *testing.T) {
	rs := compare(fixture(t), []comparison{row(t, "raftkv write, 16 clients, vs hashicorp/raft"), row(t, "breaker Success vs gobreaker")})
	regs := regressions(rs, baseline{"raftkv write, 16 clients, vs hashicorp/raft": 3.5, "breaker Success vs gobreaker": 2.5})
	require.Len(t, regs, 1, "2.7 against 3.5 is 23%% worse; 2.22 against 2.5 is 11%%")
	assert.Contains(t, regs[0], "raftkv write, 16 clients")

	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-from", "testdata/run.txt", "-only", "raftkv write|breaker Success vs|check", "-save", base}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	saved, err := loadBaseline(base)
	require.NoError(t, err)
	assert.InDelta(t, 2.7, saved["raftkv write, 16 clients, vs hashicorp/raft"], 1e-9)

	saved["raftkv write, 16 clients, vs hashicorp/raft"] = 4
	require.NoError(t, os.WriteFile(base, []byte(`{"raftkv write, 16 clients, vs hashicorp/raft": 4}`), 0o644))
	out.Reset()
	code = run(context.Background(), []string{"-from", "testdata/run.txt", "-baseline", base}, &out, &errOut)
	require.Equal(t, 0, code, "a regression is printed, never a failure")
	assert.Contains(t, out.String(), "REGRESSION raftkv write, 16 clients, vs hashicorp/raft: 2.70× against 4.00×")

	assert.Equal(t, 2, run(context.Background(), []string{"-only", "nothing-matches"}, &out, &errOut))
	assert.Equal(t, 2, run(context.Background(), []string{"-baseline", filepath.Join(dir, "missing.json")}, &out, &errOut))
}
