package raftkv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/impl/raft"
)

// walFileName is the log inside the data directory. There is one file: it
// is appended to, and rewritten (atomically, by rename) after a snapshot
// to drop the compacted prefix.
const walFileName = "wal.log"

// syncedFileName records how much of the log the last fsync made durable:
// the log's length then, 8 bytes little-endian, overwritten in place after
// every fsync and never fsynced itself. It is what DropUnsynced needs to
// simulate a power loss honestly: the process is gone, the page cache
// would be too, and with it every byte written after the last fsync.
const syncedFileName = "wal.synced"

// wal is the append-only write-ahead log of entries and hard states.
//
// When the core overwrites a suffix of the log (a follower's divergent
// entries), the new entries are simply appended: replay applies records in
// order, and an entry whose index is already present cuts the log there,
// exactly as raft.MemoryStorage.Append does in memory.
type wal struct {
	dir    string
	path   string
	f      *os.File
	buf    []byte
	logger *slog.Logger
	// onSync observes each fsync's duration (for the metrics); may be nil.
	onSync func(time.Duration)
	// size is the log's length, synced the part the last fsync covered,
	// recorded in marker.
	size, synced int64
	marker       *os.File
	// noFsync is the no-fsync bug: sync returns without syncing.
	noFsync bool
}

// walState is what replaying the log recovers.
type walState struct {
	HardState raft.HardState
	Entries   []raft.Entry // contiguous, all after the snapshot's index

	last     uint64 // index of the last entry record replayed
	diverged bool   // the entry at the snapshot index had another term
}

// openWAL replays the log in dir on top of snap and opens it for
// appending. A torn last record, what a crash during a write leaves, is
// truncated with a warning; any other damage is ErrCorrupt naming the file
// and the offset.
func openWAL(dir string, snap raft.SnapshotMeta, logger *slog.Logger) (*wal, walState, error) {
	path := filepath.Join(dir, walFileName)
	_ = os.Remove(path + ".tmp") // an unfinished rewrite; the old file is intact
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, walState{}, fmt.Errorf("reading write-ahead log: %w", err)
	}
	st, good, err := replayWAL(path, data, snap, logger)
	if err != nil {
		return nil, walState{}, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, walState{}, fmt.Errorf("opening write-ahead log: %w", err)
	}
	if good < int64(len(data)) {
		if err := truncateAndSync(f, good); err != nil {
			f.Close()
			return nil, walState{}, fmt.Errorf("truncating torn record of %s: %w", path, err)
		}
	}
	if _, err := f.Seek(good, 0); err != nil {
		f.Close()
		return nil, walState{}, fmt.Errorf("seeking to the end of %s: %w", path, err)
	}
	// What the log holds now is what survived; make it durable, so that
	// what the marker says is true of it.
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, walState{}, fmt.Errorf("fsync of %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, walState{}, err
	}
	marker, err := os.OpenFile(filepath.Join(dir, syncedFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		f.Close()
		return nil, walState{}, fmt.Errorf("opening the log's sync marker: %w", err)
	}
	w := &wal{dir: dir, path: path, f: f, logger: logger, size: good, marker: marker}
	if err := w.markSynced(good); err != nil {
		w.close()
		return nil, walState{}, err
	}
	return w, st, nil
}

// markSynced records that the first n bytes of the log are durable.
func (w *wal) markSynced(n int64) error {
	w.synced = n
	if _, err := w.marker.WriteAt(binary.LittleEndian.AppendUint64(nil, uint64(n)), 0); err != nil {
		return fmt.Errorf("recording the log's synced length: %w", err)
	}
	return nil
}

// DropUnsynced does to a stopped node's data directory what a power loss
// does to a disk: the write-ahead log loses every byte written after its
// last fsync. It returns how many bytes were dropped. A directory without
// a sync marker (never opened by a node) is left alone. Use it only on the
// data directory of a node that is not running.
func DropUnsynced(dataDir string) (dropped int64, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, syncedFileName))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading the log's sync marker: %w", err)
	case len(b) < 8:
		return 0, fmt.Errorf("%w: the log's sync marker in %s is %d bytes, not 8", ErrCorrupt, dataDir, len(b))
	}
	synced := int64(binary.LittleEndian.Uint64(b))
	path := filepath.Join(dataDir, walFileName)
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("power loss of %s: %w", dataDir, err)
	}
	if fi.Size() <= synced {
		return 0, nil
	}
	if err := os.Truncate(path, synced); err != nil {
		return 0, fmt.Errorf("power loss of %s: %w", dataDir, err)
	}
	return fi.Size() - synced, nil
}

// replayWAL decodes data and returns the recovered state and the length of
// the valid prefix.
func replayWAL(path string, data []byte, snap raft.SnapshotMeta, logger *slog.Logger) (walState, int64, error) {
	var st walState
	off := 0
	for off < len(data) {
		rec, n, err := decodeRecord(data[off:])
		if err != nil {
			if isTornTail(data[off:], n, err) {
				logger.Warn("write-ahead log ends in a torn record, as a crash during a write leaves it; truncating it",
					"file", path, "offset", off, "dropped_bytes", len(data)-off, "reason", err)
				return st, int64(off), nil
			}
			return walState{}, 0, fmt.Errorf("%w: %s at offset %d: %v; the node will not guess: restore the data directory or remove it to rejoin empty",
				ErrCorrupt, path, off, err)
		}
		if err := st.apply(rec, snap); err != nil {
			return walState{}, 0, fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, path, off, err)
		}
		off += n
	}
	if err := st.check(snap); err != nil {
		return walState{}, 0, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return st, int64(off), nil
}

// isTornTail reports whether a decoding failure at the start of rest is a
// torn last record: it runs past the end of the file, or it is the last
// record and its checksum fails, or everything from here on is zeros (a
// file extended but not yet written when the machine stopped).
func isTornTail(rest []byte, n int, err error) bool {
	switch {
	case errors.Is(err, errShortRecord):
		return true
	case errors.Is(err, errChecksum) && n == len(rest):
		return true
	}
	return len(bytes.TrimLeft(rest, "\x00")) == 0
}

// apply replays one record.
func (st *walState) apply(rec record, snap raft.SnapshotMeta) error {
	switch rec.typ {
	case recordHardState:
		st.HardState = rec.hardState
		return nil
	case recordEntry:
		return st.appendEntry(rec.entry, snap)
	}
	return fmt.Errorf("unexpected record type %d", rec.typ)
}

// appendEntry adds e to the replayed log, cutting off any suffix it
// overwrites. Entries up to the snapshot's index only matter for what
// follows them: if the log's entry at the snapshot index has another term
// than the snapshot, the entries after it belong to an abandoned history
// and are dropped.
func (st *walState) appendEntry(e raft.Entry, snap raft.SnapshotMeta) error {
	if e.Index == 0 || e.Term == 0 {
		return fmt.Errorf("impossible entry index %d term %d", e.Index, e.Term)
	}
	switch {
	case st.last == 0 && e.Index > snap.Index+1:
		return fmt.Errorf("first entry has index %d but the snapshot ends at %d (a gap)", e.Index, snap.Index)
	case st.last != 0 && e.Index > st.last+1:
		return fmt.Errorf("impossible entry index %d after index %d (a gap)", e.Index, st.last)
	}
	st.last = e.Index
	if e.Index <= snap.Index {
		st.Entries = st.Entries[:0]
		st.diverged = e.Index == snap.Index && e.Term != snap.Term
		return nil
	}
	if st.diverged {
		return nil
	}
	st.Entries = append(st.Entries[:e.Index-snap.Index-1], e)
	if n := len(st.Entries); n > 1 && st.Entries[n-2].Term > e.Term {
		return fmt.Errorf("entry %d has term %d below its predecessor's %d", e.Index, e.Term, st.Entries[n-2].Term)
	}
	return nil
}

// check validates the replayed state as a whole.
func (st *walState) check(snap raft.SnapshotMeta) error {
	last := snap.Index + uint64(len(st.Entries))
	if st.HardState.Commit > last {
		return fmt.Errorf("hard state commit index %d beyond the last entry %d", st.HardState.Commit, last)
	}
	if st.HardState.Commit < snap.Index {
		st.HardState.Commit = snap.Index
	}
	return nil
}

// save appends ents and then hs (if not empty) and fsyncs when sync is
// set. The hard state goes last so that a torn write never leaves a commit
// index ahead of the entries it covers.
func (w *wal) save(hs raft.HardState, ents []raft.Entry, sync bool) error {
	w.buf = w.buf[:0]
	for _, e := range ents {
		w.buf = appendEntryRecord(w.buf, e)
	}
	if !hs.IsEmpty() {
		w.buf = appendHardStateRecord(w.buf, hs)
	}
	if len(w.buf) > 0 {
		n, err := w.f.Write(w.buf)
		w.size += int64(n)
		if err != nil {
			return fmt.Errorf("appending to %s: %w", w.path, err)
		}
	}
	if !sync {
		return nil
	}
	return w.sync()
}

func (w *wal) sync() error {
	if w.noFsync {
		return nil // the bug: believe it is on disk
	}
	start := time.Now()
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("fsync of %s: %w", w.path, err)
	}
	if w.onSync != nil {
		w.onSync(time.Since(start))
	}
	return w.markSynced(w.size)
}

// rewrite replaces the log with hs and ents (the entries that survive a
// compaction), atomically: a crash leaves either the old or the new file.
func (w *wal) rewrite(hs raft.HardState, ents []raft.Entry) error {
	buf := make([]byte, 0, 64*len(ents)+64)
	for _, e := range ents {
		buf = appendEntryRecord(buf, e)
	}
	if !hs.IsEmpty() {
		buf = appendHardStateRecord(buf, hs)
	}
	if err := writeFileAtomic(w.path, buf); err != nil {
		return fmt.Errorf("rewriting write-ahead log: %w", err)
	}
	f, err := os.OpenFile(w.path, os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("reopening write-ahead log: %w", err)
	}
	if _, err := f.Seek(0, 2); err != nil {
		f.Close()
		return fmt.Errorf("seeking to the end of %s: %w", w.path, err)
	}
	w.f.Close()
	w.f, w.size = f, int64(len(buf))
	return w.markSynced(w.size) // writeFileAtomic fsynced it
}

func (w *wal) close() error { return errors.Join(w.f.Close(), w.marker.Close()) }

// writeFileAtomic writes data to path through a temporary file: write,
// fsync, rename, fsync the directory.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func truncateAndSync(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// syncDir makes a directory's entries (created, renamed files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s to fsync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync of directory %s: %w", dir, err)
	}
	return nil
}
