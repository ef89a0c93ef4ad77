package checker

import "fmt"

// BreakerComparison sets the protection figures of a run with the breaker
// against a run of the same schedule without it (the breaker off).
type BreakerComparison struct {
	With    BreakerProtection `json:"with_breaker"`
	Without BreakerProtection `json:"without_breaker"`
	// P50Speedup and P99Speedup are how many times shorter the callers'
	// latency during faults was with the breaker (0 when either run had no
	// call during a fault).
	P50Speedup float64 `json:"p50_speedup_during_faults"`
	P99Speedup float64 `json:"p99_speedup_during_faults"`
	// DownstreamCallsSaved is how many fewer calls reached the faulty
	// downstream during faults, per call made.
	DownstreamCallsSaved float64 `json:"downstream_calls_saved_during_faults"`
	Summary              string  `json:"summary"`
}

// CompareBreakerProtection compares the figures of two runs.
func CompareBreakerProtection(with, without BreakerProtection) BreakerComparison {
	c := BreakerComparison{With: with, Without: without}
	w, wo := with.LatencyDuringFaults, without.LatencyDuringFaults
	if w.Count == 0 || wo.Count == 0 {
		c.Summary = "no call ran during a fault in one of the runs: nothing to compare"
		return c
	}
	c.P50Speedup = breakerRatio(wo.P50, w.P50)
	c.P99Speedup = breakerRatio(wo.P99, w.P99)
	reachedWith := float64(with.AdmittedDuringFaults.Count) / float64(with.CallsDuringFaults)
	c.DownstreamCallsSaved = 1 - reachedWith
	c.Summary = fmt.Sprintf("during faults the breaker shed %d of %d calls; caller latency p50 %s vs %s without it, p99 %s vs %s",
		with.ShedDuringFaults, with.CallsDuringFaults, breakerNanos(w.P50), breakerNanos(wo.P50), breakerNanos(w.P99), breakerNanos(wo.P99))
	return c
}

func breakerRatio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
