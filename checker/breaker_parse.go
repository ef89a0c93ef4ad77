package checker

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/faultline/faultline/history"
)

// breakerHistory is a breaker history sorted into its parts.
type breakerHistory struct {
	config      *BreakerConfig
	calls       []breakerCallRecord // decided calls, in completion order
	transitions []breakerTransitionRecord
	decided     int
	undecided   int
	// latencies of every call that completed, decided or not.
	all []breakerCallRecord
}

type breakerCallRecord struct {
	invoke, complete history.Op
	call             BreakerCall
	decided          bool
}

func (r breakerCallRecord) latency() int64 { return r.complete.Time - r.invoke.Time }

type breakerTransitionRecord struct {
	index int64
	BreakerTransition
}

// parseBreakerHistory pairs the operations and decodes their values.
func parseBreakerHistory(ops []history.Op) (*breakerHistory, error) {
	pairs, err := Pairs(ops)
	if err != nil {
		return nil, err
	}
	h := &breakerHistory{}
	for _, p := range pairs {
		ok := !p.Open && p.Completion.Type == history.Ok
		switch p.Invoke.F {
		case BreakerConfigF:
			if !ok {
				continue
			}
			var cfg BreakerConfig
			if err := decodeBreakerValue(p.Completion, &cfg); err != nil {
				return nil, err
			}
			if cfg.EpochOffset != nil {
				cfg.Epoch = p.Completion.Time + *cfg.EpochOffset
			}
			h.config = &cfg
		case BreakerTransitionF:
			if !ok {
				return nil, fmt.Errorf("%w: op %d: a transition must complete ok", ErrBadHistory, p.Invoke.Index)
			}
			var t BreakerTransition
			if err := decodeBreakerValue(p.Completion, &t); err != nil {
				return nil, err
			}
			h.transitions = append(h.transitions, breakerTransitionRecord{index: p.Completion.Index, BreakerTransition: t})
		case BreakerCallF:
			r := breakerCallRecord{invoke: p.Invoke, complete: p.Completion}
			if ok {
				if err := decodeBreakerValue(p.Completion, &r.call); err != nil {
					return nil, err
				}
				r.decided = r.call.asked()
			}
			if !p.Open {
				h.all = append(h.all, r)
			}
			if r.decided {
				h.decided++
				h.calls = append(h.calls, r)
			} else if !ok {
				h.undecided++
			}
		}
	}
	sortBreakerCalls(h.calls)
	sortBreakerTransitions(h.transitions)
	return h, nil
}

func decodeBreakerValue(op history.Op, v any) error {
	if err := json.Unmarshal(op.Value, v); err != nil {
		return fmt.Errorf("%w: op %d: %s value %s: %v", ErrBadHistory, op.Index, op.F, op.Value, err)
	}
	return nil
}

func sortBreakerCalls(calls []breakerCallRecord) {
	slices.SortFunc(calls, func(a, b breakerCallRecord) int { return int(a.complete.Index - b.complete.Index) })
}

func sortBreakerTransitions(ts []breakerTransitionRecord) {
	slices.SortFunc(ts, func(a, b breakerTransitionRecord) int { return int(a.index - b.index) })
}
