package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// registerRun is a stored raftkv register run whose key 3 has a stale
// read — the read by process 4 returns 5 after 7 overwrote it — among
// operations on other keys that are fine.
func registerRun(t *testing.T, results, id string, stale bool) string {
	t.Helper()
	readValue := 7
	if stale {
		readValue = 5
	}
	lines := []string{
		`{"time":100000000,"process":1,"type":"invoke","f":"write","key":"3","value":5}`,
		`{"time":150000000,"process":2,"type":"invoke","f":"write","key":"1","value":1}`,
		`{"time":200000000,"process":1,"type":"ok","f":"write","key":"3","value":5,"node":"n1"}`,
		`{"time":210000000,"process":2,"type":"ok","f":"write","key":"1","value":1,"node":"n2"}`,
		`{"time":250000000,"process":-1,"type":"info","f":"partition","value":{"id":1,"groups":[["n1"],["n2","n3"]]}}`,
		`{"time":300000000,"process":1,"type":"invoke","f":"write","key":"3","value":7}`,
		`{"time":320000000,"process":3,"type":"invoke","f":"read","key":"1","value":null}`,
		`{"time":330000000,"process":3,"type":"ok","f":"read","key":"1","value":1,"node":"n3"}`,
		`{"time":400000000,"process":1,"type":"ok","f":"write","key":"3","value":7,"node":"n1"}`,
		`{"time":450000000,"process":3,"type":"invoke","f":"read","key":"3","value":null}`,
		`{"time":460000000,"process":3,"type":"ok","f":"read","key":"3","value":7,"node":"n1"}`,
		`{"time":500000000,"process":4,"type":"invoke","f":"read","key":"3","value":null}`,
		fmt.Sprintf(`{"time":600000000,"process":4,"type":"ok","f":"read","key":"3","value":%d,"node":"n2"}`, readValue),
		`{"time":650000000,"process":2,"type":"invoke","f":"cas","key":"1","value":[1,2]}`,
		`{"time":700000000,"process":2,"type":"fail","f":"cas","key":"1","value":[1,2],"error":"not leader","node":"n2"}`,
		`{"time":800000000,"process":-1,"type":"info","f":"heal","value":{"id":1}}`,
	}
	dir := filepath.Join(results, id)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, `{"index":%d,%s`+"\n", i, strings.TrimPrefix(l, "{"))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "history.jsonl"), []byte(b.String()), 0o644))
	writeRunJSON(t, dir, "raftkv", "register")
	return dir
}

func writeRunJSON(t *testing.T, dir, system, workload string) {
	t.Helper()
	meta := fmt.Sprintf(`{"id":%q,"status":"complete","config":{"system":%q,"workload":%q,"nemesis":["partition"]},"seed":1}`,
		filepath.Base(dir), system, workload)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "run.json"), []byte(meta), 0o644))
}

// TestShrinkWritesAnInvalidCheckableHistory: shrink of an invalid run
// exits 1, says why in a sentence, and leaves a shrunk.jsonl that the
// history reader reads and `faultline check` finds INVALID, with only the
// stale read and the two writes that prove it.
func TestShrinkWritesAnInvalidCheckableHistory(t *testing.T) {
	results := t.TempDir()
	dir := registerRun(t, results, "20261201T000000Z-raftkv-register-seed1", true)
	require.NoError(t, os.Symlink(filepath.Base(dir), filepath.Join(results, "latest")))

	code, out, stderr := cli(t, "shrink", "--results", results, "latest")
	require.Equal(t, 1, code, "stderr: %s", stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "key 3: the read by process 4 on n2 (from 500ms to 600ms) returned 5, but the write of 7 by process 1 on n1 had completed at 400ms, before it began, and that write had itself begun after the write of 5 by process 1 on n1 completed at 200ms", lines[0])
	assert.Contains(t, lines[1], "key 3: 4 operations shrunk to 3 in ")
	assert.Contains(t, lines[1], "; 1-minimal)")

	h, err := history.ReadFile(filepath.Join(dir, checker.ShrunkHistoryFile))
	require.NoError(t, err)
	var got []string
	for _, op := range h.Ops {
		assert.Equal(t, "3", op.Key)
		got = append(got, fmt.Sprintf("%d %s %s %s", op.Process, op.Type, op.F, op.Value))
	}
	assert.Equal(t, []string{
		"1 invoke write 5", "1 ok write 5", "1 invoke write 7", "1 ok write 7", "4 invoke read ", "4 ok read 5", // a null value is read back as nil
	}, got)

	var doc struct {
		Before      int     `json:"ops_before"`
		After       int     `json:"ops_after"`
		Minimal     bool    `json:"minimal"`
		Seconds     float64 `json:"elapsed_seconds"`
		Explanation string  `json:"explanation"`
		Original    []int64 `json:"original_indexes"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, checker.ShrunkFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, 4, doc.Before)
	assert.Equal(t, 3, doc.After)
	assert.True(t, doc.Minimal)
	assert.Equal(t, lines[0], doc.Explanation)
	assert.Equal(t, []int64{0, 2, 5, 8, 11, 12}, doc.Original)
	assert.Contains(t, out, filepath.Join(dir, checker.ReportFile)+" (with the shrunk operations)")
	report, err := os.ReadFile(filepath.Join(dir, checker.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(report), "Shrunk: the few operations", "shrink rewrites report.html to show them")
	svg, err := os.ReadFile(filepath.Join(dir, checker.ShrunkSVGFile))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "read → 5")

	code, out, stderr = cli(t, "check", filepath.Join(dir, checker.ShrunkHistoryFile))
	assert.Equal(t, 1, code, "stderr: %s", stderr)
	assert.Contains(t, out, "INVALID")
}

// TestShrinkRefusesAValidRun: nothing to shrink, exit 2.
func TestShrinkRefusesAValidRun(t *testing.T) {
	dir := registerRun(t, t.TempDir(), "20261201T000000Z-raftkv-register-seed2", false)
	code, out, stderr := cli(t, "shrink", dir)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "nothing to shrink")
	assert.Contains(t, stderr, "all 2 keys are linearizable")
	assert.NoFileExists(t, filepath.Join(dir, checker.ShrunkHistoryFile))
}

// TestShrinkBadInputExits254: a run of another workload, a directory with
// no history, a malformed history, a bad flag.
func TestShrinkBadInputExits254(t *testing.T) {
	root := t.TempDir()
	lock := filepath.Join(root, "lock-run")
	require.NoError(t, os.MkdirAll(lock, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(lock, "history.jsonl"), []byte(
		`{"index":0,"time":1,"process":0,"type":"invoke","f":"acquire","key":"l","value":null}`+"\n"+
			`{"index":1,"time":2,"process":0,"type":"ok","f":"acquire","key":"l","value":null}`+"\n"), 0o644))
	lockWithoutMeta := filepath.Join(root, "lock-history")
	require.NoError(t, os.MkdirAll(lockWithoutMeta, 0o755))
	raw, err := os.ReadFile(filepath.Join(lock, "history.jsonl"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(lockWithoutMeta, "history.jsonl"), raw, 0o644))
	writeRunJSON(t, lock, "redislock", "lock")
	empty := filepath.Join(root, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	malformed := filepath.Join(root, "malformed")
	require.NoError(t, os.MkdirAll(malformed, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(malformed, "history.jsonl"), []byte(
		`{"index":0,"time":1,"process":0,"type":"invoke","f":"read","key":"1","value":null}`+"\n"+
			`{"index":5,"time":2,"process":0,"type":"ok","f":"read","key":"1","value":null}`+"\n"), 0o644))
	valid := registerRun(t, root, "valid", false)

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a lock run", []string{"shrink", lock}, "is a run of the lock workload (system redislock); shrink needs a register run"},
		{"a lock history without run.json", []string{"shrink", lockWithoutMeta}, "is not a register operation"},
		{"no history", []string{"shrink", empty}, "has no history.jsonl"},
		{"no directory", []string{"shrink", filepath.Join(root, "nope")}, "no run at"},
		{"no latest", []string{"shrink", "--results", root, "latest"}, "no run at"},
		{"a malformed history", []string{"shrink", malformed}, "line 2"},
		{"a bad timeout", []string{"shrink", "--timeout", "soon", valid}, "--timeout \"soon\" is not a duration"},
		{"a zero timeout", []string{"shrink", "--timeout", "0s", valid}, "must be positive"},
		{"an unknown key", []string{"shrink", "--key", "99", valid}, "key \"99\" has no register operation"},
		{"no argument", []string{"shrink"}, "expected one run directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, tc.args...)
			assert.Equal(t, 254, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}
