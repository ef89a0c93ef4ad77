package breaker

import (
	"context"
	impl "github.com/faultline/faultline/impl/breaker"
	"strconv"
	"time"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// Adapter is the circuit breaker as a system under test: callers reach a
// downstream HTTP service through the reference breaker, over a link the
// nemesis faults.
type Adapter struct{}

var _ systems.System = Adapter{}

// Name is "breaker".
func (Adapter) Name() string { return "breaker" }

// Describe says what the system is.
func (Adapter) Describe() string {
	return "the reference circuit breaker in front of a downstream HTTP service reached through Toxiproxy"
}

// Workloads: the breaker workload.
func (Adapter) Workloads() []string { return []string{"breaker"} }

// Faults are the ones a network link takes: the downstream slow,
// unreachable, or resetting connections. There is no process to kill or
// pause.
func (Adapter) Faults() []string {
	return []string{nemesis.FaultLatency, nemesis.FaultPartition, nemesis.FaultResetPeer, nemesis.FaultTimeout}
}

// NewSettings returns the defaults.
func (Adapter) NewSettings() systems.Settings {
	s := DefaultSettings()
	return &s
}

// Checkers: the breaker checker, which reads the breaker's settings from
// the history's breaker-config op, so that a stored run is re-checked
// exactly as it ran.
func (Adapter) Checkers(string, time.Duration) []checker.Checker {
	return []checker.Checker{checker.BreakerChecker{}}
}

// Start starts the downstream behind env.Net and the breaker in front of
// it.
func (Adapter) Start(ctx context.Context, env *systems.Env) (systems.Target, error) {
	s := env.Settings.(*Settings)
	if err := s.Validate(env.Run); err != nil {
		return nil, err
	}
	sys, err := Start(ctx, Config{Breaker: s.BreakerSettings, Net: env.Net, Logger: env.Logger, Bugs: s.Bugs})
	if err != nil {
		return nil, err
	}
	wc := workloads.BreakerConfig{Common: env.Run.Common}
	wc.OpTimeout = s.CallTimeout
	if wc.Rate == 0 {
		wc.Rate = workloads.DefaultBreakerConfig().Rate
	}
	return &target{System: sys, settings: *s, workload: wc}, nil
}

// target is a started breaker system with the workload's configuration.
type target struct {
	*System
	settings Settings
	workload workloads.BreakerConfig
}

var _ systems.Target = (*target)(nil)

// Processes is nil: the harness controls no process of the system.
func (t *target) Processes() nemesis.Processes { return nil }

// Leader is the downstream: what isolate-leader cuts off.
func (t *target) Leader(context.Context) (string, error) { return DownstreamNode, nil }

func (t *target) Labels() map[string]string {
	return map[string]string{
		"breaker":         onOffText(t.settings.Enabled),
		"downstream":      t.DownstreamAddr(),
		"callers dial":    t.CallAddr(),
		"call timeout":    t.settings.CallTimeout.String(),
		"breaker timeout": t.settings.Timeout.String(),
		"threshold":       strconv.Itoa(t.settings.FailureThreshold),
	}
}

// Run drives the breaker workload until ctx is done.
func (t *target) Run(ctx context.Context, rec *workloads.Recorder) error {
	return t.System.Run(ctx, rec, t.workload)
}

// Final calls until the breaker has closed again after the heal.
func (t *target) Final(ctx context.Context, _ *workloads.Recorder) error {
	return t.Recover(ctx, workloads.FinalProcess, 50*time.Millisecond, t.settings.CallTimeout)
}

// Bugs lists the catalog of deliberate bugs the breaker can be built with.
func (Adapter) Bugs() []systems.Bug {
	outage := systems.Exposure{Faults: []string{nemesis.FaultLatency, nemesis.FaultPartition}, Time: 15 * time.Second, Interval: 2 * time.Second}
	return systems.Catalog(impl.Bugs, map[impl.Bug]systems.Exposure{
		impl.BugUnboundedHalfOpen: outage, // every outage opens the breaker, and it goes half-open after
		impl.BugNoGeneration:      outage, // slow calls outlive the state they were admitted in
	})
}
