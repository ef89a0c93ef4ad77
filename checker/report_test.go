package checker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

func TestWriteArtifacts(t *testing.T) {
	tests := []struct {
		name    string
		ops     []history.Op
		opts    Options
		says    []string
		linFile bool
	}{
		{
			name: "invalid register run", ops: readFixture(t, "with-faults-bad"), opts: DefaultOptions(), linFile: true,
			says: []string{"Faultline: INVALID", "An anomaly was found: the linearizability checker says", "key x: read by process 1",
				"The first operation that could not be linearized", `href="linearizability.html"`, `href="history.jsonl"`, `href="summary.json"`,
				"<td>partition</td>", "<svg"},
		},
		{
			name: "valid generated run", opts: DefaultOptions(), linFile: true,
			ops:  genRegisterHistory(genSpec{Seed: 9, Ops: 2000, Keys: 5, Procs: 6, Corrupt: -1, Faults: 300, InfoPct: 2, FailPct: 2}),
			says: []string{"Faultline: VALID", "Every checker passed", "latency (log scale)", "completed operations per second", "never completed"},
		},
		{
			name: "other workload has no linearizability page", ops: []history.Op{
				{Index: 0, Process: 1, Type: history.Invoke, F: "acquire"}, {Index: 1, Time: 5, Process: 1, Type: history.Ok, F: "acquire"},
			},
			opts: Options{Workload: "lock", Checkers: []Checker{fixedChecker{Unknown}}},
			says: []string{"Faultline: UNKNOWN", "The run proves nothing either way: the fixed checker could not decide", "UNKNOWN: fixed: said so", "No faults were injected."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Check(context.Background(), tt.ops, tt.opts)
			require.NoError(t, err)
			dir := t.TempDir()
			require.NoError(t, s.WriteArtifacts(context.Background(), dir))
			page, err := os.ReadFile(filepath.Join(dir, ReportFile))
			require.NoError(t, err)
			for _, want := range tt.says {
				assert.Contains(t, string(page), want)
			}
			assert.NotContains(t, string(page), "<script", "the report is self-contained and static")
			assert.NotContains(t, strings.ToLower(string(page)), "http://www.w3.org/2000/svg\" src", "no external assets")
			assert.FileExists(t, filepath.Join(dir, SummaryFile))
			if tt.linFile {
				assert.FileExists(t, filepath.Join(dir, LinearizabilityFile))
			} else {
				assert.NoFileExists(t, filepath.Join(dir, LinearizabilityFile))
				assert.NotContains(t, string(page), LinearizabilityFile)
			}
		})
	}
}

func TestReportEscapesHistoryText(t *testing.T) {
	ops := readFixture(t, "stale-read-ok")
	ops = append(ops, history.Op{Index: int64(len(ops)), Time: 1e9, Process: history.NemesisProcess, Type: history.Info, F: "<script>alert(1)</script>"})
	s, err := Check(context.Background(), ops, DefaultOptions())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), ReportFile)
	require.NoError(t, s.WriteReport(path))
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(page), "<script>alert(1)</script>")
	assert.Contains(t, string(page), "&lt;script&gt;")
}
