package checker

import (
	"fmt"
	"slices"
	"time"
)

// breakerEvent is one decision the breaker took under its lock: a result,
// or a half-open admission or rejection.
type breakerEvent struct {
	kind  breakerEventKind
	seq   uint64
	index int64 // the call's completion
	call  BreakerCall
}

type breakerEventKind uint8

const (
	breakerAdmit breakerEventKind = iota
	breakerReject
	breakerResult
)

// breakerGeneration is one stretch between transitions.
type breakerGeneration struct {
	gen    uint64
	state  string
	start  int64                    // the breaker's clock when it began (0 for generation 0)
	end    *breakerTransitionRecord // the transition that ended it, nil if current
	events []breakerEvent
}

type breakerReplay struct {
	violations []BreakerViolation
	unknown    string
}

func (r *breakerReplay) flag(index int64, gen, seq uint64, format string, args ...any) {
	r.violations = append(r.violations, BreakerViolation{Index: index, Gen: gen, Seq: seq, Why: fmt.Sprintf(format, args...)})
}

// replayBreaker checks h against the model configured by cfg. Violations come out
// sorted by op index, so the first is the first non-conforming decision.
func replayBreaker(cfg BreakerConfig, h *breakerHistory) breakerReplay {
	var r breakerReplay
	if !cfg.Enabled {
		replayBreakerOff(h, &r)
	} else if gens := breakerGenerations(cfg, h, &r); gens != nil {
		placeBreakerCalls(cfg, h, gens, &r)
		for _, g := range gens {
			replayBreakerGeneration(cfg, g, h.undecided, &r)
		}
	}
	slices.SortStableFunc(r.violations, func(a, b BreakerViolation) int { return int(a.Index - b.Index) })
	return r
}

func replayBreakerOff(h *breakerHistory, r *breakerReplay) {
	for _, t := range h.transitions {
		r.flag(t.index, t.Gen, 0, "a transition %s → %s in a run without a breaker", t.From, t.To)
	}
	for _, c := range h.calls {
		if !c.call.Admitted {
			r.flag(c.complete.Index, c.call.Gen, 0, "a call was rejected (%s) in a run without a breaker", c.call.Reason)
		}
	}
}

// breakerEdges are the transitions a breaker may take.
var breakerEdges = map[[2]string]bool{
	{BreakerClosed, BreakerOpen}:     true,
	{BreakerOpen, BreakerHalfOpen}:   true,
	{BreakerHalfOpen, BreakerClosed}: true,
	{BreakerHalfOpen, BreakerOpen}:   true,
}

// breakerGenerations checks the transitions — consecutive generations, legal
// edges, the open delay respected — and returns the generations they
// delimit. It returns nil when the generations cannot be numbered.
func breakerGenerations(cfg BreakerConfig, h *breakerHistory, r *breakerReplay) []*breakerGeneration {
	gens := []*breakerGeneration{{gen: 0, state: BreakerClosed}}
	for i := range h.transitions {
		t := &h.transitions[i]
		prev := gens[len(gens)-1]
		switch {
		case t.Gen != prev.gen+1:
			r.flag(t.index, t.Gen, 0, "transition %s → %s enters generation %d, but the previous one was %d (each transition starts the next generation)",
				t.From, t.To, t.Gen, prev.gen)
			return nil
		case t.From != prev.state:
			r.flag(t.index, t.Gen, 0, "transition from %s, but the breaker was %s", t.From, prev.state)
		case !breakerEdges[[2]string{t.From, t.To}]:
			r.flag(t.index, t.Gen, 0, "illegal transition %s → %s", t.From, t.To)
		case t.At < prev.start:
			r.flag(t.index, t.Gen, 0, "transition at %s, before the previous one at %s", breakerNanos(t.At), breakerNanos(prev.start))
		case t.From == BreakerOpen && t.At < prev.start+int64(cfg.Timeout):
			r.flag(t.index, t.Gen, 0, "moved OPEN → HALF_OPEN %s after opening; the timeout (open delay) is %s",
				time.Duration(t.At-prev.start), cfg.Timeout)
		}
		prev.end = t
		gens = append(gens, &breakerGeneration{gen: t.Gen, state: t.To, start: t.At})
	}
	return gens
}

// placeBreakerCalls checks each decided call against the generation it names and
// files its sequenced decisions there.
func placeBreakerCalls(cfg BreakerConfig, h *breakerHistory, gens []*breakerGeneration, r *breakerReplay) {
	for _, c := range h.calls {
		v, idx := c.call, c.complete.Index
		if v.Gen >= uint64(len(gens)) {
			r.flag(idx, v.Gen, 0, "the call names generation %d, but the breaker's transitions reach only %d", v.Gen, len(gens)-1)
			continue
		}
		g := gens[v.Gen]
		if v.State != g.state {
			r.flag(idx, v.Gen, 0, "the call was decided in generation %d as %s, but that generation was %s", v.Gen, v.State, g.state)
			continue
		}
		if v.Admitted {
			placeBreakerAdmitted(cfg, c, g, r)
		} else {
			placeBreakerRejected(cfg, c, g, r)
		}
	}
	for _, g := range gens {
		slices.SortFunc(g.events, func(a, b breakerEvent) int {
			if a.seq != b.seq {
				return int(a.seq) - int(b.seq)
			}
			return int(a.index - b.index)
		})
	}
}

func placeBreakerAdmitted(cfg BreakerConfig, c breakerCallRecord, g *breakerGeneration, r *breakerReplay) {
	v, idx := c.call, c.complete.Index
	switch g.state {
	case BreakerOpen:
		r.flag(idx, v.Gen, 0, "admitted while OPEN (an open breaker rejects every call)")
		return
	case BreakerHalfOpen:
		g.events = append(g.events, breakerEvent{kind: breakerAdmit, seq: v.AdmitSeq, index: idx, call: v})
	}
	if v.Outcome == BreakerSlow && cfg.SlowCallDuration > 0 && c.latency() < int64(cfg.SlowCallDuration) {
		r.flag(idx, v.Gen, v.Seq, "counted as slow, but the caller saw it take only %s (slow calls take at least %s)",
			time.Duration(c.latency()), cfg.SlowCallDuration)
	}
	switch {
	case v.Late && g.end == nil:
		r.flag(idx, v.Gen, 0, "the result was ignored as late, but generation %d never ended", v.Gen)
	case v.Late:
	case v.Seq == 0:
		r.flag(idx, v.Gen, 0, "the result of an admitted call was neither counted (no seq) nor late")
	default:
		g.events = append(g.events, breakerEvent{kind: breakerResult, seq: v.Seq, index: idx, call: v})
	}
}

func placeBreakerRejected(cfg BreakerConfig, c breakerCallRecord, g *breakerGeneration, r *breakerReplay) {
	v, idx := c.call, c.complete.Index
	switch {
	case g.state == BreakerClosed:
		r.flag(idx, v.Gen, 0, "rejected (%s) while CLOSED", v.Reason)
	case g.state == BreakerOpen && v.Reason != BreakerRejectOpen:
		r.flag(idx, v.Gen, 0, "rejected while OPEN with reason %q, want %q", v.Reason, BreakerRejectOpen)
	case g.state == BreakerOpen && v.At == nil:
		r.flag(idx, v.Gen, 0, "an open breaker's rejection carries no time (\"at\")")
	case g.state == BreakerOpen && *v.At >= g.start+int64(cfg.Timeout):
		r.flag(idx, v.Gen, 0, "rejected as OPEN %s after opening, but the timeout (open delay) is %s: it should have admitted a trial call",
			time.Duration(*v.At-g.start), cfg.Timeout)
	case g.state == BreakerHalfOpen && v.Reason != BreakerRejectTrials:
		r.flag(idx, v.Gen, 0, "rejected while HALF_OPEN with reason %q, want %q", v.Reason, BreakerRejectTrials)
	case g.state == BreakerHalfOpen:
		g.events = append(g.events, breakerEvent{kind: breakerReject, seq: v.AdmitSeq, index: idx, call: v})
	}
}

// replayBreakerGeneration runs one generation's sequenced decisions through the
// model and checks that the generation ended exactly where the model says.
func replayBreakerGeneration(cfg BreakerConfig, g *breakerGeneration, undecided int, r *breakerReplay) {
	if g.state == BreakerOpen {
		return // an open breaker takes no sequenced decision; placeBreakerCalls checked its rejections
	}
	m := newBreakerModel(cfg, g.state)
	var endedAt *breakerEvent // the decision after which the model leaves the generation
	for i := range g.events {
		e := &g.events[i]
		want := uint64(i + 1)
		switch {
		case e.seq < want:
			r.flag(e.index, g.gen, e.seq, "two decisions of generation %d share sequence number %d", g.gen, e.seq)
			return
		case e.seq > want && undecided > 0:
			r.unknown = fmt.Sprintf("generation %d: decision %d is missing (%d calls never completed), so its decisions cannot be replayed in order", g.gen, want, undecided)
			return
		case e.seq > want:
			r.flag(e.index, g.gen, e.seq, "generation %d: decision %d is missing from the history", g.gen, want)
			return
		case endedAt != nil:
			r.flag(e.index, g.gen, e.seq, "decided in %s after the breaker should have left it at op %d (%s)", g.state, endedAt.index, m.why)
			return
		}
		if why, bad := m.step(*e); bad {
			r.flag(e.index, g.gen, e.seq, "%s", why)
			return
		}
		if m.next != "" {
			endedAt = e
		}
		if m.unknown != "" {
			r.unknown = m.unknown
			return
		}
	}
	checkBreakerGenerationEnd(g, endedAt, m, r)
}

// checkBreakerGenerationEnd compares how the generation ended with how the model ends it.
func checkBreakerGenerationEnd(g *breakerGeneration, endedAt *breakerEvent, m *breakerModel, r *breakerReplay) {
	switch {
	case endedAt == nil && g.end != nil:
		r.flag(g.end.index, g.gen+1, 0, "moved %s → %s, but the model stays %s: %s", g.end.From, g.end.To, g.state, m.status())
	case endedAt != nil && g.end == nil:
		r.flag(endedAt.index, g.gen, endedAt.seq, "the breaker should have moved to %s here (%s), but no transition followed", m.next, m.why)
	case endedAt != nil && g.end.To != m.next:
		r.flag(g.end.index, g.gen+1, 0, "moved %s → %s, but the model moves to %s (%s)", g.end.From, g.end.To, m.next, m.why)
	}
}
