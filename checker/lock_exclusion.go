package checker

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
)

// The operations of the lock workloads.
const (
	lockAcquire = "acquire"
	lockRelease = "release"
)

// MutualExclusionChecker checks that no two processes believed they held the
// same lock at the same time. A process believes it holds the lock from the
// ok of its acquire to the invoke of its release (or its next acquire), or
// to the end of the history. Only overlaps between two ok acquires count: an
// acquire that ended info may have taken the lock, but nobody believed it,
// so it is reported as possibly held and never makes the history invalid.
type MutualExclusionChecker struct{}

var _ Checker = MutualExclusionChecker{}

// Name is "mutual-exclusion".
func (MutualExclusionChecker) Name() string { return "mutual-exclusion" }

// Hold is one process's belief that it held a lock.
type Hold struct {
	Key     string          `json:"key"`
	Process int             `json:"process"`
	Acquire int64           `json:"acquire_index"` // the ok of the acquire
	Invoked int64           `json:"invoked"`       // ns: when the acquire was invoked
	Release int64           `json:"release_index"` // the invoke that ended the belief; -1 at the end of the history
	From    int64           `json:"from"`          // ns
	To      int64           `json:"to"`            // ns
	Token   json.RawMessage `json:"token,omitempty"`
}

// Overlap is two holds of the same lock at once, with the faults in force
// from the first of the two acquires to the end of the overlap (a grant
// delayed by a fault may arrive just after the fault is healed).
type Overlap struct {
	First  Hold     `json:"first"`
	Second Hold     `json:"second"`
	From   int64    `json:"from"` // ns
	To     int64    `json:"to"`   // ns
	Faults []string `json:"faults"`
}

// MutualExclusionDetails is the evidence of the check.
type MutualExclusionDetails struct {
	Holds int `json:"holds"`
	// PossiblyHeld counts acquires that ended info: they may have taken the
	// lock, but no process believed it.
	PossiblyHeld int       `json:"possibly_held"`
	Overlaps     []Overlap `json:"overlaps,omitempty"`
	// OverlapCount is the number of overlapping pairs; Overlaps lists at
	// most the first maxOverlaps.
	OverlapCount int `json:"overlap_count"`
}

const maxOverlaps = 20

// Check finds every overlap of beliefs.
func (c MutualExclusionChecker) Check(ctx context.Context, ops []history.Op) Result {
	res := Result{Checker: c.Name()}
	pairs, err := Pairs(ops)
	if err != nil {
		res.Explanation = err.Error()
		return res
	}
	holds, possibly := LockHolds(ops, pairs)
	d := &MutualExclusionDetails{Holds: len(holds), PossiblyHeld: possibly}
	res.Details = d
	windows := history.FaultWindows(ops)
	if err := eachOverlap(ctx, holds, func(a, b Hold) {
		d.OverlapCount++
		d.Overlaps = keepOverlap(d.Overlaps, windows, a, b)
	}); err != nil {
		res.Valid, res.Explanation = Unknown, "mutual-exclusion check stopped: "+err.Error()
		return res
	}
	switch {
	case d.OverlapCount > 0:
		res.Valid = Invalid
		res.Explanation = describeOverlap(longestOverlap(d.Overlaps), d.OverlapCount)
	case len(holds) == 0:
		res.Valid = Unknown
		res.Explanation = "no acquire succeeded, so mutual exclusion was never tested"
	default:
		res.Valid = Valid
		res.Explanation = fmt.Sprintf("%d holds, none overlapping (%d acquires of unknown outcome)", len(holds), possibly)
	}
	return res
}

// eachOverlap calls f with every two holds (sorted by From) of one lock by
// two processes that overlap in time. It returns ctx's cause if ctx ends.
func eachOverlap(ctx context.Context, holds []Hold, f func(a, b Hold)) error {
	for i := range holds {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		for j := i + 1; j < len(holds) && holds[j].From < holds[i].To; j++ {
			a, b := holds[i], holds[j]
			if a.Key != b.Key || a.Process == b.Process || b.To <= a.From {
				continue
			}
			f(a, b)
		}
	}
	return nil
}

// keepOverlap appends the overlap of a and b, with the faults in force
// from the first of the two acquires to its end, while the list is shorter
// than maxOverlaps.
func keepOverlap(list []Overlap, windows []history.Window, a, b Hold) []Overlap {
	if len(list) >= maxOverlaps {
		return list
	}
	o := Overlap{First: a, Second: b, From: max(a.From, b.From), To: min(a.To, b.To)}
	o.Faults = faultsDuring(windows, min(a.Invoked, b.Invoked), o.To)
	return append(list, o)
}

// LockHolds returns the beliefs of holding a lock, sorted by start, and the
// number of acquires whose outcome is unknown.
func LockHolds(ops []history.Op, pairs []Pair) (holds []Hold, possibly int) {
	end := int64(0)
	if len(ops) > 0 {
		end = ops[len(ops)-1].Time
	}
	// next[i] is the position in pairs of the process's next acquire or
	// release of the same lock after pair i: what ends a belief (the
	// critical section's own operations, like the fenced workload's reads
	// and writes, do not).
	next := make([]int, len(pairs))
	type procKey struct {
		process int
		key     string
	}
	last := map[procKey]int{}
	for i := len(pairs) - 1; i >= 0; i-- {
		inv := pairs[i].Invoke
		pk := procKey{inv.Process, inv.Key}
		next[i] = -1
		if j, ok := last[pk]; ok {
			next[i] = j
		}
		if inv.F == lockAcquire || inv.F == lockRelease {
			last[pk] = i
		}
	}
	for i, p := range pairs {
		if p.Invoke.F != lockAcquire {
			continue
		}
		switch p.Outcome() {
		case history.Info:
			possibly++
			continue
		case history.Fail:
			continue
		}
		token, _, _ := acquired(p.Completion.Value)
		h := Hold{Key: p.Invoke.Key, Process: p.Invoke.Process, Acquire: p.Completion.Index, Invoked: p.Invoke.Time,
			Release: -1, From: p.Completion.Time, To: end, Token: token}
		if j := next[i]; j >= 0 {
			h.Release, h.To = pairs[j].Invoke.Index, pairs[j].Invoke.Time
		}
		holds = append(holds, h)
	}
	slices.SortStableFunc(holds, func(a, b Hold) int { return cmp.Compare(a.From, b.From) })
	return holds, possibly
}

// acquired reads an acquire's ok value: the token (an integer, or null for
// a lock without tokens), or an object {"token": …, "sent": …} that also
// says when the winning attempt was sent (ns; ok false when it does not).
func acquired(v json.RawMessage) (token json.RawMessage, sent int64, ok bool) {
	if len(v) == 0 || v[0] != '{' {
		return v, 0, false
	}
	var a struct {
		Token json.RawMessage `json:"token"`
		Sent  *int64          `json:"sent"`
	}
	if json.Unmarshal(v, &a) != nil {
		return v, 0, false
	}
	if a.Sent == nil {
		return a.Token, 0, false
	}
	return a.Token, *a.Sent, true
}

// faultsDuring names the faults in force at some time in [from, to].
func faultsDuring(windows []history.Window, from, to int64) []string {
	var out []string
	for _, w := range windows {
		if w.Start <= to && (w.Open() || w.End >= from) {
			s := w.Fault
			if len(w.Value) > 0 && string(w.Value) != "null" {
				s += " " + string(w.Value)
			}
			out = append(out, s)
		}
	}
	return out
}

// longestOverlap is the overlap that lasted longest: the clearest evidence.
func longestOverlap(os []Overlap) Overlap {
	best := os[0]
	for _, o := range os[1:] {
		if o.To-o.From > best.To-best.From {
			best = o
		}
	}
	return best
}

func describeHold(h Hold) string {
	s := fmt.Sprintf("process %d (acquired at op %d", h.Process, h.Acquire)
	if len(h.Token) > 0 && string(h.Token) != "null" {
		s += ", token " + string(h.Token)
	}
	if h.Release >= 0 {
		return s + fmt.Sprintf(", released at op %d)", h.Release)
	}
	return s + ", never released)"
}

func describeOverlap(o Overlap, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lock %q held twice: %s and %s both believed they held it for %s from t=%s",
		o.First.Key, describeHold(o.First), describeHold(o.Second),
		time.Duration(o.To-o.From).Round(time.Millisecond), time.Duration(o.From).Round(time.Millisecond))
	if len(o.Faults) > 0 {
		fmt.Fprintf(&b, "; fault in force: %s", strings.Join(o.Faults, "; "))
	} else {
		b.WriteString("; no fault was in force")
	}
	if n > 1 {
		fmt.Fprintf(&b, " (%d overlapping pairs in all)", n)
	}
	return b.String()
}
