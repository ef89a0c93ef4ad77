package breaker

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// TestAdapterRunsTheWorkload starts the system through the adapter, with no
// proxy in between, drives the workload briefly and checks what the history
// recorded: the settings the run was given, and calls that conform.
func TestAdapterRunsTheWorkload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	settings := Adapter{}.NewSettings().(*Settings)
	settings.FailureThreshold, settings.CallTimeout = 4, time.Second
	env := &systems.Env{
		Run:      systems.Run{Workload: "breaker", Common: workloads.Common{Concurrency: 2, OpTimeout: time.Minute}},
		Settings: settings,
		Logger:   testLogger(t),
	}
	target, err := Adapter{}.Start(ctx, env)
	require.NoError(t, err)
	defer func() { assert.NoError(t, target.Stop(ctx)) }()

	assert.Nil(t, target.Processes())
	leader, err := target.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, DownstreamNode, leader)
	assert.Equal(t, []string{ClientNode, DownstreamNode}, target.Nodes())
	labels := target.Labels()
	assert.Equal(t, "on", labels["breaker"])
	assert.Equal(t, "1s", labels["call timeout"], "the call timeout is the breaker's, not the run's op timeout")
	assert.Equal(t, "4", labels["threshold"])

	path := filepath.Join(t.TempDir(), "history.jsonl")
	hist, err := history.Create(path)
	require.NoError(t, err)
	rec := workloads.NewRecorder(hist)
	runCtx, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	require.NoError(t, target.Run(runCtx, rec))
	require.NoError(t, target.Final(ctx, rec))
	require.NoError(t, target.Stop(ctx), "stopping before the history closes stops the recording")
	require.NoError(t, hist.Close())

	h, err := history.ReadFile(path)
	require.NoError(t, err)
	var recorded history.BreakerConfig
	require.NoError(t, json.Unmarshal(h.Ops[1].Value, &recorded))
	assert.Equal(t, settings.BreakerSettings, recorded.BreakerSettings, "the history records the settings the run was given")
	for _, c := range (Adapter{}).Checkers("breaker", time.Minute) {
		res := c.Check(ctx, h.Ops)
		assert.Equal(t, checker.Valid, res.Valid, res.Explanation)
	}
}

func TestAdapterRefusesBadSettings(t *testing.T) {
	s := DefaultSettings()
	s.CallTimeout = 0
	_, err := Adapter{}.Start(context.Background(), &systems.Env{Settings: &s})
	require.ErrorIs(t, err, history.ErrBadConfig)
}
