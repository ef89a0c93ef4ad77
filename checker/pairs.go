package checker

import (
	"errors"
	"fmt"

	"github.com/faultline/faultline/history"
)

// ErrBadHistory is wrapped by every error about a history that breaks the
// format's rules (a process with two outstanding invokes, a completion with
// no invoke, a value of the wrong shape). It is bad input, not an anomaly:
// the CLI exits 254 on it.
var ErrBadHistory = errors.New("bad history")

// Pair is one client operation: its invoke and its completion.
type Pair struct {
	Invoke history.Op
	// Completion is the ok, fail or info that ended the operation; it is
	// the zero Op when Open.
	Completion history.Op
	// Open is true when the history ended before the operation completed
	// (a killed run): its outcome is unknown, exactly like an info.
	Open bool
}

// Outcome is the operation's completion type; an open operation is Info.
func (p Pair) Outcome() history.Type {
	if p.Open {
		return history.Info
	}
	return p.Completion.Type
}

// Latency is the time from invoke to completion in nanoseconds; it is -1
// for an open operation.
func (p Pair) Latency() int64 {
	if p.Open {
		return -1
	}
	return p.Completion.Time - p.Invoke.Time
}

// Pairs matches every client invoke with its completion by process,
// skipping nemesis events, in the order of the invokes. It enforces the
// process rule: a process runs one operation at a time, and a completion
// has the same f as its invoke and does not precede it in time. An invoke
// still outstanding when the history ends becomes an Open pair.
//
// A process id reused after an info is accepted: the info stays open until
// the end of time, so the checkers see two concurrent operations, which is
// what may really have happened.
func Pairs(ops []history.Op) ([]Pair, error) {
	pairs := make([]Pair, 0, len(ops)/2+1) // an invoke and a completion each
	pending := map[int]int{}               // process → position in pairs
	for _, op := range ops {
		if op.IsNemesis() {
			continue
		}
		if op.Type == history.Invoke {
			if at, busy := pending[op.Process]; busy {
				return nil, fmt.Errorf("%w: op %d: process %d invokes %s while its %s invoked at op %d has not completed (a process runs one operation at a time)",
					ErrBadHistory, op.Index, op.Process, op.F, pairs[at].Invoke.F, pairs[at].Invoke.Index)
			}
			pending[op.Process] = len(pairs)
			pairs = append(pairs, Pair{Invoke: op, Open: true})
			continue
		}
		at, busy := pending[op.Process]
		if !busy {
			return nil, fmt.Errorf("%w: op %d: %s of %s by process %d completes nothing (no outstanding invoke for that process)",
				ErrBadHistory, op.Index, op.Type, op.F, op.Process)
		}
		inv := pairs[at].Invoke
		switch {
		case op.F != inv.F:
			return nil, fmt.Errorf("%w: op %d: %s of %s by process %d, but its outstanding invoke (op %d) is %s",
				ErrBadHistory, op.Index, op.Type, op.F, op.Process, inv.Index, inv.F)
		case op.Time < inv.Time:
			return nil, fmt.Errorf("%w: op %d: completes at %d ns, before its invoke (op %d) at %d ns",
				ErrBadHistory, op.Index, op.Time, inv.Index, inv.Time)
		}
		pairs[at].Completion, pairs[at].Open = op, false
		delete(pending, op.Process)
	}
	return pairs, nil
}
