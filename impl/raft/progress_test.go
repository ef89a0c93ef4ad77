package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestLeader returns n1 as leader of term 1 over n1..n3, with entries
// 1..5 persisted (index 5 being its no-op).
func newTestLeader(t *testing.T) *raft {
	t.Helper()
	st := NewMemoryStorage()
	var ents []Entry
	for i := uint64(1); i <= 4; i++ {
		ents = append(ents, Entry{Index: i, Term: 1})
	}
	require.NoError(t, st.Append(ents))
	c := DefaultConfig()
	c.ID, c.Peers, c.Storage = "n1", []string{"n1", "n2", "n3"}, st
	c.MaxInflightMsgs = 2
	r, err := newRaft(c)
	require.NoError(t, err)
	r.becomeCandidate()
	r.becomeLeader()
	r.msgs = nil
	return r
}

// The leader's flow control per follower: probe until the logs are known to
// match, then stream within the in-flight window, and fall back to probing
// on any doubt.
func TestProgressFlowControl(t *testing.T) {
	t.Run("probe sends one append, then waits", func(t *testing.T) {
		r := newTestLeader(t)
		pr := r.prs["n2"]
		require.Equal(t, ProgressProbe, pr.State)
		r.bcastAppend()
		r.bcastAppend()
		assert.Len(t, msgsTo(r, "n2"), 1, "a probing follower got more than one append")
	})
	t.Run("an ack switches to replicate and fills the window", func(t *testing.T) {
		r := newTestLeader(t)
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: "n2", To: "n1", Term: r.Term, Index: 5}))
		pr := r.prs["n2"]
		assert.Equal(t, ProgressReplicate, pr.State)
		r.msgs = nil
		for range 5 {
			require.NoError(t, r.Step(Message{Type: MsgProp, Entries: []Entry{{Data: []byte("x")}}}))
		}
		assert.Len(t, msgsTo(r, "n2"), 2, "the in-flight window (2) was not respected")
		assert.True(t, pr.isPaused())
	})
	t.Run("a heartbeat response frees a slot of a full window", func(t *testing.T) {
		r := newTestLeader(t)
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: "n2", To: "n1", Term: r.Term, Index: 5}))
		for range 3 {
			require.NoError(t, r.Step(Message{Type: MsgProp, Entries: []Entry{{Data: []byte("x")}}}))
		}
		r.msgs = nil
		require.NoError(t, r.Step(Message{Type: MsgHeartbeatResp, From: "n2", To: "n1", Term: r.Term}))
		assert.Len(t, msgsTo(r, "n2"), 1)
	})
	t.Run("a rejection goes back to probing", func(t *testing.T) {
		r := newTestLeader(t)
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: "n2", To: "n1", Term: r.Term, Index: 5}))
		require.NoError(t, r.Step(Message{Type: MsgProp, Entries: []Entry{{Data: []byte("x")}}}))
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: "n2", To: "n1", Term: r.Term,
			Index: 6, Reject: true, RejectHint: 5, ConflictTerm: 1}))
		pr := r.prs["n2"]
		assert.Equal(t, ProgressProbe, pr.State)
		assert.Equal(t, uint64(6), pr.Next)
	})
	t.Run("unreachable stops streaming", func(t *testing.T) {
		r := newTestLeader(t)
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: "n2", To: "n1", Term: r.Term, Index: 5}))
		require.NoError(t, r.Step(Message{Type: MsgUnreachable, From: "n2"}))
		assert.Equal(t, ProgressProbe, r.prs["n2"].State)
	})
	t.Run("a failed snapshot is retried after the next heartbeat", func(t *testing.T) {
		r := newTestLeader(t)
		pr := r.prs["n2"]
		pr.becomeSnapshot(4)
		require.NoError(t, r.Step(Message{Type: MsgSnapStatus, From: "n2", Reject: true}))
		assert.Equal(t, ProgressProbe, pr.State)
		assert.True(t, pr.isPaused(), "sent again before hearing from the follower")
		require.NoError(t, r.Step(Message{Type: MsgHeartbeatResp, From: "n2", To: "n1", Term: r.Term}))
		assert.NotEmpty(t, msgsTo(r, "n2"))
	})
}

func msgsTo(r *raft, to string) []Message {
	var out []Message
	for _, m := range r.msgs {
		if m.To == to && m.Type == MsgApp {
			out = append(out, m)
		}
	}
	return out
}
