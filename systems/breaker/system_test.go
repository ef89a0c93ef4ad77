package breaker

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	impl "github.com/faultline/faultline/impl/breaker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/workloads"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func startSystem(t *testing.T, cfg Config) *System {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg.Logger = testLogger(t)
	s, err := Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, s.Stop(ctx))
	})
	return s
}

func TestCallerWithAndWithoutBreaker(t *testing.T) {
	tests := []struct {
		name    string
		enabled bool
		state   string
	}{
		{"through the breaker", true, "CLOSED"},
		{"breaker off", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Breaker.Enabled = tt.enabled
			s := startSystem(t, cfg)
			c := NewCaller(s.CallAddr(), s.Breaker())
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			o := c.Call(ctx)
			assert.Equal(t, workloads.BreakerObservation{Admitted: true, State: tt.state, Outcome: "success", Seq: o.Seq, Downstream: "ok"}, o)
		})
	}
}

func TestCallerCountsAnUnreachableDownstream(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Breaker.FailureThreshold = 2
	s := startSystem(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Stop(ctx)) // the downstream is gone: connections are refused
	c := NewCaller(s.CallAddr(), s.Breaker())
	defer c.Close()
	for range 2 {
		o := c.Call(ctx)
		assert.Equal(t, "failure", o.Outcome)
		assert.Equal(t, "error", o.Downstream)
	}
	o := c.Call(ctx)
	assert.Equal(t, workloads.BreakerObservation{State: "OPEN", Gen: 1, Outcome: "rejected", Reason: "open", At: o.At, Error: impl.ErrOpen.Error()}, o)
}

// runUnderPartitions drives the workload for d through a real Toxiproxy
// while the nemesis partitions the downstream, and returns the history.
func runUnderPartitions(t *testing.T, cfg Config, d time.Duration) []history.Op {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logger := testLogger(t)
	srv, err := nemesis.StartServer(ctx, logger)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	net, err := nemesis.Connect(ctx, srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, net.Close(context.Background())) })
	cfg.Net = net
	s := startSystem(t, cfg)

	path := filepath.Join(t.TempDir(), "history.jsonl")
	hist, err := history.Create(path)
	require.NoError(t, err)
	nc := nemesis.DefaultConfig()
	nc.Faults, nc.Topologies, nc.Interval, nc.Seed = []string{nemesis.FaultPartition}, []string{nemesis.TopologyHalves}, 700*time.Millisecond, 7
	nem, err := nemesis.New(nc, nemesis.Deps{Net: net, Nodes: s.Nodes(), Recorder: hist, Logger: logger})
	require.NoError(t, err)
	rec := workloads.NewRecorder(hist)

	runCtx, stop := context.WithTimeout(ctx, d)
	defer stop()
	nemDone := make(chan error, 1)
	go func() { nemDone <- nem.Run(runCtx) }()
	wc := workloads.BreakerConfig{Common: workloads.Common{Concurrency: 4, Rate: 200, OpTimeout: 100 * time.Millisecond}}
	require.NoError(t, s.Run(runCtx, rec, wc))
	require.NoError(t, <-nemDone)
	require.NoError(t, s.Recover(ctx, workloads.FinalProcess, 20*time.Millisecond, wc.OpTimeout), "the breaker closes again after the heal")
	s.Close()
	require.NoError(t, hist.Close())
	h, err := history.ReadFile(path)
	require.NoError(t, err)
	return h.Ops
}

// TestBreakerRunUnderPartitions checks a run's history with the breaker
// checker: it conforms, the breaker opened and shed calls — and the same
// history checked against a breaker with a lower threshold than the one
// that ran is caught.
func TestBreakerRunUnderPartitions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Breaker.FailureThreshold = 5
	cfg.Breaker.Timeout = 200 * time.Millisecond
	ops := runUnderPartitions(t, cfg, 3*time.Second)

	ctx := context.Background()
	res := checker.BreakerChecker{}.Check(ctx, ops)
	require.Equal(t, checker.Valid, res.Valid, res.Explanation)
	d := res.Details.(*checker.BreakerDetails)
	assert.Positive(t, d.Protection.Opens, "the partition must trip the breaker")
	assert.Positive(t, d.Protection.RejectedOpen, "an open breaker sheds calls")
	assert.Positive(t, d.Protection.CallsDuringFaults)
	t.Logf("breaker check: %s; protection %+v", res.Explanation, d.Protection)

	wrong := *d.Config
	wrong.FailureThreshold = 3
	res = checker.BreakerChecker{Config: &wrong}.Check(ctx, ops)
	require.Equal(t, checker.Invalid, res.Valid, "a breaker that tripped at 5 does not conform to a model that trips at 3")
	t.Logf("against failure_threshold 3: %s", res.Explanation)
}

func TestBreakerOffRunUnderPartitions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Breaker.Enabled = false
	ops := runUnderPartitions(t, cfg, 1500*time.Millisecond)
	res := checker.BreakerChecker{}.Check(context.Background(), ops)
	require.Equal(t, checker.Valid, res.Valid, res.Explanation)
	p := res.Details.(*checker.BreakerDetails).Protection
	assert.Zero(t, p.RejectedOpen+p.RejectedTrials, "without a breaker nothing is shed")
	assert.Positive(t, p.DownstreamErrorsDuringFaults, "without a breaker the callers meet the partition")
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"bad breaker", func(c *Config) { c.Breaker.Timeout = 0 }, false},
		{"bad breaker but off", func(c *Config) { c.Breaker.Timeout, c.Breaker.Enabled = 0, false }, true},
		{"unknown policy", func(c *Config) { c.Breaker.Policy = "sometimes" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			if tt.ok {
				require.NoError(t, cfg.Validate())
				return
			}
			require.ErrorIs(t, cfg.Validate(), history.ErrBadConfig)
			_, err := Start(context.Background(), cfg)
			require.ErrorIs(t, err, history.ErrBadConfig)
			require.ErrorIs(t, err, impl.ErrBadConfig, "the reference breaker's own error says why")
		})
	}
}
