package runner

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/faultline/faultline/checker"
	impl "github.com/faultline/faultline/impl/breaker"
	"github.com/faultline/faultline/nemesis"
	sysbreaker "github.com/faultline/faultline/systems/breaker"
	"github.com/faultline/faultline/workloads"
)

// BreakerOptions are the breaker system's settings, as flags fill them
// (--breaker on|off, --failure-threshold, --breaker-timeout, …). They go
// into run.json with the rest of the run's configuration.
type BreakerOptions struct {
	// Enabled is --breaker on|off.
	Enabled bool `json:"enabled"`
	// Policy is --breaker-policy: consecutive, count-window or time-window.
	Policy string `json:"policy"`
	// FailureThreshold is --failure-threshold (the seed's failure_threshold).
	FailureThreshold int `json:"failure_threshold"`
	// FailureRate is --failure-rate, a percentage, for the window policies.
	FailureRate int `json:"failure_rate"`
	// MinCalls is --min-calls, for the window policies.
	MinCalls int `json:"min_calls"`
	// WindowSize is --window-size (count-window).
	WindowSize int `json:"window_size"`
	// Window is --window (time-window), split in WindowBuckets buckets.
	Window        time.Duration `json:"window"`
	WindowBuckets int           `json:"window_buckets"`
	// SlowCall is --slow-call: a success this slow counts as a failure (0: off).
	SlowCall time.Duration `json:"slow_call"`
	// Timeout is --breaker-timeout (the seed's timeout): how long it stays open.
	Timeout time.Duration `json:"timeout"`
	// Trials is --half-open-trials; Successes is --half-open-successes.
	Trials    int `json:"half_open_trials"`
	Successes int `json:"half_open_successes"`
	// CallTimeout is --call-timeout: each call's deadline.
	CallTimeout time.Duration `json:"call_timeout"`
}

// DefaultBreakerOptions: on, five consecutive failures, open for one
// second, three trial calls of which two must succeed; calls time out after
// 250ms, so the nemesis's latency (50–300ms) makes some of them fail.
func DefaultBreakerOptions() BreakerOptions {
	b := sysbreaker.DefaultConfig().Breaker
	return BreakerOptions{
		Enabled: true, Policy: b.Policy.String(), FailureThreshold: b.FailureThreshold,
		FailureRate: b.FailureRatePercent, MinCalls: b.MinCalls, WindowSize: b.WindowSize,
		Window: b.WindowDuration, WindowBuckets: b.WindowBuckets, SlowCall: b.SlowCallDuration,
		Timeout: b.Timeout, Trials: b.HalfOpenMaxCalls, Successes: b.SuccessThreshold,
		CallTimeout: workloads.DefaultBreakerConfig().OpTimeout,
	}
}

// breakerConfig is the breaker's configuration; it wraps ErrBadInput.
func (o BreakerOptions) breakerConfig() (impl.Config, error) {
	policy, err := impl.ParsePolicy(o.Policy)
	if err != nil {
		return impl.Config{}, fmt.Errorf("%w: --breaker-policy: %v", ErrBadInput, err)
	}
	c := impl.DefaultConfig()
	c.Name = "downstream"
	c.Policy, c.FailureThreshold, c.FailureRatePercent, c.MinCalls = policy, o.FailureThreshold, o.FailureRate, o.MinCalls
	c.WindowSize, c.WindowDuration, c.WindowBuckets, c.SlowCallDuration = o.WindowSize, o.Window, o.WindowBuckets, o.SlowCall
	c.Timeout, c.HalfOpenMaxCalls, c.SuccessThreshold = o.Timeout, o.Trials, o.Successes
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return c, nil
}

// Validate reports the first setting that cannot work.
func (o BreakerOptions) Validate() error {
	if o.CallTimeout <= 0 {
		return fmt.Errorf("%w: --call-timeout must be positive, got %s", ErrBadInput, o.CallTimeout)
	}
	if !o.Enabled {
		return nil
	}
	_, err := o.breakerConfig()
	return err
}

// ParseBreakerSwitch reads --breaker: on or off.
func ParseBreakerSwitch(s string) (bool, error) {
	switch s {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("%w: --breaker %q: want on or off", ErrBadInput, s)
}

// OnOff is a boolean flag spelled on|off; it satisfies pflag.Value, so the
// CLI can bind --breaker with f.Var(runner.OnOff{B: &cfg.Enabled}, …).
type OnOff struct{ B *bool }

func (v OnOff) String() string {
	if v.B == nil {
		return "off"
	}
	return onOff(*v.B)
}

// Set parses on or off.
func (v OnOff) Set(s string) error {
	b, err := ParseBreakerSwitch(s)
	if err == nil {
		*v.B = b
	}
	return err
}

// Type names the flag's values in help.
func (v OnOff) Type() string { return "on|off" }

// BreakerSystem is the circuit breaker in front of a downstream HTTP
// service behind Toxiproxy. Options are its settings.
type BreakerSystem struct{}

var _ System = BreakerSystem{}

func (BreakerSystem) Name() string { return "breaker" }

func (BreakerSystem) Describe() string {
	return "the reference circuit breaker in front of a downstream HTTP service reached through Toxiproxy"
}

func (BreakerSystem) Workloads() []string { return []string{"breaker"} }

func (BreakerSystem) Faults() []string {
	return []string{nemesis.FaultLatency, nemesis.FaultPartition, nemesis.FaultResetPeer, nemesis.FaultTimeout}
}

func (BreakerSystem) Start(ctx context.Context, env *Env) (Target, error) {
	o := env.Config.Breaker
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := sysbreaker.Config{Enabled: o.Enabled, Net: env.Net, Logger: env.Logger}
	if o.Enabled {
		var err error
		if cfg.Breaker, err = o.breakerConfig(); err != nil {
			return nil, err
		}
	}
	sys, err := sysbreaker.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &breakerTarget{System: sys, run: env.Config, opts: o}, nil
}

// breakerTarget is a started breaker system.
type breakerTarget struct {
	*sysbreaker.System
	run  Config
	opts BreakerOptions
}

func (t *breakerTarget) Processes() nemesis.Processes { return nil }

// Leader is the downstream: what isolate-leader cuts off.
func (t *breakerTarget) Leader(context.Context) (string, error) {
	return sysbreaker.DownstreamNode, nil
}

func (t *breakerTarget) Labels() map[string]string {
	return map[string]string{
		"breaker":         onOff(t.opts.Enabled),
		"downstream":      t.DownstreamAddr(),
		"callers dial":    t.CallAddr(),
		"call timeout":    t.opts.CallTimeout.String(),
		"breaker timeout": t.opts.Timeout.String(),
		"threshold":       strconv.Itoa(t.opts.FailureThreshold),
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (t *breakerTarget) Run(ctx context.Context, rec *workloads.Recorder) error {
	wc := workloads.BreakerConfig{Concurrency: t.run.Concurrency, Rate: t.run.Rate, OpTimeout: t.opts.CallTimeout}
	if wc.Rate == 0 {
		wc.Rate = workloads.DefaultBreakerConfig().Rate
	}
	return t.System.Run(ctx, rec, wc)
}

// Final calls until the breaker has closed again after the heal.
func (t *breakerTarget) Final(ctx context.Context, _ *workloads.Recorder) error {
	// A process id above any a worker uses.
	return t.Recover(ctx, 1<<20, 50*time.Millisecond, t.opts.CallTimeout)
}

// BreakerCheckers are the breaker workload's checkers. The checker reads
// the breaker's settings from the history's breaker-config op, so a stored
// run is re-checked exactly as it ran.
func BreakerCheckers(Config) []checker.Checker {
	return []checker.Checker{checker.BreakerChecker{}}
}
