package runner

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompareBreakerWithAndWithout runs the breaker workload twice on one
// schedule, with the breaker and without, and compares them.
func TestCompareBreakerWithAndWithout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 8-second tests")
	}
	results := t.TempDir()
	runOnce := func(enabled bool, seed int64) string {
		cfg := DefaultConfig()
		cfg.System, cfg.Nemesis, cfg.Seed = "breaker", []string{"partition"}, seed
		cfg.Time, cfg.NemesisInterval, cfg.Results = 8*time.Second, 2*time.Second, results
		cfg.Breaker.Enabled = enabled
		out, err := Run(context.Background(), cfg, testLogger(t))
		require.NoError(t, err)
		return out.Dir
	}
	with, without := runOnce(true, 42), runOnce(false, 42)
	cmp, err := CompareBreaker(with, without)
	require.NoError(t, err)
	assert.Positive(t, cmp.With.ShedDuringFaults, "the breaker shed calls during the partition")
	assert.Zero(t, cmp.Without.ShedDuringFaults, "without a breaker nothing is shed")
	assert.Positive(t, cmp.DownstreamCallsSaved)
	assert.FileExists(t, filepath.Join(with, ComparisonFile))

	_, err = CompareBreaker(without, with)
	assert.ErrorIs(t, err, ErrBadInput, "the order matters: with first")
	other := runOnce(false, 43)
	_, err = CompareBreaker(with, other)
	assert.ErrorIs(t, err, ErrBadInput, "another seed is another schedule")
}
