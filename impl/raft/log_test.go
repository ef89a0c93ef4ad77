package raft

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestLog returns a log holding entries 1..len(terms) with those terms,
// all persisted.
func newTestLog(t *testing.T, terms ...uint64) *raftLog {
	t.Helper()
	st := NewMemoryStorage()
	var ents []Entry
	for i, term := range terms {
		ents = append(ents, Entry{Index: uint64(i + 1), Term: term})
	}
	require.NoError(t, st.Append(ents))
	l, err := newLog(st, slog.New(slog.DiscardHandler), 0)
	require.NoError(t, err)
	return l
}

// Figure 2, AppendEntries receiver: "If an existing entry conflicts with a
// new one (same index but different terms), delete the existing entry and
// all that follow it"; "If leaderCommit > commitIndex, set commitIndex =
// min(leaderCommit, index of last new entry)".
func TestLogMaybeAppend(t *testing.T) {
	for _, tc := range []struct {
		name          string
		index, term   uint64
		commit        uint64
		ents          []Entry
		wantOK        bool
		wantLastNew   uint64
		wantCommitted uint64
		wantLastTerm  uint64
		wantLast      uint64
	}{
		{"previous entry missing", 4, 2, 3, nil, false, 0, 1, 2, 3},
		{"previous term differs", 3, 1, 3, nil, false, 0, 1, 2, 3},
		{"heartbeat-like empty append commits", 3, 2, 3, nil, true, 3, 3, 2, 3},
		{"commit bounded by last new entry", 1, 1, 3, []Entry{{Index: 2, Term: 2}}, true, 2, 2, 2, 3},
		{"extends the log", 3, 2, 4, []Entry{{Index: 4, Term: 2}}, true, 4, 4, 2, 4},
		{"conflict truncates the suffix", 1, 1, 1, []Entry{{Index: 2, Term: 3}}, true, 2, 1, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t, 1, 2, 2)
			l.committed = 1
			lastNew, ok := l.maybeAppend(tc.index, tc.term, tc.commit, tc.ents)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.wantLastNew, lastNew)
			assert.Equal(t, tc.wantCommitted, l.committed)
			assert.Equal(t, tc.wantLast, l.lastIndex())
			assert.Equal(t, tc.wantLastTerm, l.lastTerm())
		})
	}
}

func TestLogFindConflictByTerm(t *testing.T) {
	l := newTestLog(t, 1, 1, 3, 3, 3, 5, 5)
	for _, tc := range []struct {
		index, term         uint64
		wantIndex, wantTerm uint64
	}{
		{7, 5, 7, 5},
		{7, 4, 5, 3}, // skips the whole term-5 run
		{7, 2, 2, 1},
		{7, 0, 0, 0},
		{4, 3, 4, 3},
	} {
		i, term := l.findConflictByTerm(tc.index, tc.term)
		assert.Equal(t, tc.wantIndex, i, "findConflictByTerm(%d, %d)", tc.index, tc.term)
		assert.Equal(t, tc.wantTerm, term, "findConflictByTerm(%d, %d)", tc.index, tc.term)
	}
}

func TestLogUnstableThenStable(t *testing.T) {
	l := newTestLog(t, 1)
	l.append(Entry{Index: 2, Term: 1}, Entry{Index: 3, Term: 2})
	assert.Len(t, l.unstableEntries(), 2)
	l.commitTo(3)
	ents := l.nextCommittedEnts()
	require.Len(t, ents, 3, "committed entries span storage and the unstable part")
	// Persisting a stale version (term changed since) must not drop the new one.
	l.stableTo(3, 1)
	assert.Len(t, l.unstableEntries(), 2)
	l.stableTo(3, 2)
	assert.Empty(t, l.unstableEntries())
	l.appliedTo(3)
	assert.False(t, l.hasNextCommittedEnts())
}
