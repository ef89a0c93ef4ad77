package raftkv

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/faultline/faultline/impl/raft"
)

// diskStorage makes the core's raft.MemoryStorage durable: every Ready's
// hard state and entries go to the write-ahead log (fsync'd when the Ready
// says MustSync) before they reach the memory storage the core reads, and
// snapshots go to their own file. On open it rebuilds the memory storage
// from the snapshot plus the log.
type diskStorage struct {
	dir    string
	wal    *wal
	mem    *raft.MemoryStorage
	logger *slog.Logger
}

// openStorage recovers the state in dir (created when missing).
func openStorage(dir string, logger *slog.Logger) (*diskStorage, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	snap, err := loadSnapshot(dir)
	if err != nil {
		return nil, err
	}
	w, st, err := openWAL(dir, snap.Meta, logger)
	if err != nil {
		return nil, err
	}
	mem := raft.NewMemoryStorage()
	if !snap.IsEmpty() {
		if err := mem.ApplySnapshot(snap); err != nil {
			w.close()
			return nil, fmt.Errorf("loading snapshot at index %d: %w", snap.Meta.Index, err)
		}
	}
	if err := mem.Append(st.Entries); err != nil {
		w.close()
		return nil, fmt.Errorf("loading recovered entries: %w", err)
	}
	if err := mem.SetHardState(st.HardState); err != nil {
		w.close()
		return nil, fmt.Errorf("loading recovered hard state: %w", err)
	}
	logger.Info("recovered storage", "dir", dir, "snapshot_index", snap.Meta.Index,
		"entries", len(st.Entries), "term", st.HardState.Term, "vote", st.HardState.Vote, "commit", st.HardState.Commit)
	return &diskStorage{dir: dir, wal: w, mem: mem, logger: logger}, nil
}

// saveReady persists what rd asks for. It must return before any of rd's
// messages is sent.
func (s *diskStorage) saveReady(rd raft.Ready) error {
	if !rd.Snapshot.IsEmpty() {
		return s.installSnapshot(rd)
	}
	if err := s.wal.save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
		return err
	}
	if err := s.mem.Append(rd.Entries); err != nil {
		return fmt.Errorf("appending to the in-memory log: %w", err)
	}
	if !rd.HardState.IsEmpty() {
		return s.mem.SetHardState(rd.HardState)
	}
	return nil
}

// installSnapshot persists a snapshot received from the leader: the
// snapshot file first, then a rewritten log without the entries it
// replaces.
func (s *diskStorage) installSnapshot(rd raft.Ready) error {
	if err := saveSnapshot(s.dir, rd.Snapshot); err != nil {
		return err
	}
	if err := s.mem.ApplySnapshot(rd.Snapshot); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
		return fmt.Errorf("installing snapshot at index %d: %w", rd.Snapshot.Meta.Index, err)
	}
	if err := s.mem.Append(rd.Entries); err != nil {
		return fmt.Errorf("appending to the in-memory log: %w", err)
	}
	if !rd.HardState.IsEmpty() {
		if err := s.mem.SetHardState(rd.HardState); err != nil {
			return err
		}
	}
	return s.rewriteLog()
}

// compact records a snapshot of the state machine at index applied, and
// drops the log before applied-keep (keeping some entries so that a
// follower slightly behind catches up without a snapshot).
func (s *diskStorage) compact(applied uint64, peers []string, data []byte, keep uint64) (raft.Snapshot, error) {
	snap, err := s.mem.CreateSnapshot(applied, peers, data)
	if err != nil {
		return raft.Snapshot{}, fmt.Errorf("creating snapshot at index %d: %w", applied, err)
	}
	if err := saveSnapshot(s.dir, snap); err != nil {
		return raft.Snapshot{}, err
	}
	first, _ := s.mem.FirstIndex()
	if applied > keep && applied-keep >= first {
		if err := s.mem.Compact(applied - keep); err != nil {
			return raft.Snapshot{}, fmt.Errorf("compacting the in-memory log to %d: %w", applied-keep, err)
		}
	}
	return snap, s.rewriteLog()
}

// rewriteLog replaces the write-ahead log with the memory storage's hard
// state and entries.
func (s *diskStorage) rewriteLog() error {
	first, _ := s.mem.FirstIndex()
	last, _ := s.mem.LastIndex()
	var ents []raft.Entry
	if last >= first {
		var err error
		if ents, err = s.mem.Entries(first, last+1, 0); err != nil {
			return fmt.Errorf("reading the log to rewrite it: %w", err)
		}
	}
	return s.wal.rewrite(s.mem.HardState(), ents)
}

func (s *diskStorage) close() error { return s.wal.close() }
