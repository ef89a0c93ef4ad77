package raft

import (
	"errors"
	"fmt"
	"log/slog"
)

// raftLog is the node's view of its log: the persisted part in Storage
// followed by the unstable part not yet handed to the application, plus
// the commit and apply indexes.
type raftLog struct {
	storage  Storage
	unstable unstable
	// committed is the highest index known to be stored on a quorum.
	committed uint64
	// applied is the highest index the application has applied.
	applied uint64
	logger  *slog.Logger
	// maxApplyingSize bounds the committed entries in one Ready.
	maxApplyingSize uint64
}

func newLog(storage Storage, logger *slog.Logger, maxApplyingSize uint64) (*raftLog, error) {
	first, err := storage.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("reading first index from storage: %w", err)
	}
	last, err := storage.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("reading last index from storage: %w", err)
	}
	l := &raftLog{storage: storage, logger: logger, maxApplyingSize: maxApplyingSize}
	l.unstable.offset = last + 1
	// The snapshot's entries count as committed and applied.
	l.committed = first - 1
	l.applied = first - 1
	return l, nil
}

func (l *raftLog) firstIndex() uint64 {
	if i, ok := l.unstable.maybeFirstIndex(); ok {
		return i
	}
	i, err := l.storage.FirstIndex()
	if err != nil {
		panic(fmt.Sprintf("raft: storage.FirstIndex failed: %v", err))
	}
	return i
}

func (l *raftLog) lastIndex() uint64 {
	if i, ok := l.unstable.maybeLastIndex(); ok {
		return i
	}
	i, err := l.storage.LastIndex()
	if err != nil {
		panic(fmt.Sprintf("raft: storage.LastIndex failed: %v", err))
	}
	return i
}

func (l *raftLog) lastTerm() uint64 {
	t, err := l.term(l.lastIndex())
	if err != nil {
		panic(fmt.Sprintf("raft: term of last index: %v", err))
	}
	return t
}

// term returns the term of entry i: ErrCompacted before the snapshot,
// ErrUnavailable after the last entry.
func (l *raftLog) term(i uint64) (uint64, error) {
	if i+1 < l.firstIndex() {
		return 0, ErrCompacted
	}
	if i > l.lastIndex() {
		return 0, ErrUnavailable
	}
	if t, ok := l.unstable.maybeTerm(i); ok {
		return t, nil
	}
	t, err := l.storage.Term(i)
	if err == nil || errors.Is(err, ErrCompacted) || errors.Is(err, ErrUnavailable) {
		return t, err
	}
	panic(fmt.Sprintf("raft: storage.Term(%d) failed: %v", i, err))
}

// matchTerm reports whether entry i exists with term t.
func (l *raftLog) matchTerm(i, t uint64) bool {
	got, err := l.term(i)
	return err == nil && got == t
}

// zeroTermOnOutOfBounds turns a compacted/unavailable lookup into term 0.
func (l *raftLog) zeroTermOnOutOfBounds(t uint64, err error) uint64 {
	if err != nil {
		return 0
	}
	return t
}

// isUpToDate reports whether a log ending at (lasti, term) is at least as
// up to date as ours: the election restriction of Raft §5.4.1.
func (l *raftLog) isUpToDate(lasti, term uint64) bool {
	lt := l.lastTerm()
	return term > lt || (term == lt && lasti >= l.lastIndex())
}

// maybeAppend is the follower's side of AppendEntries: if our entry at
// index has logTerm, append ents (dropping any conflicting suffix), advance
// commit to min(committed, last new index) and return the last new index.
func (l *raftLog) maybeAppend(index, logTerm, committed uint64, ents []Entry) (uint64, bool) {
	if !l.matchTerm(index, logTerm) {
		return 0, false
	}
	lastNew := index + uint64(len(ents))
	if ci := l.findConflict(ents); ci != 0 {
		if ci <= l.committed {
			panic(fmt.Sprintf("raft: entry %d conflicts with committed entry (committed %d)", ci, l.committed))
		}
		l.append(ents[ci-index-1:]...)
	}
	l.commitTo(min(committed, lastNew))
	return lastNew, true
}

// append adds ents to the unstable log and returns the new last index.
func (l *raftLog) append(ents ...Entry) uint64 {
	if len(ents) == 0 {
		return l.lastIndex()
	}
	if after := ents[0].Index - 1; after < l.committed {
		panic(fmt.Sprintf("raft: append after %d is below committed %d", after, l.committed))
	}
	l.unstable.truncateAndAppend(ents)
	return l.lastIndex()
}

// findConflict returns the index of the first entry of ents that is missing
// from our log or has a different term there, or 0 when all match.
func (l *raftLog) findConflict(ents []Entry) uint64 {
	for _, e := range ents {
		if !l.matchTerm(e.Index, e.Term) {
			if e.Index <= l.lastIndex() {
				l.logger.Debug("found conflict", "index", e.Index,
					"existing_term", l.zeroTermOnOutOfBounds(l.term(e.Index)), "conflicting_term", e.Term)
			}
			return e.Index
		}
	}
	return 0
}

// findConflictByTerm returns the largest index <= index whose term is <=
// term, and that term. Both sides of a rejected AppendEntries use it to skip
// a whole term of divergent entries per round trip instead of one entry.
func (l *raftLog) findConflictByTerm(index, term uint64) (uint64, uint64) {
	for ; index > 0; index-- {
		t, err := l.term(index)
		if err != nil {
			return index, 0 // compacted: cannot look further back
		}
		if t <= term {
			return index, t
		}
	}
	return 0, 0
}

func (l *raftLog) unstableEntries() []Entry {
	if len(l.unstable.entries) == 0 {
		return nil
	}
	return l.unstable.entries
}

// nextCommittedEnts returns the committed entries not yet applied.
func (l *raftLog) nextCommittedEnts() []Entry {
	if l.hasPendingSnapshot() {
		return nil // the snapshot must be applied first
	}
	off := max(l.applied+1, l.firstIndex())
	if l.committed+1 <= off {
		return nil
	}
	ents, err := l.slice(off, l.committed+1, l.maxApplyingSize)
	if err != nil {
		panic(fmt.Sprintf("raft: unexpected error reading committed entries: %v", err))
	}
	return ents
}

func (l *raftLog) hasNextCommittedEnts() bool {
	if l.hasPendingSnapshot() {
		return false
	}
	return l.committed+1 > max(l.applied+1, l.firstIndex())
}

func (l *raftLog) hasPendingSnapshot() bool { return l.unstable.snapshot != nil }

func (l *raftLog) snapshot() (Snapshot, error) {
	if l.unstable.snapshot != nil {
		return *l.unstable.snapshot, nil
	}
	return l.storage.Snapshot()
}

func (l *raftLog) commitTo(toCommit uint64) {
	if toCommit <= l.committed {
		return // never decrease commit
	}
	if l.lastIndex() < toCommit {
		panic(fmt.Sprintf("raft: commit %d is past last index %d", toCommit, l.lastIndex()))
	}
	l.committed = toCommit
}

func (l *raftLog) appliedTo(i uint64) {
	if i == 0 {
		return
	}
	if l.committed < i || i < l.applied {
		panic(fmt.Sprintf("raft: applied %d out of range [prev applied %d, committed %d]", i, l.applied, l.committed))
	}
	l.applied = i
}

func (l *raftLog) stableTo(i, t uint64) { l.unstable.stableTo(i, t) }

func (l *raftLog) stableSnapTo(i uint64) { l.unstable.stableSnapTo(i) }

// maybeCommit commits maxIndex if it is of term: the Figure 8 rule, a
// leader only counts replicas for entries of its own term.
func (l *raftLog) maybeCommit(maxIndex, term uint64) bool {
	if maxIndex > l.committed && l.zeroTermOnOutOfBounds(l.term(maxIndex)) == term {
		l.commitTo(maxIndex)
		return true
	}
	return false
}

func (l *raftLog) restore(s Snapshot) {
	l.logger.Info("restoring log from snapshot", "index", s.Meta.Index, "term", s.Meta.Term)
	l.committed = s.Meta.Index
	l.unstable.restore(s)
}

// entries returns entries from i to the end, at most maxSize bytes.
func (l *raftLog) entries(i, maxSize uint64) ([]Entry, error) {
	if i > l.lastIndex() {
		return nil, nil
	}
	return l.slice(i, l.lastIndex()+1, maxSize)
}

// slice returns entries [lo, hi), at most maxSize bytes (at least one).
func (l *raftLog) slice(lo, hi, maxSize uint64) ([]Entry, error) {
	if lo > hi {
		panic(fmt.Sprintf("raft: invalid slice %d > %d", lo, hi))
	}
	if lo < l.firstIndex() {
		return nil, ErrCompacted
	}
	if hi > l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: slice [%d, %d) out of bound [%d, %d]", lo, hi, l.firstIndex(), l.lastIndex()))
	}
	if lo == hi {
		return nil, nil
	}
	var ents []Entry
	if lo < l.unstable.offset {
		stored, err := l.storage.Entries(lo, min(hi, l.unstable.offset), maxSize)
		if errors.Is(err, ErrCompacted) {
			return nil, err
		} else if err != nil {
			panic(fmt.Sprintf("raft: storage.Entries(%d, %d) failed: %v", lo, min(hi, l.unstable.offset), err))
		}
		if uint64(len(stored)) < min(hi, l.unstable.offset)-lo {
			return stored, nil // the size limit cut it short
		}
		ents = stored
	}
	if hi > l.unstable.offset {
		un := l.unstable.slice(max(lo, l.unstable.offset), hi)
		if len(ents) > 0 {
			ents = append(append(make([]Entry, 0, len(ents)+len(un)), ents...), un...)
		} else {
			ents = un
		}
	}
	return limitSize(ents, maxSize), nil
}
