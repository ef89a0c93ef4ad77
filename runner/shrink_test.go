package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
)

// staleReadRun writes a register run directory whose key 1 has a stale
// read (the read by process 3 returns 1 after 2 overwrote it), or, with
// stale false, the same history read correctly.
func staleReadRun(t *testing.T, stale bool) string {
	t.Helper()
	read := 2
	if stale {
		read = 1
	}
	lines := []string{
		`"time":100,"process":1,"type":"invoke","f":"write","key":"1","value":1`,
		`"time":200,"process":1,"type":"ok","f":"write","key":"1","value":1`,
		`"time":300,"process":2,"type":"invoke","f":"write","key":"1","value":2`,
		`"time":350,"process":4,"type":"invoke","f":"read","key":"2","value":null`,
		`"time":360,"process":4,"type":"ok","f":"read","key":"2","value":null`,
		`"time":400,"process":2,"type":"ok","f":"write","key":"1","value":2`,
		`"time":500,"process":3,"type":"invoke","f":"read","key":"1","value":null`,
		fmt.Sprintf(`"time":600,"process":3,"type":"ok","f":"read","key":"1","value":%d`, read),
	}
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "{\"index\":%d,%s}\n", i, l)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, checker.HistoryFile), []byte(b.String()), 0o644))
	return dir
}

// TestARunShrinksItsInvalidHistory: an invalid register run ends with the
// failing key shrunk, its files written and report.html showing them;
// with --shrink-timeout 0, or a valid run, nothing is shrunk.
func TestARunShrinksItsInvalidHistory(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		stale  bool
		bound  string
		shrunk bool
	}{
		{"invalid", true, "20s", true},
		{"invalid, shrink off", true, "0s", false},
		{"valid", false, "20s", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Workload = checker.WorkloadRegister
			cfg.Nemesis = nil
			var err error
			cfg.ShrinkTimeout, err = time.ParseDuration(tc.bound)
			require.NoError(t, err)
			dir := staleReadRun(t, tc.stale)
			r := &run{cfg: cfg.resolve(), dir: dir, logger: testLogger(t)}
			sum, err := CheckDir(ctx, dir, r.cfg, r.logger)
			require.NoError(t, err)
			res := r.autoShrink(ctx, sum)
			report, err := os.ReadFile(filepath.Join(dir, checker.ReportFile))
			require.NoError(t, err)
			if !tc.shrunk {
				assert.Nil(t, res)
				assert.NoFileExists(t, filepath.Join(dir, checker.ShrunkHistoryFile))
				assert.NotContains(t, string(report), "Shrunk: the few operations")
				return
			}
			require.NotNil(t, res)
			assert.Equal(t, "1", res.Key)
			assert.Equal(t, 3, res.Before)
			assert.Equal(t, 3, res.After, "the two writes and the stale read are all needed")
			assert.True(t, res.Minimal)
			assert.FileExists(t, filepath.Join(dir, checker.ShrunkHistoryFile))
			assert.Contains(t, string(report), "Shrunk: the few operations")
			assert.Contains(t, string(report), res.Explanation)
		})
	}
}
