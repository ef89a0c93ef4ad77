package history

import (
	"fmt"
	"time"
)

// BreakerSettings are a circuit breaker's settings, declared once for the
// whole harness: the breaker system's settings embed them (and run.json
// records them under these names), the breaker workload writes them into
// the history, and the breaker checker's model runs with them. The
// reference breaker (impl/breaker) keeps a Config of its own so that it
// stays usable without the harness; the breaker system converts these
// settings into it. Durations are nanoseconds in JSON. A setting missing
// from a stored record reads as zero.
type BreakerSettings struct {
	// Enabled is false for a run without a breaker: the callers call the
	// downstream directly, the baseline that shows what the breaker buys.
	// Nothing else is checked then.
	Enabled bool `json:"enabled"`
	// Policy is how a closed breaker decides to trip:
	// BreakerPolicyConsecutive, BreakerPolicyCountWindow or
	// BreakerPolicyTimeWindow.
	Policy string `json:"policy"`
	// FailureThreshold is the consecutive failures that trip a
	// consecutive breaker (the seed's failure_threshold).
	FailureThreshold int `json:"failure_threshold"`
	// FailureRatePercent (1–100) trips a window breaker once the window
	// holds MinCalls results and at least this share of them failed.
	FailureRatePercent int `json:"failure_rate_percent"`
	MinCalls           int `json:"min_calls"`
	// WindowSize is the number of results a count window remembers.
	WindowSize int `json:"window_size"`
	// WindowDuration is the length of a time window, kept in WindowBuckets
	// buckets aligned to the breaker's epoch.
	WindowDuration time.Duration `json:"window_duration"`
	WindowBuckets  int           `json:"window_buckets"`
	// SlowCallDuration, when positive, makes a success at least this slow
	// count as a failure.
	SlowCallDuration time.Duration `json:"slow_call_duration"`
	// Timeout is how long the breaker stays open before it lets trial
	// calls through (the seed's timeout).
	Timeout time.Duration `json:"timeout"`
	// HalfOpenMaxCalls bounds the trial calls a half-open breaker admits;
	// SuccessThreshold trial successes close it.
	HalfOpenMaxCalls int `json:"half_open_max_calls"`
	SuccessThreshold int `json:"success_threshold"`
}

// The trip policies of BreakerSettings.Policy.
const (
	BreakerPolicyConsecutive = "consecutive"
	BreakerPolicyCountWindow = "count-window"
	BreakerPolicyTimeWindow  = "time-window"
)

// Validate reports the first setting a breaker, or a model of one, cannot
// run with; settings of a disabled breaker are not looked at. It wraps
// ErrBadConfig. These are the rules every reader of the settings needs;
// the reference breaker's own Config.Validate may refuse more.
func (s BreakerSettings) Validate() error {
	if !s.Enabled {
		return nil
	}
	switch {
	case s.Policy != BreakerPolicyConsecutive && s.Policy != BreakerPolicyCountWindow && s.Policy != BreakerPolicyTimeWindow:
		return fmt.Errorf("%w: breaker policy %q: want %s, %s or %s",
			ErrBadConfig, s.Policy, BreakerPolicyConsecutive, BreakerPolicyCountWindow, BreakerPolicyTimeWindow)
	case s.Policy == BreakerPolicyConsecutive && s.FailureThreshold < 1:
		return fmt.Errorf("%w: breaker failure_threshold %d: want at least 1", ErrBadConfig, s.FailureThreshold)
	case s.Policy != BreakerPolicyConsecutive && (s.FailureRatePercent < 1 || s.FailureRatePercent > 100 || s.MinCalls < 1):
		return fmt.Errorf("%w: breaker failure_rate_percent %d with min_calls %d: want 1–100 percent and at least 1 call",
			ErrBadConfig, s.FailureRatePercent, s.MinCalls)
	case s.Policy == BreakerPolicyCountWindow && s.WindowSize < 1:
		return fmt.Errorf("%w: breaker window_size %d: want at least 1", ErrBadConfig, s.WindowSize)
	case s.Policy == BreakerPolicyTimeWindow && (s.WindowBuckets < 1 || s.WindowDuration/time.Duration(s.WindowBuckets) <= 0):
		return fmt.Errorf("%w: breaker window_duration %s in %d window_buckets: want a positive bucket width",
			ErrBadConfig, s.WindowDuration, s.WindowBuckets)
	case s.Timeout <= 0:
		return fmt.Errorf("%w: breaker timeout %s: want a positive open delay", ErrBadConfig, s.Timeout)
	case s.HalfOpenMaxCalls < 1 || s.SuccessThreshold < 1 || s.SuccessThreshold > s.HalfOpenMaxCalls:
		return fmt.Errorf("%w: breaker half_open_max_calls %d with success_threshold %d: want 1 ≤ success_threshold ≤ half_open_max_calls",
			ErrBadConfig, s.HalfOpenMaxCalls, s.SuccessThreshold)
	}
	return nil
}

// BreakerConfig is the value of the breaker workload's "breaker-config"
// operation: the settings the breaker ran with, and where its clock
// started. The workload writes it once, before any call, with EpochOffset
// set and Epoch left zero; the checker reads it, turns EpochOffset into
// Epoch, and replays the run through its model with it — so that a stored
// run is re-checked from its history alone.
type BreakerConfig struct {
	BreakerSettings
	// Epoch is when the breaker's clock started, on the history's time base
	// (ns since the run started): time-window buckets are aligned to it.
	Epoch int64 `json:"epoch"`
	// EpochOffset is the epoch relative to the breaker-config op's own
	// time: the workload knows the op's time only once the op is written,
	// so it writes the offset and the checker adds the op's time. Nil when
	// there is no breaker.
	EpochOffset *int64 `json:"epoch_offset,omitempty"`
}
