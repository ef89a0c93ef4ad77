package checker

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/faultline/faultline/history"
)

// OpCounts counts client operations by outcome. Info includes the Open
// operations, whose invoke the history never completed.
type OpCounts struct {
	Total int `json:"total"`
	Ok    int `json:"ok"`
	Fail  int `json:"fail"`
	Info  int `json:"info"`
	Open  int `json:"open,omitempty"`
}

func (c *OpCounts) add(p Pair) {
	c.Total++
	switch p.Outcome() {
	case history.Ok:
		c.Ok++
	case history.Fail:
		c.Fail++
	default:
		c.Info++
	}
	if p.Open {
		c.Open++
	}
}

// Latency is the latency distribution of one f and outcome, in
// nanoseconds from invoke to completion.
type Latency struct {
	F       string       `json:"f"`
	Outcome history.Type `json:"outcome"`
	Count   int          `json:"count"`
	P50     int64        `json:"p50_ns"`
	P90     int64        `json:"p90_ns"`
	P99     int64        `json:"p99_ns"`
	Max     int64        `json:"max_ns"`
}

// Stats describes the work a run did.
type Stats struct {
	Ops OpCounts            `json:"ops"`
	ByF map[string]OpCounts `json:"by_f"`
	// Latencies has one row per f and outcome (open operations have no
	// latency), sorted by f then outcome.
	Latencies []Latency `json:"latencies"`
	// Duration is the time from the first to the last entry (ns).
	Duration int64 `json:"duration_ns"`
	// Throughput is completed operations per second over Duration;
	// OkThroughput counts only ok ones.
	Throughput   float64 `json:"throughput"`
	OkThroughput float64 `json:"ok_throughput"`
	// FaultWindows is the number of fault windows; OkDuringFaults the ok
	// operations that completed while at least one fault was active.
	FaultWindows   int `json:"fault_windows"`
	OkDuringFaults int `json:"ok_during_faults"`
}

// ComputeStats counts the operations of a history. pairs and windows are
// those of ops (see Pairs and history.FaultWindows).
func ComputeStats(ops []history.Op, pairs []Pair, windows []history.Window) Stats {
	s := Stats{ByF: map[string]OpCounts{}, FaultWindows: len(windows)}
	type fo struct {
		f       string
		outcome history.Type
	}
	lat := map[fo][]int64{}
	for _, p := range pairs {
		s.Ops.add(p)
		c := s.ByF[p.Invoke.F]
		c.add(p)
		s.ByF[p.Invoke.F] = c
		if p.Open {
			continue
		}
		k := fo{p.Invoke.F, p.Completion.Type}
		lat[k] = append(lat[k], p.Latency())
		if p.Completion.Type == history.Ok && duringAny(windows, p.Completion.Time) {
			s.OkDuringFaults++
		}
	}
	for k, ls := range lat {
		slices.Sort(ls)
		s.Latencies = append(s.Latencies, Latency{
			F: k.f, Outcome: k.outcome, Count: len(ls),
			P50: quantile(ls, 0.50), P90: quantile(ls, 0.90), P99: quantile(ls, 0.99), Max: ls[len(ls)-1],
		})
	}
	sort.Slice(s.Latencies, func(i, j int) bool {
		a, b := s.Latencies[i], s.Latencies[j]
		return a.F < b.F || a.F == b.F && outcomeRank(a.Outcome) < outcomeRank(b.Outcome)
	})
	if len(ops) > 0 {
		s.Duration = ops[len(ops)-1].Time - ops[0].Time
	}
	if s.Duration > 0 {
		secs := float64(s.Duration) / 1e9
		s.Throughput = float64(s.Ops.Total-s.Ops.Open) / secs
		s.OkThroughput = float64(s.Ops.Ok) / secs
	}
	return s
}

func outcomeRank(t history.Type) int {
	switch t {
	case history.Ok:
		return 0
	case history.Fail:
		return 1
	}
	return 2
}

// quantile is the nearest-rank q-quantile of sorted values.
func quantile(sorted []int64, q float64) int64 {
	i := int(q*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func duringAny(windows []history.Window, t int64) bool {
	for _, w := range windows {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// StatsChecker applies the "too little work" rule: a run with no ok client
// operation at all, or — when faults were injected — none that completed
// while a fault was active, proves nothing and is Unknown. Its details are
// the run's Stats.
type StatsChecker struct{}

var _ Checker = StatsChecker{}

// Name is "stats".
func (StatsChecker) Name() string { return "stats" }

// Check counts the operations and applies the rule.
func (c StatsChecker) Check(_ context.Context, ops []history.Op) Result {
	pairs, err := Pairs(ops)
	if err != nil {
		return Result{Checker: c.Name(), Valid: Unknown, Explanation: err.Error()}
	}
	return c.check(ComputeStats(ops, pairs, history.FaultWindows(ops)))
}

func (c StatsChecker) check(s Stats) Result {
	r := Result{Checker: c.Name(), Valid: Valid, Details: s}
	switch {
	case s.Ops.Ok == 0:
		r.Valid = Unknown
		r.Explanation = fmt.Sprintf("too little work: no client operation succeeded (%s ops: %s fail, %s info)",
			thousands(s.Ops.Total), thousands(s.Ops.Fail), thousands(s.Ops.Info))
	case s.FaultWindows > 0 && s.OkDuringFaults == 0:
		r.Valid = Unknown
		r.Explanation = fmt.Sprintf("too little work: no client operation succeeded while a fault was active (%d fault windows)", s.FaultWindows)
	default:
		r.Explanation = fmt.Sprintf("%s ops (%s ok, %s fail, %s info), %s ok while a fault was active",
			thousands(s.Ops.Total), thousands(s.Ops.Ok), thousands(s.Ops.Fail), thousands(s.Ops.Info), thousands(s.OkDuringFaults))
	}
	return r
}
