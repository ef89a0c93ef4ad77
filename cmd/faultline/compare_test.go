package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/breaker"
	"github.com/faultline/faultline/systems/builtin"
)

// TestCompareBreakerWithAndWithout runs the breaker workload twice on one
// schedule, with the breaker and without, and compares the stored runs.
func TestCompareBreakerWithAndWithout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 8-second tests")
	}
	results := t.TempDir()
	reg := builtin.Registry()
	runOnce := func(enabled bool, seed int64) string {
		cfg := runner.DefaultConfig()
		cfg.System, cfg.Nemesis, cfg.Seed = "breaker", []string{"partition"}, seed
		cfg.Time, cfg.NemesisInterval, cfg.Results = 8*time.Second, 2*time.Second, results
		settings := breaker.DefaultSettings()
		settings.Enabled = enabled
		cfg.Settings = &settings
		out, err := runner.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.NoError(t, err)
		return out.Dir
	}
	compare := func(with, without string) (err error) {
		w, err := storedBreakerRun(with, reg)
		require.NoError(t, err)
		wo, err := storedBreakerRun(without, reg)
		require.NoError(t, err)
		cmp, err := breaker.Compare(w, wo)
		if err == nil {
			assert.Positive(t, cmp.With.ShedDuringFaults, "the breaker shed calls during the partition")
			assert.Zero(t, cmp.Without.ShedDuringFaults, "without a breaker nothing is shed")
			assert.Positive(t, cmp.DownstreamCallsSaved)
		}
		return err
	}
	with, without := runOnce(true, 42), runOnce(false, 42)
	require.NoError(t, compare(with, without))
	assert.FileExists(t, filepath.Join(with, breaker.ComparisonFile))
	assert.ErrorIs(t, compare(without, with), history.ErrBadConfig, "the order matters: with first")
	other := runOnce(false, 43)
	assert.ErrorIs(t, compare(with, other), history.ErrBadConfig, "another seed is another schedule")
}
