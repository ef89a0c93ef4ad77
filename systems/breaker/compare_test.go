package breaker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// storedRun writes a summary.json with the breaker checker's protection
// figures p (none when p is nil) into a new directory, and returns the run
// with the breaker on or off, seed 42, 8s and partitions.
func storedRun(t *testing.T, enabled bool, p *checker.BreakerProtection) StoredRun {
	t.Helper()
	dir := t.TempDir()
	sum := checker.Summary{Workload: "breaker", Results: []checker.Result{
		{Checker: "stats", Valid: checker.Valid, Details: map[string]int{"ok": 3}},
	}}
	if p != nil {
		sum.Results = append(sum.Results, checker.Result{Checker: "breaker", Valid: checker.Valid, Details: &checker.BreakerDetails{Protection: *p}})
	}
	b, err := json.Marshal(&sum)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "summary.json"), b, 0o644))
	s := DefaultSettings()
	s.Enabled = enabled
	return StoredRun{Dir: dir, Seed: 42, Time: 8 * time.Second, Nemesis: []string{"partition"}, Settings: &s}
}

func TestCompare(t *testing.T) {
	with := storedRun(t, true, &checker.BreakerProtection{CallsDuringFaults: 10, ShedDuringFaults: 8})
	without := storedRun(t, false, &checker.BreakerProtection{CallsDuringFaults: 10})
	cmp, err := Compare(with, without)
	require.NoError(t, err)
	assert.Equal(t, 8, cmp.With.ShedDuringFaults)
	assert.Zero(t, cmp.Without.ShedDuringFaults)

	b, err := os.ReadFile(filepath.Join(with.Dir, ComparisonFile))
	require.NoError(t, err)
	var stored checker.BreakerComparison
	require.NoError(t, json.Unmarshal(b, &stored))
	assert.Equal(t, cmp, stored)
	assert.NoFileExists(t, filepath.Join(without.Dir, ComparisonFile))
}

func TestCompareRefuses(t *testing.T) {
	figures := &checker.BreakerProtection{CallsDuringFaults: 10}
	tests := []struct {
		name          string
		with, without func(*testing.T) StoredRun
		want          string
	}{
		{"the order swapped",
			func(t *testing.T) StoredRun { return storedRun(t, false, figures) },
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			"ran without the breaker"},
		{"both with the breaker",
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			"ran with the breaker"},
		{"no settings",
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			func(t *testing.T) StoredRun { r := storedRun(t, false, figures); r.Settings = nil; return r },
			"not the results directory of a breaker run"},
		{"another seed",
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			func(t *testing.T) StoredRun { r := storedRun(t, false, figures); r.Seed = 43; return r },
			"rerun the second with the same seed (42), time (8s) and faults (partition) and the breaker off"},
		{"another time",
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			func(t *testing.T) StoredRun { r := storedRun(t, false, figures); r.Time = time.Second; return r },
			"schedules differ"},
		{"other faults",
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			func(t *testing.T) StoredRun { r := storedRun(t, false, figures); r.Nemesis = nil; return r },
			"schedules differ"},
		{"not checked",
			func(t *testing.T) StoredRun { return storedRun(t, true, figures) },
			func(t *testing.T) StoredRun {
				r := storedRun(t, false, figures)
				require.NoError(t, os.Remove(filepath.Join(r.Dir, "summary.json")))
				return r
			},
			"has no summary.json; check it first with faultline check"},
		{"no breaker checker in the summary",
			func(t *testing.T) StoredRun { return storedRun(t, true, nil) },
			func(t *testing.T) StoredRun { return storedRun(t, false, figures) },
			"no breaker protection figures"},
		{"a summary that is not JSON",
			func(t *testing.T) StoredRun {
				r := storedRun(t, true, figures)
				require.NoError(t, os.WriteFile(filepath.Join(r.Dir, "summary.json"), []byte("{"), 0o644))
				return r
			},
			func(t *testing.T) StoredRun { return storedRun(t, false, figures) },
			"summary.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			with := tt.with(t)
			_, err := Compare(with, tt.without(t))
			require.ErrorIs(t, err, history.ErrBadConfig)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "--", "the message says what to do without naming flags")
			assert.NoFileExists(t, filepath.Join(with.Dir, ComparisonFile), "a refusal writes nothing")
		})
	}
}
