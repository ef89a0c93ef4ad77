package raft

// unstable holds what the core has accepted but the application has not yet
// persisted: entries appended since the last Advance and, on a follower that
// received one, a snapshot. Entry i sits at entries[i-offset].
type unstable struct {
	snapshot *Snapshot
	entries  []Entry
	offset   uint64
}

// maybeFirstIndex is the first index when an unstable snapshot decides it.
func (u *unstable) maybeFirstIndex() (uint64, bool) {
	if u.snapshot != nil {
		return u.snapshot.Meta.Index + 1, true
	}
	return 0, false
}

// maybeLastIndex is the last index when unstable entries or an unstable
// snapshot decide it.
func (u *unstable) maybeLastIndex() (uint64, bool) {
	if l := len(u.entries); l != 0 {
		return u.offset + uint64(l) - 1, true
	}
	if u.snapshot != nil {
		return u.snapshot.Meta.Index, true
	}
	return 0, false
}

// maybeTerm is the term of entry i when the unstable part holds it.
func (u *unstable) maybeTerm(i uint64) (uint64, bool) {
	if i < u.offset {
		if u.snapshot != nil && u.snapshot.Meta.Index == i {
			return u.snapshot.Meta.Term, true
		}
		return 0, false
	}
	last, ok := u.maybeLastIndex()
	if !ok || i > last {
		return 0, false
	}
	return u.entries[i-u.offset].Term, true
}

// stableTo forgets the entries up to i, which the application persisted,
// unless they were replaced since (the term no longer matches).
func (u *unstable) stableTo(i, t uint64) {
	gt, ok := u.maybeTerm(i)
	if !ok || gt != t || i < u.offset {
		return
	}
	u.entries = u.entries[i+1-u.offset:]
	u.offset = i + 1
	if len(u.entries) == 0 {
		u.entries = nil // let the old array go
	}
}

// stableSnapTo forgets the snapshot at index i once persisted.
func (u *unstable) stableSnapTo(i uint64) {
	if u.snapshot != nil && u.snapshot.Meta.Index == i {
		u.snapshot = nil
	}
}

// restore replaces everything with snapshot s.
func (u *unstable) restore(s Snapshot) {
	u.offset = s.Meta.Index + 1
	u.entries = nil
	u.snapshot = &s
}

// truncateAndAppend appends ents, first cutting off any unstable entries at
// or after ents[0].Index (they conflict with the leader's log).
func (u *unstable) truncateAndAppend(ents []Entry) {
	after := ents[0].Index
	switch {
	case after == u.offset+uint64(len(u.entries)):
		u.entries = append(u.entries, ents...)
	case after <= u.offset:
		// Everything unstable is replaced; the storage's copy of the
		// entries from after on is replaced when the application appends.
		u.offset = after
		u.entries = append([]Entry(nil), ents...)
	default:
		kept := u.entries[:after-u.offset]
		u.entries = append(append(make([]Entry, 0, len(kept)+len(ents)), kept...), ents...)
	}
}

// slice returns unstable entries [lo, hi).
func (u *unstable) slice(lo, hi uint64) []Entry {
	return u.entries[lo-u.offset : hi-u.offset]
}
