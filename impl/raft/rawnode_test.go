package raft

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.ID, c.Peers, c.Storage = "n1", []string{"n1", "n2", "n3"}, NewMemoryStorage()
		return c
	}
	for _, tc := range []struct {
		name   string
		modify func(*Config)
		ok     bool
	}{
		{"default is valid", func(*Config) {}, true},
		{"no id", func(c *Config) { c.ID = "" }, false},
		{"id not a peer", func(c *Config) { c.ID = "n9" }, false},
		{"duplicate peer", func(c *Config) { c.Peers = []string{"n1", "n1"} }, false},
		{"empty peer", func(c *Config) { c.Peers = []string{"n1", ""} }, false},
		{"election not above heartbeat", func(c *Config) { c.ElectionTick = c.HeartbeatTick }, false},
		{"no heartbeat", func(c *Config) { c.HeartbeatTick = 0 }, false},
		{"no storage", func(c *Config) { c.Storage = nil }, false},
		{"no inflight window", func(c *Config) { c.MaxInflightMsgs = 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.modify(&c)
			err := c.Validate()
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidConfig)
			}
		})
	}
}

func newTestRawNode(t *testing.T, id string, peers []string, modify func(*Config)) (*RawNode, *MemoryStorage) {
	t.Helper()
	st := NewMemoryStorage()
	c := DefaultConfig()
	c.ID, c.Peers, c.Storage = id, peers, st
	c.Logger = slog.New(slog.DiscardHandler)
	if modify != nil {
		modify(&c)
	}
	rn, err := NewRawNode(c)
	require.NoError(t, err)
	return rn, st
}

// persistAndApply does one Ready's work for a node without peers.
func persistAndApply(t *testing.T, rn *RawNode, st *MemoryStorage) (applied []Entry) {
	t.Helper()
	for rn.HasReady() {
		rd := rn.Ready()
		if !rd.HardState.IsEmpty() {
			require.NoError(t, st.SetHardState(rd.HardState))
		}
		require.NoError(t, st.Append(rd.Entries))
		applied = append(applied, rd.CommittedEntries...)
		rn.Advance(rd)
	}
	return applied
}

// The Ready contract on a single node: a proposal comes back first as an
// entry to persist, then as a committed entry to apply.
func TestRawNodeReadyContract(t *testing.T) {
	rn, st := newTestRawNode(t, "n1", []string{"n1"}, nil)
	require.NoError(t, rn.Campaign())
	rd := rn.Ready()
	require.NotNil(t, rd.SoftState)
	assert.Equal(t, StateLeader, rd.SoftState.State)
	assert.Equal(t, HardState{Term: 1, Vote: "n1", Commit: 1}, rd.HardState)
	assert.True(t, rd.MustSync)
	require.Len(t, rd.Entries, 1)
	assert.Equal(t, EntryNoop, rd.Entries[0].Type)
	require.NoError(t, st.SetHardState(rd.HardState))
	require.NoError(t, st.Append(rd.Entries))
	rn.Advance(rd)
	assert.False(t, rn.HasReady())

	require.NoError(t, rn.Propose([]byte("x")))
	applied := persistAndApply(t, rn, st)
	require.Len(t, applied, 1)
	assert.Equal(t, []byte("x"), applied[0].Data)
	assert.False(t, rn.HasReady())
	st2 := rn.Status()
	assert.Equal(t, uint64(2), st2.Commit)
	assert.Equal(t, uint64(2), st2.Applied)

	// A read on a single node is answered at once.
	require.NoError(t, rn.ReadIndex([]byte("r")))
	rd = rn.Ready()
	require.Len(t, rd.ReadStates, 1)
	assert.Equal(t, ReadState{Index: 2, RequestCtx: []byte("r")}, rd.ReadStates[0])
	rn.Advance(rd)
}

func TestRawNodeErrors(t *testing.T) {
	peers := []string{"n1", "n2", "n3"}
	t.Run("proposal without a leader is dropped", func(t *testing.T) {
		rn, _ := newTestRawNode(t, "n1", peers, nil)
		assert.ErrorIs(t, rn.Propose([]byte("x")), ErrProposalDropped)
		assert.ErrorIs(t, rn.ReadIndex([]byte("r")), ErrProposalDropped)
	})
	t.Run("forwarding disabled", func(t *testing.T) {
		rn, _ := newTestRawNode(t, "n1", peers, func(c *Config) { c.DisableProposalForwarding = true })
		require.NoError(t, rn.Step(Message{Type: MsgHeartbeat, From: "n2", To: "n1", Term: 1}))
		assert.ErrorIs(t, rn.Propose([]byte("x")), ErrNotLeader)
	})
	t.Run("forwarding to the leader", func(t *testing.T) {
		rn, _ := newTestRawNode(t, "n1", peers, nil)
		require.NoError(t, rn.Step(Message{Type: MsgHeartbeat, From: "n2", To: "n1", Term: 1}))
		_ = rn.Ready()
		require.NoError(t, rn.Propose([]byte("x")))
		rd := rn.Ready()
		require.Len(t, rd.Messages, 1)
		assert.Equal(t, MsgProp, rd.Messages[0].Type)
		assert.Equal(t, "n2", rd.Messages[0].To)
	})
	t.Run("local message from the network", func(t *testing.T) {
		rn, _ := newTestRawNode(t, "n1", peers, nil)
		assert.ErrorIs(t, rn.Step(Message{Type: MsgHup, From: "n2"}), ErrStepLocalMsg)
	})
	t.Run("response from a stranger", func(t *testing.T) {
		rn, _ := newTestRawNode(t, "n1", peers, nil)
		assert.ErrorIs(t, rn.Step(Message{Type: MsgAppResp, From: "n9", Term: 1}), ErrStepPeerNotFound)
	})
	t.Run("invalid config", func(t *testing.T) {
		_, err := NewRawNode(Config{ID: "n1"})
		assert.ErrorIs(t, err, ErrInvalidConfig)
	})
}

// Status reads like the seed document's RaftNode.
func TestStatusJSON(t *testing.T) {
	rn, _ := newTestRawNode(t, "n1", []string{"n1"}, nil)
	require.NoError(t, rn.Campaign())
	b, err := json.Marshal(rn.Status())
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, "n1", got["node_id"])
	assert.Equal(t, "leader", got["state"])
	assert.EqualValues(t, 1, got["current_term"])
	assert.Equal(t, "n1", got["voted_for"])
	assert.Contains(t, got, "log")
	progress := got["progress"].(map[string]any)["n1"].(map[string]any)
	assert.Equal(t, "replicate", progress["state"])
}

func TestInflights(t *testing.T) {
	in := newInflights(3)
	in.add(2)
	in.add(4)
	in.add(6)
	assert.True(t, in.full())
	in.freeLE(4)
	assert.Equal(t, 1, in.count)
	in.add(8)
	in.add(10)
	assert.True(t, in.full())
	in.freeFirstOne()
	assert.Equal(t, 2, in.count)
	in.freeLE(100)
	assert.Zero(t, in.count)
}

func TestUnstableTruncateAndAppend(t *testing.T) {
	for _, tc := range []struct {
		name       string
		offset     uint64
		have, add  []Entry
		wantOffset uint64
		want       []Entry
	}{
		{"append", 5, []Entry{{Index: 5, Term: 1}}, []Entry{{Index: 6, Term: 1}}, 5,
			[]Entry{{Index: 5, Term: 1}, {Index: 6, Term: 1}}},
		{"replace all", 5, []Entry{{Index: 5, Term: 1}}, []Entry{{Index: 5, Term: 2}}, 5,
			[]Entry{{Index: 5, Term: 2}}},
		{"replace before offset", 5, []Entry{{Index: 5, Term: 1}}, []Entry{{Index: 4, Term: 2}}, 4,
			[]Entry{{Index: 4, Term: 2}}},
		{"truncate middle", 5, []Entry{{Index: 5, Term: 1}, {Index: 6, Term: 1}, {Index: 7, Term: 1}},
			[]Entry{{Index: 6, Term: 2}}, 5, []Entry{{Index: 5, Term: 1}, {Index: 6, Term: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := unstable{offset: tc.offset, entries: tc.have}
			u.truncateAndAppend(tc.add)
			assert.Equal(t, tc.wantOffset, u.offset)
			assert.Equal(t, tc.want, u.entries)
		})
	}
}
