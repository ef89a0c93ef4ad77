package breaker

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/history"
	impl "github.com/faultline/faultline/impl/breaker"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// Settings are the breaker system's settings: the one type that the CLI's
// flags fill, run.json records under "settings", and Start reads. The
// breaker's own settings are the ones the history records and the checker
// reads, under the same names.
type Settings struct {
	history.BreakerSettings
	// CallTimeout is each call's deadline (the workload's op timeout).
	CallTimeout time.Duration `json:"call_timeout"`
	// Bugs are deliberate bugs of impl/breaker's catalog the breaker is
	// built with (none by default). They are not in the history's
	// settings: the checker judges against the correct breaker.
	Bugs []string `json:"bugs,omitempty"`
}

var _ systems.Settings = (*Settings)(nil)

// DefaultSettings are the reference breaker's defaults, but open for one
// second, then three trial calls of which two must succeed; calls time out
// after 250ms, so that the nemesis's latency (50–300ms) makes some of them
// fail.
func DefaultSettings() Settings {
	b := impl.DefaultConfig()
	return Settings{
		BreakerSettings: history.BreakerSettings{
			Enabled:            true,
			Policy:             b.Policy.String(),
			FailureThreshold:   b.FailureThreshold,
			FailureRatePercent: b.FailureRatePercent,
			MinCalls:           b.MinCalls,
			WindowSize:         b.WindowSize,
			WindowDuration:     b.WindowDuration,
			WindowBuckets:      b.WindowBuckets,
			SlowCallDuration:   b.SlowCallDuration,
			Timeout:            time.Second,
			HalfOpenMaxCalls:   3,
			SuccessThreshold:   2,
		},
		CallTimeout: workloads.DefaultBreakerConfig().OpTimeout,
	}
}

// AddFlags binds --breaker on|off, the breaker's settings and
// --call-timeout.
func (s *Settings) AddFlags(fs *pflag.FlagSet) {
	b := &s.BreakerSettings
	fs.Var(onOff{&b.Enabled}, "breaker", "on, or off to run the same schedule without a breaker")
	fs.StringVar(&b.Policy, "breaker-policy", b.Policy, "the trip policy, consecutive, count-window or time-window")
	fs.IntVar(&b.FailureThreshold, "failure-threshold", b.FailureThreshold, "consecutive failures that open the breaker (the seed's failure_threshold)")
	fs.IntVar(&b.FailureRatePercent, "failure-rate", b.FailureRatePercent, "failure percentage that opens the breaker (window policies)")
	fs.IntVar(&b.MinCalls, "min-calls", b.MinCalls, "calls in the window before the rate counts")
	fs.IntVar(&b.WindowSize, "window-size", b.WindowSize, "calls in a count window")
	fs.DurationVar(&b.WindowDuration, "window", b.WindowDuration, "length of a time window")
	fs.IntVar(&b.WindowBuckets, "window-buckets", b.WindowBuckets, "buckets of a time window")
	fs.DurationVar(&b.SlowCallDuration, "slow-call", b.SlowCallDuration, "a call slower than this counts as a failure (0: off)")
	fs.DurationVar(&b.Timeout, "breaker-timeout", b.Timeout, "how long the breaker stays open (the seed's timeout)")
	fs.IntVar(&b.HalfOpenMaxCalls, "half-open-trials", b.HalfOpenMaxCalls, "trial calls admitted while half-open")
	fs.IntVar(&b.SuccessThreshold, "half-open-successes", b.SuccessThreshold, "trial successes that close the breaker")
	fs.DurationVar(&s.CallTimeout, "call-timeout", s.CallTimeout, "each call's deadline")
	systems.AddBugFlag(fs, &s.Bugs, Adapter{}.Bugs())
}

// Validate reports the first setting that cannot work; the breaker's are
// looked at only when it is on. It wraps history.ErrBadConfig.
func (s *Settings) Validate(systems.Run) error {
	if s.CallTimeout <= 0 {
		return fmt.Errorf("%w: call_timeout must be positive, got %s", history.ErrBadConfig, s.CallTimeout)
	}
	for _, b := range s.Bugs {
		if err := systems.CheckBug(b, Adapter{}.Bugs()); err != nil {
			return err
		}
	}
	return Config{Breaker: s.BreakerSettings}.Validate()
}

// onOff is a boolean flag spelled on|off.
type onOff struct{ b *bool }

var _ pflag.Value = onOff{}

func (v onOff) String() string {
	if v.b == nil {
		return onOffText(false)
	}
	return onOffText(*v.b)
}

// Set reads on or off.
func (v onOff) Set(s string) error {
	switch s {
	case "on":
		*v.b = true
	case "off":
		*v.b = false
	default:
		return fmt.Errorf("want on or off, got %q", s)
	}
	return nil
}

// Type names the flag's values in help.
func (onOff) Type() string { return "on|off" }

func onOffText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
