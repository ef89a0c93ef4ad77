package checker

import (
	"math"
	"slices"
	"time"

	"github.com/faultline/faultline/history"
)

// BreakerProtection is what the breaker bought: how many calls it shed,
// and how long callers waited, above all while a fault was in force. Run
// the same schedule with the breaker off to compare.
type BreakerProtection struct {
	Calls          int            `json:"calls"`
	Admitted       int            `json:"admitted"`
	RejectedOpen   int            `json:"rejected_open"`
	RejectedTrials int            `json:"rejected_trials"`
	ByOutcome      map[string]int `json:"by_outcome"`
	// ShedDuringFaults counts rejected calls invoked while a fault was in
	// force; DownstreamErrorsDuringFaults the admitted calls whose
	// downstream failed then.
	CallsDuringFaults            int `json:"calls_during_faults"`
	ShedDuringFaults             int `json:"shed_during_faults"`
	DownstreamErrorsDuringFaults int `json:"downstream_errors_during_faults"`
	// Caller latency (invoke to completion), overall, during faults, and
	// during faults split into admitted and rejected calls.
	Latency              BreakerLatency `json:"latency"`
	LatencyDuringFaults  BreakerLatency `json:"latency_during_faults"`
	AdmittedDuringFaults BreakerLatency `json:"admitted_latency_during_faults"`
	RejectedDuringFaults BreakerLatency `json:"rejected_latency_during_faults"`
	LatencyOutsideFaults BreakerLatency `json:"latency_outside_faults"`
	Opens                int            `json:"opens"`
	TimeToOpen           []int64        `json:"time_to_open_ns"` // per fault window: from its start to the next opening, -1 if none while it lasted
	FaultWindows         int            `json:"fault_windows"`
}

// BreakerLatency are nearest-rank percentiles in nanoseconds.
type BreakerLatency struct {
	Count int   `json:"count"`
	P50   int64 `json:"p50_ns"`
	P90   int64 `json:"p90_ns"`
	P99   int64 `json:"p99_ns"`
	Max   int64 `json:"max_ns"`
}

func breakerLatency(ls []int64) BreakerLatency {
	if len(ls) == 0 {
		return BreakerLatency{}
	}
	slices.Sort(ls)
	return BreakerLatency{Count: len(ls), P50: breakerRank(ls, 0.50), P90: breakerRank(ls, 0.90), P99: breakerRank(ls, 0.99), Max: ls[len(ls)-1]}
}

func breakerProtection(h *breakerHistory, windows []history.Window) BreakerProtection {
	p := BreakerProtection{ByOutcome: map[string]int{}, FaultWindows: len(windows), TimeToOpen: []int64{}}
	var all, during, admitted, rejected, outside []int64
	for _, c := range h.all {
		p.Calls++
		v := c.call
		if c.decided {
			p.ByOutcome[v.Outcome]++
		}
		switch {
		case v.Admitted:
			p.Admitted++
		case v.Reason == BreakerRejectOpen:
			p.RejectedOpen++
		case v.Reason == BreakerRejectTrials:
			p.RejectedTrials++
		}
		lat := c.latency()
		all = append(all, lat)
		if !breakerInWindow(windows, c.invoke.Time) {
			outside = append(outside, lat)
			continue
		}
		p.CallsDuringFaults++
		during = append(during, lat)
		switch {
		case v.Admitted:
			admitted = append(admitted, lat)
			if v.Downstream != "" && v.Downstream != "ok" {
				p.DownstreamErrorsDuringFaults++
			}
		case c.decided:
			rejected = append(rejected, lat)
			p.ShedDuringFaults++
		}
	}
	p.Latency, p.LatencyDuringFaults = breakerLatency(all), breakerLatency(during)
	p.AdmittedDuringFaults, p.RejectedDuringFaults = breakerLatency(admitted), breakerLatency(rejected)
	p.LatencyOutsideFaults = breakerLatency(outside)
	for _, t := range h.transitions {
		if t.To == BreakerOpen {
			p.Opens++
		}
	}
	for _, w := range windows {
		p.TimeToOpen = append(p.TimeToOpen, breakerTimeToOpen(h.transitions, w))
	}
	return p
}

// breakerTimeToOpen is the time from w's start to the first CLOSED → OPEN inside
// it, or -1.
func breakerTimeToOpen(ts []breakerTransitionRecord, w history.Window) int64 {
	for _, t := range ts {
		if t.From == BreakerClosed && t.To == BreakerOpen && w.Contains(t.At) {
			return t.At - w.Start
		}
	}
	return -1
}

// breakerRank is the nearest-rank q-quantile of sorted values.
func breakerRank(sorted []int64, q float64) int64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func breakerInWindow(windows []history.Window, t int64) bool {
	for _, w := range windows {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// breakerNanos prints nanoseconds as a duration.
func breakerNanos(ns int64) string { return time.Duration(ns).String() }
