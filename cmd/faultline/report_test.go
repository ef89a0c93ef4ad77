package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
)

// TestReportRegeneratesEveryPage: report rewrites summary.json and the
// pages of a stored run from its history, says the verdict, and says when
// it is not the one summary.json held; its exit code is not the verdict's.
func TestReportRegeneratesEveryPage(t *testing.T) {
	results := t.TempDir()
	dir := registerRun(t, results, "20261201T000000Z-raftkv-register-seed1", true)
	require.NoError(t, os.Symlink(filepath.Base(dir), filepath.Join(results, "latest")))

	code, out, stderr := cli(t, "report", "--results", results, "latest")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Contains(t, out, "INVALID: linearizability: key 3")
	assert.NotContains(t, out, "the verdict changed", "there was no summary.json before")
	for _, f := range []string{checker.SummaryFile, checker.ReportFile, checker.LinearizabilityFile} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	assert.Contains(t, out, filepath.Join(dir, checker.ReportFile))

	// A summary.json that says otherwise (an older checker's) is rewritten,
	// and the change is said.
	require.NoError(t, os.WriteFile(filepath.Join(dir, checker.SummaryFile), []byte(`{"valid":true}`), 0o644))
	code, out, stderr = cli(t, "report", dir)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Contains(t, out, "the verdict changed: summary.json said valid")
	b, err := os.ReadFile(filepath.Join(dir, checker.SummaryFile))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"valid": false`)
}

func TestReportBadInputExits254(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "history.jsonl")
	require.NoError(t, os.WriteFile(file, []byte{}, 0o644))
	empty := filepath.Join(root, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"a history file": {[]string{"report", file}, "is not a directory"},
		"no history":     {[]string{"report", empty}, "history.jsonl"},
		"no run":         {[]string{"report", filepath.Join(root, "nope")}, "no run at"},
		"no argument":    {[]string{"report"}, "expected one run directory"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := cli(t, tc.args...)
			assert.Equal(t, 254, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}
