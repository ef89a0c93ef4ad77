package checker

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
)

// shrinkUnit is one operation of the key being shrunk: the pair of history
// entries it came from and the porcupine operation the check sees.
type shrinkUnit struct {
	pair Pair
	op   porcupine.Operation
}

func (u *shrinkUnit) in() *regInput   { return u.op.Input.(*regInput) }
func (u *shrinkUnit) out() *regOutput { return u.op.Output.(*regOutput) }

// shrinker holds one shrink's state. A candidate is a sorted list of
// positions in units (units are in the order of their invokes, so any
// candidate keeps the history's real-time order).
type shrinker struct {
	ctx   context.Context
	limit time.Duration
	key   string
	units []shrinkUnit
	// exempt marks the units whose observation nothing in the whole
	// history explains (see closure): that is the anomaly itself, not
	// something a shrink could strand.
	exempt []bool

	seen              map[string]porcupine.CheckResult // by candidate
	checks, undecided int
	timedOut, minimal bool
}

func (s *shrinker) all() []int {
	all := make([]int, len(s.units))
	for i := range all {
		all[i] = i
	}
	return all
}

// reduce shrinks all the key's operations: delta debugging (ddmin) over
// chunks of them and their complements, then single removals until none
// keeps the history invalid. Every candidate goes through closure. It
// returns the smallest invalid candidate found, all of the key at worst.
func (s *shrinker) reduce() []int {
	c := s.all()
	for n := 2; len(c) >= 2 && s.ctx.Err() == nil; {
		next, ok := s.ddminStep(c, n)
		switch {
		case ok:
			c, n = next.set, next.n
		case n >= len(c):
			n = len(c) + 1 // chunks are single operations: the last pass takes over
		default:
			n = min(2*n, len(c))
		}
		if n > len(c) {
			break
		}
	}
	for {
		next, changed, undecided := s.removeOne(c)
		if !changed {
			s.undecided = undecided
			s.minimal = undecided == 0
			return c
		}
		c = next
	}
}

type ddminNext struct {
	set []int
	n   int
}

// ddminStep cuts c into n chunks and returns the first chunk, or else the
// first complement of a chunk, that is still invalid.
func (s *shrinker) ddminStep(c []int, n int) (ddminNext, bool) {
	bounds := make([]int, n+1)
	for k := range bounds {
		bounds[k] = k * len(c) / n
	}
	for k := range n {
		if cand := s.closure(c[bounds[k]:bounds[k+1]]); len(cand) < len(c) && s.test(cand) == porcupine.Illegal {
			return ddminNext{cand, 2}, true
		}
	}
	if n == 2 {
		return ddminNext{}, false // the complements are the chunks
	}
	for k := range n {
		rest := append(append(make([]int, 0, len(c)), c[:bounds[k]]...), c[bounds[k+1]:]...)
		if cand := s.closure(rest); len(cand) < len(c) && s.test(cand) == porcupine.Illegal {
			return ddminNext{cand, max(n-1, 2)}, true
		}
	}
	return ddminNext{}, false
}

// removeOne tries removing each operation of c in turn (with what closure
// then drops) and returns the first removal that stays invalid. When none
// does, undecided counts the removals whose check could not decide.
func (s *shrinker) removeOne(c []int) (next []int, changed bool, undecided int) {
	for k := range c {
		rest := append(append(make([]int, 0, len(c)-1), c[:k]...), c[k+1:]...)
		cand := s.closure(rest)
		switch s.test(cand) {
		case porcupine.Illegal:
			return cand, true, 0
		case porcupine.Unknown:
			undecided++
		}
	}
	return c, false, undecided
}

// test checks a candidate, once: ddmin meets some candidates again.
func (s *shrinker) test(set []int) porcupine.CheckResult {
	key := make([]byte, 0, 2*len(set))
	for _, i := range set {
		key = binary.AppendUvarint(key, uint64(i))
	}
	if res, ok := s.seen[string(key)]; ok {
		return res
	}
	res := s.check(s.operations(set))
	if res != porcupine.Unknown || s.ctx.Err() == nil {
		s.seen[string(key)] = res // a check cut short by the deadline is not an answer
	}
	return res
}

func (s *shrinker) operations(set []int) []porcupine.Operation {
	ops := make([]porcupine.Operation, len(set))
	for k, i := range set {
		ops[k] = s.units[i].op
	}
	return ops
}

// check runs porcupine on ops within the check limit and the shrink's
// deadline. As in runPorcupine, the deadline makes every model step fail so
// that the search unwinds at once; only a complete linearization is
// trusted then.
func (s *shrinker) check(ops []porcupine.Operation) porcupine.CheckResult {
	if len(ops) == 0 {
		return porcupine.Ok
	}
	limit := s.limit
	if dl, ok := s.ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl))
	}
	if limit <= 0 || s.ctx.Err() != nil {
		s.timedOut = true
		return porcupine.Unknown
	}
	var stop atomic.Bool
	defer context.AfterFunc(s.ctx, func() { stop.Store(true) })()
	s.checks++
	res := porcupine.CheckOperationsTimeout(registerModel(&stop, regValue{}), ops, limit)
	if s.ctx.Err() != nil && res != porcupine.Ok {
		s.timedOut = true
		return porcupine.Unknown
	}
	return res
}
