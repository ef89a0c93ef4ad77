package checker

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// shrinkExplainLimit bounds the verbose check that explains a shrunk
// history; it runs even when the shrink's own time is up.
const shrinkExplainLimit = 10 * time.Second

// explain names the operation the kept units cannot linearize (as the
// linearizability checker does: the longest linearizable prefix and the
// operation that cannot follow it) and says why in one sentence, from the
// kept operations' own times, processes and nodes.
func (s *shrinker) explain(kept []int) (*IllegalOp, string) {
	ops := s.operations(kept)
	res, info := porcupine.CheckOperationsVerbose(RegisterModel(), ops, shrinkExplainLimit)
	partials := info.PartialLinearizationsOperations()
	if res != porcupine.Illegal || len(partials) == 0 {
		return nil, fmt.Sprintf("key %s: these %d operations are not linearizable (the checker found no order for them, but ran out of time naming the operation that breaks it)", s.key, len(kept))
	}
	prefix := longest(partials[0])
	ill := explainKey(s.key, ops, prefix)
	if ill == nil {
		return nil, fmt.Sprintf("key %s: these %d operations are not linearizable", s.key, len(kept))
	}
	state, last := replay(prefix)
	var x *shrinkUnit
	for _, i := range kept {
		if s.units[i].op.Metadata.(*opMeta).Invoke == ill.InvokeIndex {
			x = &s.units[i]
		}
	}
	if x == nil {
		return ill, ill.Explanation
	}
	return ill, s.sentence(kept, x, s.unitOf(kept, last), state)
}

// replay runs a linearization's operations through the register and returns
// the state they leave and its last witness: the last operation that set
// the state or, for a read, saw it.
func replay(prefix []porcupine.Operation) (regValue, *porcupine.Operation) {
	state := regValue{}
	var last *porcupine.Operation
	for i := range prefix {
		in, out := prefix[i].Input.(*regInput), prefix[i].Output.(*regOutput)
		if in.F == FWrite || in.F == FRead && out.Outcome == outcomeOk || in.F == FCas && out.Outcome != outcomeMismatch && state == in.Arg {
			last = &prefix[i]
		}
		_, state = stepRegister(state, in, out)
	}
	return state, last
}

func (s *shrinker) unitOf(kept []int, op *porcupine.Operation) *shrinkUnit {
	if op == nil {
		return nil
	}
	for _, i := range kept {
		if s.units[i].op.Metadata == op.Metadata {
			return &s.units[i]
		}
	}
	return nil
}

// sentence says why x cannot be linearized, from the kept operations'
// times: what x observed, and either that no write of it may have taken
// effect, or that every write of it began after x returned, or that the
// register's value had been set or seen otherwise before x began (and
// after every write of what x saw) — or, failing those, the state the
// longest legal order leaves.
func (s *shrinker) sentence(kept []int, x, last *shrinkUnit, state regValue) string {
	head := fmt.Sprintf("key %s: %s %s %s", s.key, x.who(), x.when(), opResult(x.in(), x.out()))
	v, observes := x.observes()
	var writers []*shrinkUnit
	if observes {
		writers = s.writersOf(kept, v)
	}
	switch {
	case observes && len(writers) == 0:
		return head + fmt.Sprintf(", but no operation that may have taken effect wrote %d", v)
	case observes && slices.IndexFunc(writers, func(w *shrinkUnit) bool { return w.op.Call < x.op.Return }) < 0:
		return head + fmt.Sprintf(", but %s began only at %s, after it had returned", writers[0].who(), formatNanos(writers[0].op.Call))
	case last != nil && last.op.Return < x.op.Call:
		out := head + fmt.Sprintf(", but %s had %s at %s, before it began", last.who(), last.did(state), formatNanos(last.op.Return))
		if !observes || slices.Contains(writers, last) {
			return out
		}
		w := writers[len(writers)-1] // the last to complete
		if w.op.Return < last.op.Call {
			out += fmt.Sprintf(", and that %s had itself begun after %s completed at %s", last.in().F, w.who(), formatNanos(w.op.Return))
		}
		return out
	}
	after := "the register is still absent (null), as every key starts"
	if last != nil {
		after = fmt.Sprintf("after %s the register holds %s", last.who(), state)
	}
	return head + fmt.Sprintf(", but no order of these %d operations allows it: in the longest legal order found, %s", len(kept), after)
}

// did says what a witness of the register's state did: "completed",
// "returned 3", "succeeded".
func (u *shrinkUnit) did(state regValue) string {
	switch u.in().F {
	case FRead:
		return "returned " + state.String()
	case FCas:
		return "succeeded"
	}
	return "completed"
}

// writersOf are the kept writes and cases that may have written v, in
// the order they completed (an unknown outcome last).
func (s *shrinker) writersOf(kept []int, v int64) []*shrinkUnit {
	var ws []*shrinkUnit
	for _, i := range kept {
		u := &s.units[i]
		if in := u.in(); (in.F == FWrite || in.F == FCas && u.out().Outcome != outcomeMismatch) && in.New == v {
			ws = append(ws, u)
		}
	}
	slices.SortStableFunc(ws, func(a, b *shrinkUnit) int { return cmp.Compare(a.op.Return, b.op.Return) })
	return ws
}

// who names an operation: "the write of 7 by process 1 on n1".
func (u *shrinkUnit) who() string {
	s := fmt.Sprintf("the %s by process %d", opNoun(u.in()), u.pair.Invoke.Process)
	if node := u.node(); node != "" {
		s += " on " + node
	}
	return s
}

func (u *shrinkUnit) node() string {
	if !u.pair.Open && u.pair.Completion.Node != "" {
		return u.pair.Completion.Node
	}
	return u.pair.Invoke.Node
}

// when says when an operation ran: "(from 1.2s to 1.3s)", in the
// history's time (since the run started).
func (u *shrinkUnit) when() string {
	if u.op.Return == Forever {
		return fmt.Sprintf("(from %s, never known to complete)", formatNanos(u.op.Call))
	}
	return fmt.Sprintf("(from %s to %s)", formatNanos(u.op.Call), formatNanos(u.op.Return))
}
