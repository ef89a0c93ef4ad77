package raft

import (
	"fmt"
	"slices"
	"sync"
)

// Storage is where the core reads its persisted state from. The application
// writes to it (after each Ready) and the core only reads. Implementations
// must be safe for the core to call at any time between Ready and Advance.
//
// Indexes: FirstIndex is the first entry still available (the one after the
// snapshot); the entry before it, at FirstIndex-1, is the snapshot's last
// entry, whose Term is still answered.
type Storage interface {
	// InitialState returns the persisted hard state and the peers recorded
	// in the latest snapshot (nil when none).
	InitialState() (HardState, []string, error)
	// Entries returns entries [lo, hi), at most maxSize bytes of data (but
	// at least one entry); maxSize 0 means no limit. ErrCompacted when lo
	// is older than FirstIndex, ErrUnavailable when hi is past the end.
	Entries(lo, hi, maxSize uint64) ([]Entry, error)
	// Term returns the term of entry i, for i in [FirstIndex-1, LastIndex].
	Term(i uint64) (uint64, error)
	// LastIndex returns the index of the last entry.
	LastIndex() (uint64, error)
	// FirstIndex returns the index of the first entry that Entries can return.
	FirstIndex() (uint64, error)
	// Snapshot returns the most recent snapshot.
	// ErrSnapshotTemporarilyUnavailable means "ask again later".
	Snapshot() (Snapshot, error)
}

// MemoryStorage is a Storage held in memory. raftkv keeps one as the
// in-memory mirror of its write-ahead log; tests use it as the whole disk.
// It is safe for concurrent use.
type MemoryStorage struct {
	mu        sync.Mutex
	hardState HardState
	snapshot  Snapshot
	// ents[0] is a dummy entry standing for the snapshot's last entry: its
	// Index and Term are the snapshot's, so that Term(FirstIndex-1) works.
	ents []Entry
}

var _ Storage = (*MemoryStorage)(nil)

// NewMemoryStorage returns an empty storage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{ents: make([]Entry, 1)}
}

// InitialState implements Storage.
func (ms *MemoryStorage) InitialState() (HardState, []string, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.hardState, slices.Clone(ms.snapshot.Meta.Peers), nil
}

// HardState returns the saved hard state.
func (ms *MemoryStorage) HardState() HardState {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.hardState
}

// SetHardState saves the current hard state.
func (ms *MemoryStorage) SetHardState(st HardState) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	ms.hardState = st
	return nil
}

// Entries implements Storage.
func (ms *MemoryStorage) Entries(lo, hi, maxSize uint64) ([]Entry, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	offset := ms.ents[0].Index
	if lo <= offset {
		return nil, ErrCompacted
	}
	if hi > ms.lastIndex()+1 {
		return nil, fmt.Errorf("entries [%d, %d) past last index %d: %w", lo, hi, ms.lastIndex(), ErrUnavailable)
	}
	ents := ms.ents[lo-offset : hi-offset]
	// Clip the capacity so that a caller appending to the result never
	// writes into our array.
	return limitSize(ents[:len(ents):len(ents)], maxSize), nil
}

// Term implements Storage.
func (ms *MemoryStorage) Term(i uint64) (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	offset := ms.ents[0].Index
	if i < offset {
		return 0, ErrCompacted
	}
	if int(i-offset) >= len(ms.ents) {
		return 0, ErrUnavailable
	}
	return ms.ents[i-offset].Term, nil
}

// LastIndex implements Storage.
func (ms *MemoryStorage) LastIndex() (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.lastIndex(), nil
}

func (ms *MemoryStorage) lastIndex() uint64 {
	return ms.ents[0].Index + uint64(len(ms.ents)) - 1
}

// FirstIndex implements Storage.
func (ms *MemoryStorage) FirstIndex() (uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.ents[0].Index + 1, nil
}

// Snapshot implements Storage.
func (ms *MemoryStorage) Snapshot() (Snapshot, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.snapshot, nil
}

// ApplySnapshot replaces the storage's contents with snap: the log is
// emptied and restarts after snap.Meta.Index. ErrSnapOutOfDate when snap is
// older than the one held.
func (ms *MemoryStorage) ApplySnapshot(snap Snapshot) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if snap.Meta.Index <= ms.snapshot.Meta.Index {
		return ErrSnapOutOfDate
	}
	ms.snapshot = snap
	ms.ents = []Entry{{Term: snap.Meta.Term, Index: snap.Meta.Index}}
	return nil
}

// CreateSnapshot records a snapshot of the state machine as of applied index
// i (which must be in the log) with the given peers and data, and returns
// it. It does not discard entries: call Compact for that, usually keeping
// some entries behind i so that slow followers can catch up without a
// snapshot.
func (ms *MemoryStorage) CreateSnapshot(i uint64, peers []string, data []byte) (Snapshot, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if i <= ms.snapshot.Meta.Index {
		return Snapshot{}, ErrSnapOutOfDate
	}
	offset := ms.ents[0].Index
	if i > ms.lastIndex() {
		return Snapshot{}, fmt.Errorf("create snapshot at %d past last index %d: %w", i, ms.lastIndex(), ErrUnavailable)
	}
	ms.snapshot = Snapshot{
		Meta: SnapshotMeta{Index: i, Term: ms.ents[i-offset].Term, Peers: slices.Clone(peers)},
		Data: data,
	}
	return ms.snapshot, nil
}

// Compact discards the entries before compactIndex; compactIndex becomes the
// dummy entry, so FirstIndex becomes compactIndex+1. The application must
// not compact past its applied index, nor past a snapshot it has not
// created (the leader must be able to send either entries or a snapshot).
func (ms *MemoryStorage) Compact(compactIndex uint64) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	offset := ms.ents[0].Index
	if compactIndex <= offset {
		return ErrCompacted
	}
	if compactIndex > ms.lastIndex() {
		return fmt.Errorf("compact to %d past last index %d: %w", compactIndex, ms.lastIndex(), ErrUnavailable)
	}
	i := compactIndex - offset
	ents := make([]Entry, 1, uint64(len(ms.ents))-i)
	ents[0] = Entry{Index: ms.ents[i].Index, Term: ms.ents[i].Term}
	ms.ents = append(ents, ms.ents[i+1:]...)
	return nil
}

// Append adds entries to the log. Entries that overlap the existing log
// replace it from the first overlapping index on (a follower's log being
// overwritten by its leader); entries already compacted are ignored.
func (ms *MemoryStorage) Append(entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	first := ms.ents[0].Index + 1
	last := entries[0].Index + uint64(len(entries)) - 1
	if last < first {
		return nil // all compacted already
	}
	if first > entries[0].Index {
		entries = entries[first-entries[0].Index:]
	}
	offset := entries[0].Index - ms.ents[0].Index
	switch {
	case uint64(len(ms.ents)) > offset:
		ms.ents = append(ms.ents[:offset:offset], entries...)
	case uint64(len(ms.ents)) == offset:
		ms.ents = append(ms.ents, entries...)
	default:
		return fmt.Errorf("append at index %d leaves a gap after last index %d: %w",
			entries[0].Index, ms.lastIndex(), ErrUnavailable)
	}
	return nil
}

// limitSize returns the longest prefix of ents whose data fits in maxSize
// bytes, but at least one entry. maxSize 0 means no limit.
func limitSize(ents []Entry, maxSize uint64) []Entry {
	if len(ents) == 0 || maxSize == 0 {
		return ents
	}
	size := uint64(len(ents[0].Data))
	for i := 1; i < len(ents); i++ {
		size += uint64(len(ents[i].Data))
		if size > maxSize {
			return ents[:i]
		}
	}
	return ents
}
