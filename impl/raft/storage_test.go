package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newStorageWith returns a storage whose log is ents, after compacting to
// ents[0] (which becomes the dummy entry).
func newStorageWith(t *testing.T, ents ...Entry) *MemoryStorage {
	t.Helper()
	ms := NewMemoryStorage()
	ms.ents = append([]Entry(nil), ents...)
	return ms
}

func TestMemoryStorageTerm(t *testing.T) {
	ms := newStorageWith(t, Entry{Index: 3, Term: 3}, Entry{Index: 4, Term: 4}, Entry{Index: 5, Term: 5})
	for _, tc := range []struct {
		i       uint64
		want    uint64
		wantErr error
	}{
		{2, 0, ErrCompacted},
		{3, 3, nil},
		{5, 5, nil},
		{6, 0, ErrUnavailable},
	} {
		got, err := ms.Term(tc.i)
		assert.ErrorIs(t, err, tc.wantErr, "Term(%d)", tc.i)
		assert.Equal(t, tc.want, got, "Term(%d)", tc.i)
	}
}

func TestMemoryStorageEntries(t *testing.T) {
	ms := newStorageWith(t, Entry{Index: 3, Term: 3},
		Entry{Index: 4, Term: 4, Data: []byte("aa")}, Entry{Index: 5, Term: 5, Data: []byte("bb")},
		Entry{Index: 6, Term: 6, Data: []byte("cc")})
	for _, tc := range []struct {
		name      string
		lo, hi    uint64
		maxSize   uint64
		wantErr   error
		wantFirst uint64
		wantLen   int
	}{
		{"compacted", 2, 6, 0, ErrCompacted, 0, 0},
		{"dummy entry is compacted", 3, 4, 0, ErrCompacted, 0, 0},
		{"all", 4, 7, 0, nil, 4, 3},
		{"past the end", 4, 8, 0, ErrUnavailable, 0, 0},
		{"size limit", 4, 7, 4, nil, 4, 2},
		{"size limit keeps one entry", 4, 7, 1, nil, 4, 1},
		{"middle", 5, 6, 0, nil, 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ms.Entries(tc.lo, tc.hi, tc.maxSize)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tc.wantLen)
			assert.Equal(t, tc.wantFirst, got[0].Index)
		})
	}
}

func TestMemoryStorageAppend(t *testing.T) {
	base := []Entry{{Index: 3, Term: 3}, {Index: 4, Term: 4}, {Index: 5, Term: 5}}
	for _, tc := range []struct {
		name    string
		append  []Entry
		want    []Entry
		wantErr error
	}{
		{"same entries", []Entry{{Index: 4, Term: 4}, {Index: 5, Term: 5}},
			[]Entry{{Index: 3, Term: 3}, {Index: 4, Term: 4}, {Index: 5, Term: 5}}, nil},
		{"conflict truncates", []Entry{{Index: 4, Term: 6}},
			[]Entry{{Index: 3, Term: 3}, {Index: 4, Term: 6}}, nil},
		{"extends", []Entry{{Index: 6, Term: 5}},
			[]Entry{{Index: 3, Term: 3}, {Index: 4, Term: 4}, {Index: 5, Term: 5}, {Index: 6, Term: 5}}, nil},
		{"compacted part ignored", []Entry{{Index: 2, Term: 3}, {Index: 3, Term: 3}, {Index: 4, Term: 7}},
			[]Entry{{Index: 3, Term: 3}, {Index: 4, Term: 7}}, nil},
		{"gap refused", []Entry{{Index: 7, Term: 5}}, nil, ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := newStorageWith(t, base...)
			err := ms.Append(tc.append)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, ms.ents)
		})
	}
}

func TestMemoryStorageSnapshotAndCompact(t *testing.T) {
	ms := NewMemoryStorage()
	var ents []Entry
	for i := uint64(1); i <= 10; i++ {
		ents = append(ents, Entry{Index: i, Term: 1 + i/5})
	}
	require.NoError(t, ms.Append(ents))

	snap, err := ms.CreateSnapshot(7, []string{"n1", "n2"}, []byte("state"))
	require.NoError(t, err)
	assert.Equal(t, SnapshotMeta{Index: 7, Term: 2, Peers: []string{"n1", "n2"}}, snap.Meta)
	_, err = ms.CreateSnapshot(6, nil, nil)
	assert.ErrorIs(t, err, ErrSnapOutOfDate)
	_, err = ms.CreateSnapshot(11, nil, nil)
	assert.ErrorIs(t, err, ErrUnavailable)

	require.NoError(t, ms.Compact(5))
	first, _ := ms.FirstIndex()
	last, _ := ms.LastIndex()
	assert.Equal(t, uint64(6), first)
	assert.Equal(t, uint64(10), last)
	term, err := ms.Term(5)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), term, "the dummy entry keeps the compacted entry's term")
	assert.ErrorIs(t, ms.Compact(5), ErrCompacted)
	assert.ErrorIs(t, ms.Compact(11), ErrUnavailable)

	_, peers, err := ms.InitialState()
	require.NoError(t, err)
	assert.Equal(t, []string{"n1", "n2"}, peers)

	// A newer snapshot from a leader replaces the whole log.
	assert.ErrorIs(t, ms.ApplySnapshot(Snapshot{Meta: SnapshotMeta{Index: 7, Term: 2}}), ErrSnapOutOfDate)
	require.NoError(t, ms.ApplySnapshot(Snapshot{Meta: SnapshotMeta{Index: 20, Term: 4}, Data: []byte("x")}))
	first, _ = ms.FirstIndex()
	last, _ = ms.LastIndex()
	assert.Equal(t, uint64(21), first)
	assert.Equal(t, uint64(20), last)
	got, err := ms.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), got.Data)
}

// Entries handed out must not change when the storage is appended to.
func TestMemoryStorageEntriesDoNotAlias(t *testing.T) {
	ms := NewMemoryStorage()
	require.NoError(t, ms.Append([]Entry{{Index: 1, Term: 1}, {Index: 2, Term: 1}}))
	got, err := ms.Entries(1, 3, 0)
	require.NoError(t, err)
	require.NoError(t, ms.Append([]Entry{{Index: 2, Term: 2}, {Index: 3, Term: 2}}))
	_ = append(got, Entry{Index: 99})
	assert.Equal(t, uint64(1), got[1].Term)
	term, _ := ms.Term(2)
	assert.Equal(t, uint64(2), term)
}
