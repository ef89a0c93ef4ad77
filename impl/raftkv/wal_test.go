package raftkv

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/faultline/faultline/impl/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ents(term uint64, from, to uint64) []raft.Entry {
	var out []raft.Entry
	for i := from; i <= to; i++ {
		out = append(out, raft.Entry{Term: term, Index: i, Data: []byte{byte(i)}})
	}
	return out
}

// writeWAL saves batches into a fresh data directory and returns it.
func writeWAL(t *testing.T, batches ...[]raft.Entry) string {
	t.Helper()
	dir := t.TempDir()
	w, _, err := openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, w.save(raft.HardState{Term: b[0].Term, Vote: "n1", Commit: b[0].Index}, b, true))
	}
	require.NoError(t, w.close())
	return dir
}

func TestWALReplay(t *testing.T) {
	tests := []struct {
		name      string
		batches   [][]raft.Entry
		snap      raft.SnapshotMeta
		wantFirst uint64
		wantLast  uint64
		wantTerm  uint64 // of the last entry
	}{
		{"plain", [][]raft.Entry{ents(1, 1, 5)}, raft.SnapshotMeta{}, 1, 5, 1},
		{"suffix overwritten", [][]raft.Entry{ents(1, 1, 5), ents(2, 3, 4)}, raft.SnapshotMeta{}, 1, 4, 2},
		{"prefix in snapshot", [][]raft.Entry{ents(1, 1, 5)}, raft.SnapshotMeta{Index: 3, Term: 1}, 4, 5, 1},
		{"divergent from snapshot", [][]raft.Entry{ents(1, 1, 5)}, raft.SnapshotMeta{Index: 3, Term: 2}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeWAL(t, tt.batches...)
			w, st, err := openWAL(dir, tt.snap, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			defer w.close()
			if tt.wantLast == 0 {
				assert.Empty(t, st.Entries)
				return
			}
			require.NotEmpty(t, st.Entries)
			assert.Equal(t, tt.wantFirst, st.Entries[0].Index)
			last := st.Entries[len(st.Entries)-1]
			assert.Equal(t, tt.wantLast, last.Index)
			assert.Equal(t, tt.wantTerm, last.Term)
			assert.Equal(t, "n1", st.HardState.Vote)
		})
	}
}

func TestWALTornLastRecordIsTruncated(t *testing.T) {
	tests := []struct {
		name string
		tear func([]byte) []byte
	}{
		{"cut inside the last record", func(b []byte) []byte { return b[:len(b)-3] }},
		{"cut inside the last header", func(b []byte) []byte { return b[:len(b)-lastRecordSize(b)+5] }},
		{"last record scribbled", func(b []byte) []byte { b[len(b)-2] ^= 0xff; return b }},
		{"zeros after the last record", func(b []byte) []byte { return append(b, make([]byte, 100)...) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeWAL(t, ents(1, 1, 3), ents(1, 4, 4))
			path := filepath.Join(dir, walFileName)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tt.tear(data), 0o644))

			var logs bytes.Buffer
			w, st, err := openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.NewTextHandler(&logs, nil)))
			require.NoError(t, err)
			assert.Contains(t, logs.String(), "torn record")
			assert.Contains(t, logs.String(), path)
			require.NotEmpty(t, st.Entries)
			assert.LessOrEqual(t, st.Entries[len(st.Entries)-1].Index, uint64(4))

			// The log is usable again: what is appended now is replayed.
			last := st.Entries[len(st.Entries)-1].Index
			require.NoError(t, w.save(raft.HardState{}, ents(2, last+1, last+1), true))
			require.NoError(t, w.close())
			_, st, err = openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			assert.Equal(t, uint64(2), st.Entries[len(st.Entries)-1].Term)
		})
	}
}

// lastRecordSize is the size of the hard state record save writes last.
func lastRecordSize(b []byte) int {
	return len(appendHardStateRecord(nil, raft.HardState{Term: 1, Vote: "n1", Commit: 4}))
}

func TestWALCorruptionIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func([]byte) []byte
		want    string
	}{
		{"bit flip in the first record", func(b []byte) []byte { b[recordHeaderSize+3] ^= 0x01; return b }, "checksum"},
		{"garbage length in the middle", func(b []byte) []byte { b[0], b[1], b[2], b[3] = 0xff, 0xff, 0xff, 0x7f; return b }, "length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeWAL(t, ents(1, 1, 3), ents(1, 4, 4))
			path := filepath.Join(dir, walFileName)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tt.corrupt(data), 0o644))

			_, _, err = openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.DiscardHandler))
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), "offset 0")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestWALImpossibleIndexIsRefused(t *testing.T) {
	dir := t.TempDir()
	var buf []byte
	for _, e := range append(ents(1, 1, 2), ents(1, 5, 5)...) { // a gap: 3 and 4 missing
		buf = appendEntryRecord(buf, e)
	}
	path := filepath.Join(dir, walFileName)
	require.NoError(t, os.WriteFile(path, buf, 0o644))
	_, _, err := openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "impossible entry index 5")
	assert.Contains(t, err.Error(), path)
}

func TestStorageSnapshotAndCompaction(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	s, err := openStorage(dir, log)
	require.NoError(t, err)
	require.NoError(t, s.saveReady(raft.Ready{HardState: raft.HardState{Term: 1, Vote: "n1", Commit: 10}, Entries: ents(1, 1, 10), MustSync: true}))
	_, err = s.compact(8, []string{"n1"}, []byte(`{"data":{"k":1}}`), 3)
	require.NoError(t, err)
	require.NoError(t, s.saveReady(raft.Ready{Entries: ents(2, 11, 12), MustSync: true}))
	require.NoError(t, s.close())

	s, err = openStorage(dir, log)
	require.NoError(t, err)
	defer s.close()
	snap, _ := s.mem.Snapshot()
	assert.Equal(t, uint64(8), snap.Meta.Index)
	assert.JSONEq(t, `{"data":{"k":1}}`, string(snap.Data))
	first, _ := s.mem.FirstIndex()
	last, _ := s.mem.LastIndex()
	assert.Equal(t, uint64(9), first)
	assert.Equal(t, uint64(12), last)
	assert.Equal(t, uint64(10), s.mem.HardState().Commit)
}

func TestSnapshotFileCorruptionIsRefused(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, saveSnapshot(dir, raft.Snapshot{Meta: raft.SnapshotMeta{Index: 5, Term: 2, Peers: []string{"n1"}}, Data: []byte("state")}))
	snap, err := loadSnapshot(dir)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), snap.Meta.Index)
	assert.Equal(t, []string{"n1"}, snap.Meta.Peers)

	path := filepath.Join(dir, snapFileName)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)-1] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = loadSnapshot(dir)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), path)
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendEntryRecord(nil, raft.Entry{Term: 1, Index: 1, Data: []byte("x")}))
	f.Add(appendHardStateRecord(nil, raft.HardState{Term: 3, Vote: "n2", Commit: 9}))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, n, err := decodeRecord(data)
		if err != nil {
			return
		}
		if n > len(data) || n <= recordHeaderSize {
			t.Fatalf("decoded size %d of %d bytes", n, len(data))
		}
		var again []byte
		switch rec.typ {
		case recordEntry:
			again = appendEntryRecord(nil, rec.entry)
		case recordHardState:
			again = appendHardStateRecord(nil, rec.hardState)
		default:
			t.Fatalf("decoded unknown type %d", rec.typ)
		}
		if !bytes.Equal(again, data[:n]) {
			t.Fatalf("re-encoding differs:\n%x\n%x", again, data[:n])
		}
	})
}

// TestPowerLossDropsWhatWasNotSynced: DropUnsynced keeps exactly what the
// last fsync covered, and a log that never fsyncs (the no-fsync bug) keeps
// nothing of what it wrote since it was opened.
func TestPowerLossDropsWhatWasNotSynced(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noFsync  bool
		wantLast uint64
	}{
		{"fsync", false, 5},
		{"no-fsync", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _, err := openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			w.noFsync = tc.noFsync
			require.NoError(t, w.save(raft.HardState{Term: 1, Commit: 5}, ents(1, 1, 5), true))
			require.NoError(t, w.save(raft.HardState{}, ents(1, 6, 9), false), "written, not synced")
			require.NoError(t, w.close())

			dropped, err := DropUnsynced(dir)
			require.NoError(t, err)
			assert.Positive(t, dropped)
			_, st, err := openWAL(dir, raft.SnapshotMeta{}, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			assert.Equal(t, tc.wantLast, st.last, "what survives the power loss")
			again, err := DropUnsynced(dir)
			require.NoError(t, err)
			assert.Zero(t, again, "reopening fsynced what survived")
		})
	}
	dropped, err := DropUnsynced(t.TempDir())
	require.NoError(t, err)
	assert.Zero(t, dropped, "a directory no node opened is left alone")
}
