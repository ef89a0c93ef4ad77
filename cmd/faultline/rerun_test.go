package main

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/runner"
)

// storedRun is the part of run.json a rerun must repeat.
type storedRun struct {
	ID        string          `json:"id"`
	Format    string          `json:"format"`
	Config    json.RawMessage `json:"config"`
	Seed      int64           `json:"seed"`
	Reproduce string          `json:"reproduce"`
	Args      []string        `json:"args"`
	Repeats   string          `json:"repeats"`
}

func readStored(t *testing.T, dir string) storedRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	require.NoError(t, err)
	var r storedRun
	require.NoError(t, json.Unmarshal(b, &r))
	return r
}

// configWithout is run.json's config without the results root, which
// the rerun writes as an absolute path.
func configWithout(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "results")
	return m
}

// TestRerunRepeatsTheStoredConfiguration: `faultline rerun latest` runs
// the newest run again with exactly its stored configuration — the same
// settings (the bug and the breaker's policy included), faults and seed —
// into new runs whose run.json names the run they repeat, and prints the
// verdicts side by side; --until-fail stops at the first INVALID rerun.
func TestRerunRepeatsTheStoredConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("four short runs of the breaker")
	}
	results := t.TempDir()
	code, out, stderr := cli(t, "run", "--system", "breaker", "--bug", "no-generation", "--breaker-policy", "count-window",
		"--nemesis", "latency", "--time", "4s", "--nemesis-interval", "1s", "--seed", "5", "--results", results)
	require.Contains(t, []int{0, 1, 2}, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	origDir, err := filepath.EvalSymlinks(filepath.Join(results, "latest"))
	require.NoError(t, err)
	orig := readStored(t, origDir)
	assert.Equal(t, runner.RunFormat, orig.Format)
	assert.Contains(t, orig.Args, "--bug=no-generation")
	page, err := os.ReadFile(filepath.Join(origDir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "<code>"+html.EscapeString(orig.Reproduce)+"</code>", "the report says how to reproduce the run")
	assert.Contains(t, string(page), "faultline rerun "+orig.ID)

	code, out, stderr = cli(t, "rerun", "latest", "--results", results, "--times", "3", "--until-fail")
	require.Contains(t, []int{0, 1, 2}, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "repeating "+orig.ID+": "+orig.Reproduce)
	assert.Contains(t, out, "original  "+orig.ID)

	entries, err := os.ReadDir(results)
	require.NoError(t, err)
	var reruns []storedRun
	for _, e := range entries {
		if e.IsDir() && e.Name() != orig.ID {
			r := readStored(t, filepath.Join(results, e.Name()))
			reruns = append(reruns, r)
			assert.Equal(t, orig.ID, r.Repeats, "run.json names the run it repeats")
			assert.Equal(t, orig.Seed, r.Seed)
			assert.Equal(t, orig.Reproduce, r.Reproduce)
			assert.Equal(t, orig.Args, r.Args)
			assert.Equal(t, configWithout(t, orig.Config), configWithout(t, r.Config), "the stored configuration, exactly")
			assert.Contains(t, out, e.Name())
		}
	}
	require.NotEmpty(t, reruns)
	require.LessOrEqual(t, len(reruns), 3)
	// --until-fail: only the last rerun may be INVALID, and fewer than
	// three ran only if it was.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rows []string
	for _, l := range lines {
		if strings.HasPrefix(l, "rerun ") {
			rows = append(rows, l)
		}
	}
	require.Len(t, rows, len(reruns))
	for i, row := range rows {
		if i < len(rows)-1 {
			assert.NotContains(t, row, "INVALID", "--until-fail stops at the first INVALID rerun")
		}
	}
	if len(rows) < 3 {
		assert.Contains(t, rows[len(rows)-1], "INVALID")
		assert.Equal(t, 1, code)
	}
	assert.Regexp(t, `reproduced \d of \d+ \(the original's verdict, (VALID|INVALID|UNKNOWN), again\)`, out)
}

// TestRerunRefusesWhatItCannotRepeat: no run, a run.json of an older
// version or another tool, and a bad --times are bad input, with an error
// that says what is wrong.
func TestRerunRefusesWhatItCannotRepeat(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		d := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "run.json"), []byte(text), 0o644))
		return d
	}
	old := write("old", `{"id":"old","config":{"system":"raftkv"},"seed":3,"reproduce":"faultline run --system raftkv --seed 3"}`)
	foreign := write("foreign", `{"format":"other-tool/2","id":"x"}`)
	broken := write("broken", `{"format":`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rerun", filepath.Join(dir, "none")}, "no run at"},
		{[]string{"rerun", "latest", "--results", dir}, "no run at"},
		{[]string{"rerun", dir}, "no run.json"},
		{[]string{"rerun", old}, "older faultline"},
		{[]string{"rerun", old}, "faultline run --system raftkv --seed 3"},
		{[]string{"rerun", foreign}, `"other-tool/2"`},
		{[]string{"rerun", broken}, "not valid JSON"},
		{[]string{"rerun", old, "--times", "0"}, "--times"},
	} {
		code, _, stderr := cli(t, tc.args...)
		assert.Equal(t, 254, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}
