package breaker

import (
	"fmt"
	"time"
)

// Policy is how a closed breaker decides to trip.
type Policy uint8

// Trip policies.
const (
	// ConsecutiveFailures trips when FailureThreshold results in a row were
	// failures (the seed's policy).
	ConsecutiveFailures Policy = iota
	// CountWindow trips when, over the last WindowSize results, at least
	// MinCalls were counted and at least FailureRatePercent of them failed.
	CountWindow
	// TimeWindow trips when, over the results of the last WindowDuration
	// (kept in WindowBuckets buckets), at least MinCalls were counted and at
	// least FailureRatePercent of them failed.
	TimeWindow
)

func (p Policy) String() string {
	switch p {
	case ConsecutiveFailures:
		return "consecutive"
	case CountWindow:
		return "count-window"
	case TimeWindow:
		return "time-window"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// ParsePolicy reads consecutive, count-window or time-window.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range []Policy{ConsecutiveFailures, CountWindow, TimeWindow} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w: policy %q: want consecutive, count-window or time-window", ErrBadConfig, s)
}

// Config configures a Breaker. Start from DefaultConfig.
type Config struct {
	// Name labels the breaker in metrics and transitions.
	Name string
	// Policy is how the closed breaker decides to trip.
	Policy Policy
	// FailureThreshold is the seed's failure_threshold: consecutive
	// failures that trip a ConsecutiveFailures breaker.
	FailureThreshold int
	// FailureRatePercent (1–100) trips a window breaker when
	// failures*100 >= FailureRatePercent*calls. Integer arithmetic keeps
	// the decision exact, so a model can replay it.
	FailureRatePercent int
	// MinCalls is how many results a window must hold before it may trip.
	MinCalls int
	// WindowSize is the number of results a CountWindow remembers.
	WindowSize int
	// WindowDuration and WindowBuckets shape a TimeWindow: results fall in
	// buckets of WindowDuration/WindowBuckets, aligned to the breaker's
	// epoch (Breaker.Epoch); the window is the current bucket and the
	// WindowBuckets-1 before it.
	WindowDuration time.Duration
	WindowBuckets  int
	// SlowCallDuration, when positive, makes a success that took at least
	// this long count as a failure (outcome Slow).
	SlowCallDuration time.Duration
	// Timeout is the seed's timeout: how long the breaker stays open before
	// it lets trial calls through.
	Timeout time.Duration
	// HalfOpenMaxCalls bounds the trial calls a half-open breaker admits;
	// the rest are rejected at once with ErrTooManyTrials. An ignored trial
	// gives its place back.
	HalfOpenMaxCalls int
	// SuccessThreshold is how many trial successes close the breaker
	// (at most HalfOpenMaxCalls). Any trial failure reopens it.
	SuccessThreshold int

	// Clock is where time comes from; nil means SystemClock.
	Clock Clock
	// Classify decides how results count; nil means DefaultClassifier.
	Classify Classifier
	// OnStateChange, if set, is called exactly once per transition, in
	// order, while the breaker holds its lock: it must be quick and must
	// not call Run or Execute on the same breaker.
	OnStateChange func(Transition)
	// Metrics, if set, receives the breaker's counts.
	Metrics *Metrics
	// Bugs are deliberate defects from the catalog (see Bug); none by
	// default. Only a test of a test harness wants any.
	Bugs []Bug
}

// DefaultConfig trips after five consecutive failures, stays open five
// seconds and closes after one successful trial call.
func DefaultConfig() Config {
	return Config{
		Name:               "breaker",
		Policy:             ConsecutiveFailures,
		FailureThreshold:   5,
		FailureRatePercent: 50,
		MinCalls:           10,
		WindowSize:         20,
		WindowDuration:     10 * time.Second,
		WindowBuckets:      10,
		Timeout:            5 * time.Second,
		HalfOpenMaxCalls:   1,
		SuccessThreshold:   1,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	for _, b := range c.Bugs {
		if _, err := ParseBug(string(b)); err != nil {
			return err
		}
	}
	switch {
	case c.Policy > TimeWindow:
		return fmt.Errorf("%w: unknown policy %d", ErrBadConfig, c.Policy)
	case c.Policy == ConsecutiveFailures && c.FailureThreshold < 1:
		return fmt.Errorf("%w: failure_threshold must be at least 1, got %d", ErrBadConfig, c.FailureThreshold)
	case c.Policy != ConsecutiveFailures && (c.FailureRatePercent < 1 || c.FailureRatePercent > 100):
		return fmt.Errorf("%w: failure rate must be 1–100 percent, got %d", ErrBadConfig, c.FailureRatePercent)
	case c.Policy != ConsecutiveFailures && c.MinCalls < 1:
		return fmt.Errorf("%w: minimum calls must be at least 1, got %d", ErrBadConfig, c.MinCalls)
	case c.Policy == CountWindow && c.WindowSize < c.MinCalls:
		return fmt.Errorf("%w: window size %d is below the minimum calls %d, so the breaker could never trip",
			ErrBadConfig, c.WindowSize, c.MinCalls)
	case c.Policy == TimeWindow && (c.WindowBuckets < 1 || c.WindowBuckets > 1000):
		return fmt.Errorf("%w: window buckets must be 1–1000, got %d", ErrBadConfig, c.WindowBuckets)
	case c.Policy == TimeWindow && c.WindowDuration/time.Duration(c.WindowBuckets) <= 0:
		return fmt.Errorf("%w: window duration %s is too short for %d buckets", ErrBadConfig, c.WindowDuration, c.WindowBuckets)
	case c.SlowCallDuration < 0:
		return fmt.Errorf("%w: slow-call duration must not be negative, got %s", ErrBadConfig, c.SlowCallDuration)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: timeout (the open delay) must be positive, got %s", ErrBadConfig, c.Timeout)
	case c.HalfOpenMaxCalls < 1:
		return fmt.Errorf("%w: half-open trial calls must be at least 1, got %d", ErrBadConfig, c.HalfOpenMaxCalls)
	case c.SuccessThreshold < 1 || c.SuccessThreshold > c.HalfOpenMaxCalls:
		return fmt.Errorf("%w: success threshold must be 1–%d (the half-open trial calls), got %d",
			ErrBadConfig, c.HalfOpenMaxCalls, c.SuccessThreshold)
	}
	return nil
}
