package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
)

// LeaseChecker checks what the lock server promises, as opposed to what
// its clients believe: it never grants a lock that is still leased to
// someone else. A holder's belief may outlive its lease (it was paused, or
// its grant arrived late), so two beliefs overlapping is no proof against
// the server (MutualExclusionChecker reports those). But some part of each
// hold is certain: the server granted the lock after the acquire was
// invoked, so the key is surely there from the acquire's ok until the
// earlier of the winning attempt's send plus the lease and the invoke of
// the holder's release. When was the winning attempt sent? The acquire's ok
// says so where the client knows ({"sent": …}); otherwise the acquire's
// invoke is the only bound, which a lock that retries for long makes
// weak. Two certain intervals of one lock that overlap mean the
// server held the lock for two owners at once — for example because a
// release deleted a lock that was no longer its caller's.
//
// The lease is read from each acquire's invoke value ({"lease_ns": …}); a
// history that records none cannot be checked and is unknown. A crash of a
// process (kill) between the two grants may have wiped the server's state
// (a Redis without persistence forgets its keys), so such overlaps are
// listed apart and do not make the history invalid.
type LeaseChecker struct{}

var _ Checker = LeaseChecker{}

// Name is "lease-exclusion".
func (LeaseChecker) Name() string { return "lease-exclusion" }

// leaseSlack absorbs the difference between the server's expiry clock (a
// wall clock of millisecond resolution) and the history's monotonic one.
func leaseSlack(lease int64) int64 { return 2*int64(time.Millisecond) + lease/100 }

// LeaseDetails is the evidence of the check.
type LeaseDetails struct {
	// Holds counts the acquires with a certain interval; Unleased those
	// whose invoke records no lease.
	Holds    int `json:"holds"`
	Unleased int `json:"unleased,omitempty"`
	// Overlaps are the first maxOverlaps double grants, OverlapCount all;
	// AfterCrash counts those excused by a crash between the two grants.
	Overlaps     []Overlap `json:"overlaps,omitempty"`
	OverlapCount int       `json:"overlap_count"`
	AfterCrash   int       `json:"after_crash,omitempty"`
}

// Check finds every pair of certain intervals that overlap.
func (c LeaseChecker) Check(ctx context.Context, ops []history.Op) Result {
	res := Result{Checker: c.Name()}
	pairs, err := Pairs(ops)
	if err != nil {
		res.Explanation = err.Error()
		return res
	}
	holds, _ := LockHolds(ops, pairs)
	leases := acquireLeases(pairs)
	d := &LeaseDetails{}
	res.Details = d
	var sure []Hold
	for _, h := range holds {
		g, ok := leases[h.Acquire]
		if !ok {
			d.Unleased++
			continue
		}
		h.To = min(h.To, g.from+g.lease-leaseSlack(g.lease))
		if h.To > h.From {
			sure = append(sure, h)
		}
	}
	d.Holds = len(sure)
	windows := history.FaultWindows(ops)
	if err := eachOverlap(ctx, sure, func(a, b Hold) {
		if crashBetween(windows, min(a.Invoked, b.Invoked), max(a.From, b.From)) {
			d.AfterCrash++
			return
		}
		d.OverlapCount++
		d.Overlaps = keepOverlap(d.Overlaps, windows, a, b)
	}); err != nil {
		res.Valid, res.Explanation = Unknown, "lease-exclusion check stopped: "+err.Error()
		return res
	}
	switch {
	case d.OverlapCount > 0:
		res.Valid = Invalid
		res.Explanation = describeDoubleGrant(d.Overlaps[0], d.OverlapCount)
	case d.Unleased > 0 && d.Holds == 0:
		res.Valid = Unknown
		res.Explanation = "the history does not record the lock's lease (acquire invoke values without lease_ns), so what the server granted cannot be told from what clients believed"
	case d.Holds == 0:
		res.Valid = Unknown
		res.Explanation = "no acquire succeeded within its lease, so the lock server's exclusion was never tested"
	default:
		res.Valid = Valid
		res.Explanation = fmt.Sprintf("%d grants within their leases, none overlapping", d.Holds)
		if d.AfterCrash > 0 {
			res.Explanation += fmt.Sprintf(" (%d overlapping grants after a crash, which may have wiped the server's state, not counted)", d.AfterCrash)
		}
	}
	return res
}

// grant is what is known of a lease: it ran from no earlier than from
// (ns) for lease ns.
type grant struct{ from, lease int64 }

// acquireLeases maps the ok completion index of each acquire whose invoke
// records a lease to its grant.
func acquireLeases(pairs []Pair) map[int64]grant {
	out := map[int64]grant{}
	for _, p := range pairs {
		if p.Invoke.F != lockAcquire || p.Outcome() != history.Ok || len(p.Invoke.Value) == 0 {
			continue
		}
		var v struct {
			LeaseNS *int64 `json:"lease_ns"`
		}
		if json.Unmarshal(p.Invoke.Value, &v) != nil || v.LeaseNS == nil || *v.LeaseNS <= 0 {
			continue
		}
		g := grant{from: p.Invoke.Time, lease: *v.LeaseNS}
		if _, sent, ok := acquired(p.Completion.Value); ok {
			// Sent within the acquire: a value outside it is not believed.
			g.from = min(max(sent, p.Invoke.Time), p.Completion.Time)
		}
		out[p.Completion.Index] = g
	}
	return out
}

// crashBetween reports whether a kill or power loss began in [from, to].
func crashBetween(windows []history.Window, from, to int64) bool {
	for _, w := range windows {
		if (w.Fault == "kill" || w.Fault == "powerloss") && w.Start >= from && w.Start <= to {
			return true
		}
	}
	return false
}

func describeDoubleGrant(o Overlap, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lock %q granted twice within its lease: %s and %s held it at the server at once for %s from t=%s (each hold counted only while its lease surely ran)",
		o.First.Key, describeHold(o.First), describeHold(o.Second),
		time.Duration(o.To-o.From).Round(time.Millisecond), time.Duration(o.From).Round(time.Millisecond))
	if len(o.Faults) > 0 {
		fmt.Fprintf(&b, "; fault in force: %s", strings.Join(o.Faults, "; "))
	}
	if n > 1 {
		fmt.Fprintf(&b, " (%d overlapping pairs in all)", n)
	}
	return b.String()
}
