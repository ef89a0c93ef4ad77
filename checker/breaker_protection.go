package checker

import (
	"slices"

	"github.com/faultline/faultline/workloads/history"
)

// BreakerProtection is what the breaker bought: how many calls it shed,
// and how long callers waited, above all while a fault was in force. Run
// the same schedule with --breaker off to compare.
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
	Latency              LatencyFigures `json:"latency"`
	LatencyDuringFaults  LatencyFigures `json:"latency_during_faults"`
	AdmittedDuringFaults LatencyFigures `json:"admitted_latency_during_faults"`
	RejectedDuringFaults LatencyFigures `json:"rejected_latency_during_faults"`
	LatencyOutsideFaults LatencyFigures `json:"latency_outside_faults"`
	Opens                int            `json:"opens"`
	TimeToOpen           []int64        `json:"time_to_open_ns"` // per fault window: from its start to the next opening, -1 if none while it lasted
	FaultWindows         int            `json:"fault_windows"`
}

// LatencyFigures are nearest-rank percentiles in nanoseconds.
type LatencyFigures struct {
	Count int   `json:"count"`
	P50   int64 `json:"p50_ns"`
	P90   int64 `json:"p90_ns"`
	P99   int64 `json:"p99_ns"`
	Max   int64 `json:"max_ns"`
}

func latencyFigures(ls []int64) LatencyFigures {
	if len(ls) == 0 {
		return LatencyFigures{}
	}
	slices.Sort(ls)
	return LatencyFigures{Count: len(ls), P50: quantile(ls, 0.50), P90: quantile(ls, 0.90), P99: quantile(ls, 0.99), Max: ls[len(ls)-1]}
}

func computeProtection(h *breakerHistory, windows []history.Window) BreakerProtection {
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
		case v.Reason == RejectOpen:
			p.RejectedOpen++
		case v.Reason == RejectTrials:
			p.RejectedTrials++
		}
		lat := c.latency()
		all = append(all, lat)
		if !duringAny(windows, c.invoke.Time) {
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
	p.Latency, p.LatencyDuringFaults = latencyFigures(all), latencyFigures(during)
	p.AdmittedDuringFaults, p.RejectedDuringFaults = latencyFigures(admitted), latencyFigures(rejected)
	p.LatencyOutsideFaults = latencyFigures(outside)
	for _, t := range h.transitions {
		if t.To == BreakerOpen {
			p.Opens++
		}
	}
	for _, w := range windows {
		p.TimeToOpen = append(p.TimeToOpen, timeToOpen(h.transitions, w))
	}
	return p
}

// timeToOpen is the time from w's start to the first CLOSED → OPEN inside
// it, or -1.
func timeToOpen(ts []breakerTransitionRecord, w history.Window) int64 {
	for _, t := range ts {
		if t.From == BreakerClosed && t.To == BreakerOpen && w.Contains(t.At) {
			return t.At - w.Start
		}
	}
	return -1
}
