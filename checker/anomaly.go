package checker

import (
	"cmp"
	"slices"

	"github.com/faultline/faultline/history"
)

// FirstAnomaly is when the first operation that shows an anomaly completed
// (ns since the run started), over every checker that found one: the
// linearizability check's first illegal operation, the first decision of
// the breaker that its model forbids, the start of the first double hold of
// a lock, the second of two acknowledged writes of one value at the fenced
// resource. ok is false when the verdict is not invalid, or when no checker
// located its anomaly in time (porcupine's verdict on the fenced resource
// alone names no operation).
func (s *Summary) FirstAnomaly() (ns int64, ok bool) {
	if s.Valid != Invalid {
		return 0, false
	}
	found := func(t int64) {
		if !ok || t < ns {
			ns, ok = t, true
		}
	}
	for _, r := range s.Results {
		if r.Valid != Invalid {
			continue
		}
		switch d := r.Details.(type) {
		case *LinearizabilityDetails:
			if f := d.FirstIllegal; f != nil {
				if f.Completed >= 0 {
					found(f.Completed)
				} else {
					found(f.Invoked)
				}
			}
		case *BreakerDetails:
			if d.First != nil {
				if t, known := s.timeOf(d.First.Index); known {
					found(t)
				}
			}
		case *MutualExclusionDetails:
			for _, o := range d.Overlaps {
				found(o.From)
			}
		case *LeaseDetails:
			for _, o := range d.Overlaps {
				found(o.From)
			}
		case *FencedDetails:
			for _, lu := range d.LostUpdates {
				if len(lu.Writes) < 2 {
					continue
				}
				w := slices.Sorted(slices.Values(lu.Writes))
				if t, known := s.timeOf(w[1]); known {
					found(t)
				}
			}
		}
	}
	return ns, ok
}

// timeOf is the time of the history's operation at index.
func (s *Summary) timeOf(index int64) (int64, bool) {
	i, found := slices.BinarySearchFunc(s.ops, index, func(op history.Op, index int64) int { return cmp.Compare(op.Index, index) })
	if !found {
		return 0, false
	}
	return s.ops[i].Time, true
}
