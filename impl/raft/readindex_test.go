package raft

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readState returns the node's ReadState for ctx, if it has one.
func (n *simNode) readState(ctx string) (ReadState, bool) {
	for _, rs := range n.readStates {
		if string(rs.RequestCtx) == ctx {
			return rs, true
		}
	}
	return ReadState{}, false
}

// waitRead runs until node id has a ReadState for ctx.
func (nw *network) waitRead(id, ctx string, maxRounds int) ReadState {
	nw.t.Helper()
	for range maxRounds {
		if rs, ok := nw.node[id].readState(ctx); ok {
			return rs
		}
		nw.tick()
	}
	nw.fatalf("%s got no read state for %q within %d rounds", id, ctx, maxRounds)
	return ReadState{}
}

// "Linearizable reads must not return stale data ... the leader must check
// whether it has been deposed before processing a read-only request" (§8);
// ReadIndex (thesis §6.4) does it with a heartbeat round.
func TestReadIndex(t *testing.T) {
	t.Run("leader and follower read at or after the last write", func(t *testing.T) {
		nw := newNetwork(t, testSeed(31), 3, nil)
		nw.one("w1", 3, 100)
		l := nw.leader()
		commit := nw.node[l].rn.Status().Commit
		for _, id := range nw.ids {
			ctx := "read-at-" + id
			require.NoError(t, nw.node[id].rn.ReadIndex([]byte(ctx)))
			nw.process(id)
			rs := nw.waitRead(id, ctx, 20)
			assert.GreaterOrEqual(t, rs.Index, commit, "%s: read index behind the last write", id)
		}
	})

	t.Run("a new leader waits for an entry of its term", func(t *testing.T) {
		nw := newNetwork(t, testSeed(32), 3, func(c *Config) { c.PreVote = false })
		require.NoError(t, nw.node["n1"].rn.Campaign())
		nw.process("n1")
		for nw.node["n1"].rn.Status().State != StateLeader {
			require.True(t, nw.deliverNext(), "n1 did not win")
		}
		// Its no-op is appended but not yet committed.
		n1 := nw.node["n1"]
		require.NoError(t, n1.rn.ReadIndex([]byte("early")))
		nw.process("n1")
		_, ok := n1.readState("early")
		assert.False(t, ok, "served a read before committing an entry of its term")
		assert.Len(t, n1.rn.r.pendingReadIndexMessages, 1)

		nw.deliver()
		rs := nw.waitRead("n1", "early", 20)
		noop := n1.rn.Status().Log.LastIndex
		assert.Equal(t, noop, rs.Index, "read index is not the new leader's commit")
	})

	t.Run("a partitioned old leader cannot serve a read", func(t *testing.T) {
		// Without check-quorum the old leader keeps believing it leads.
		nw := newNetwork(t, testSeed(33), 5, func(c *Config) { c.CheckQuorum = false })
		nw.one("w1", 5, 100)
		old := nw.leader()
		nw.isolate(old)
		nw.waitLeaderAmong(without(nw.ids, old), 300)
		nw.one("w2", 4, 200)
		require.Equal(t, StateLeader, nw.node[old].rn.Status().State)

		require.NoError(t, nw.node[old].rn.ReadIndex([]byte("stale")))
		nw.process(old)
		nw.run(100)
		_, ok := nw.node[old].readState("stale")
		assert.False(t, ok, "a deposed leader confirmed a read: it would miss w2")

		// Healed, the old leader learns the new term and drops the request;
		// a fresh read through it sees w2.
		nw.heal()
		nw.run(20)
		_, ok = nw.node[old].readState("stale")
		assert.False(t, ok)
		require.NoError(t, nw.node[old].rn.ReadIndex([]byte("fresh")))
		nw.process(old)
		rs := nw.waitRead(old, "fresh", 50)
		assert.GreaterOrEqual(t, rs.Index, indexOf(t, nw, "w2"))
	})

	t.Run("reads under loss are answered or dropped, never early", func(t *testing.T) {
		nw := newNetwork(t, testSeed(34), 3, nil)
		nw.one("w0", 3, 100)
		nw.faults = netFaults{drop: 0.2, maxDelay: 2, reorder: true}
		for i := range 20 {
			w := fmt.Sprintf("w%d", i+1)
			nw.one(w, 2, 300)
			at := indexOf(t, nw, w)
			for _, id := range nw.ids {
				ctx := fmt.Sprintf("r%d-%s", i, id)
				if nw.node[id].rn.ReadIndex([]byte(ctx)) == nil {
					nw.process(id)
				}
				nw.run(10)
				if rs, ok := nw.node[id].readState(ctx); ok {
					assert.GreaterOrEqual(t, rs.Index, at, "%s read before %s", id, w)
				}
			}
		}
	})
}

// indexOf returns the log index at which data was applied.
func indexOf(t *testing.T, nw *network, data string) uint64 {
	t.Helper()
	for _, rec := range nw.applied {
		if rec.present && string(rec.entry.Data) == data {
			return rec.entry.Index
		}
	}
	t.Fatalf("%q was never applied", data)
	return 0
}
