package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
)

// FaultCoverage is what one kind of fault did during a run.
type FaultCoverage struct {
	// Fault is the kind: the f of its start events (partition, pause, …).
	Fault string `json:"fault"`
	// Injected counts its windows; Unhealed those never ended in the
	// history (they count as lasting until the history's last entry).
	Injected int `json:"injected"`
	Unhealed int `json:"unhealed,omitempty"`
	// HitLeader counts the windows that struck the node leading when the
	// fault began (killed or paused it, or cut one of its links), as the
	// nemesis recorded it; LeaderUnknown those for which no leader could be
	// found or none was recorded (a system without one, an older history).
	HitLeader     int `json:"hit_leader"`
	LeaderUnknown int `json:"leader_unknown,omitempty"`
	// Total and Max are the summed and the longest window (ns).
	Total int64 `json:"total_ns"`
	Max   int64 `json:"max_ns"`
	// Ops counts the client operations that completed while a fault of
	// this kind was active: their completion time falls inside one of its
	// windows. Operations that never completed are not counted.
	Ops OpCounts `json:"ops"`
}

// Coverage is the fault coverage of a run.
type Coverage struct {
	// Faults has one entry per kind, in the order kinds first appear.
	Faults []FaultCoverage `json:"faults"`
	// Missing are the requested kinds that were never injected.
	Missing []string `json:"missing,omitempty"`
}

// ComputeCoverage measures each kind of fault of windows against the
// operations of pairs. requested lists the kinds the run asked for.
func ComputeCoverage(ops []history.Op, pairs []Pair, windows []history.Window, requested []string) Coverage {
	var end int64
	if len(ops) > 0 {
		end = ops[len(ops)-1].Time
	}
	var cov Coverage
	at := map[string]int{}
	byKind := map[string][]history.Window{}
	for _, w := range windows {
		i, ok := at[w.Fault]
		if !ok {
			i = len(cov.Faults)
			at[w.Fault] = i
			cov.Faults = append(cov.Faults, FaultCoverage{Fault: w.Fault})
		}
		fc := &cov.Faults[i]
		fc.Injected++
		var d struct {
			HitLeader *bool `json:"hit_leader"`
		}
		switch _ = json.Unmarshal(w.Value, &d); {
		case d.HitLeader == nil:
			fc.LeaderUnknown++
		case *d.HitLeader:
			fc.HitLeader++
		}
		stop := w.End
		if w.Open() {
			fc.Unhealed++
			stop = end
		}
		fc.Total += max(stop-w.Start, 0)
		fc.Max = max(fc.Max, stop-w.Start)
		byKind[w.Fault] = append(byKind[w.Fault], w)
	}
	for i := range cov.Faults {
		fc := &cov.Faults[i]
		for _, p := range pairs {
			if !p.Open && duringAny(byKind[fc.Fault], p.Completion.Time) {
				fc.Ops.add(p)
			}
		}
	}
	for _, r := range requested {
		if _, ok := at[r]; !ok {
			cov.Missing = append(cov.Missing, r)
		}
	}
	return cov
}

// CoverageChecker reports the fault coverage; a requested fault that was
// never injected makes it Unknown, since the run did not test what was
// asked.
type CoverageChecker struct {
	// Requested lists the fault kinds the run asked for, as the f of their
	// start events.
	Requested []string
}

var _ Checker = CoverageChecker{}

// Name is "coverage".
func (CoverageChecker) Name() string { return "coverage" }

// Check measures coverage and applies the rule.
func (c CoverageChecker) Check(_ context.Context, ops []history.Op) Result {
	pairs, err := Pairs(ops)
	if err != nil {
		return Result{Checker: c.Name(), Valid: Unknown, Explanation: err.Error()}
	}
	return c.check(ComputeCoverage(ops, pairs, history.FaultWindows(ops), c.Requested))
}

func (c CoverageChecker) check(cov Coverage) Result {
	r := Result{Checker: c.Name(), Valid: Valid, Details: cov}
	if len(cov.Missing) > 0 {
		r.Valid = Unknown
		verb := "was"
		if len(cov.Missing) > 1 {
			verb = "were"
		}
		r.Explanation = fmt.Sprintf("fault %s %s requested but never injected", strings.Join(cov.Missing, ", "), verb)
		return r
	}
	if len(cov.Faults) == 0 {
		r.Explanation = "no faults injected"
		return r
	}
	parts := make([]string, len(cov.Faults))
	for i, f := range cov.Faults {
		parts[i] = fmt.Sprintf("%s ×%d (%s, %s ok during)", f.Fault, f.Injected, formatNanos(f.Total), thousands(f.Ops.Ok))
	}
	r.Explanation = strings.Join(parts, ", ")
	return r
}

// Lines says the coverage in words, one line per fault kind, for the CLI's
// closing lines: how often and how long each fault was in force, and what
// the operations did meanwhile.
func (c Coverage) Lines() []string {
	var lines []string
	for _, f := range c.Faults {
		line := fmt.Sprintf("%s: injected %s, in force %s (longest %s); ops completed meanwhile: %s ok, %s fail, %s info",
			f.Fault, plural(f.Injected, "time", "times"), time.Duration(f.Total).Round(time.Millisecond),
			time.Duration(f.Max).Round(time.Millisecond), thousands(f.Ops.Ok), thousands(f.Ops.Fail), thousands(f.Ops.Info))
		if known := f.Injected - f.LeaderUnknown; known > 0 {
			line += fmt.Sprintf("; hit the leader %d of %d", f.HitLeader, known)
		}
		if f.Unhealed > 0 {
			line += fmt.Sprintf("; %d never healed in the history", f.Unhealed)
		}
		lines = append(lines, line)
	}
	for _, m := range c.Missing {
		lines = append(lines, m+": requested, never injected")
	}
	return lines
}
