package raft

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "If followers crash or run slowly, or if network packets are lost, the
// leader retries AppendEntries RPCs indefinitely ... until all followers
// eventually store all log entries" (§5.3).
func TestReplicationUnderLoss(t *testing.T) {
	nw := newNetwork(t, testSeed(11), 5, nil)
	nw.checkLogs = true
	nw.waitLeader(100)
	nw.faults = netFaults{drop: 0.2, dup: 0.1, maxDelay: 3, reorder: true}
	for i := range 30 {
		nw.one(fmt.Sprintf("v%d", i), 3, 500)
	}
	nw.heal()
	nw.one("last", 5, 300)
	nw.checkConverged()
	assert.Len(t, nw.node["n1"].sm, 31)
}

// "When rejecting an AppendEntries request, the follower can include the
// term of the conflicting entry and the first index it stores for that
// term. With this information, the leader can decrement nextIndex to bypass
// all of the conflicting entries in that term; one AppendEntries RPC will
// be required for each term with conflicting entries, rather than one RPC
// per entry" (§5.3).
func TestFastBackup(t *testing.T) {
	const divergent = 60
	nw := newNetwork(t, testSeed(12), 5, nil)
	nw.checkLogs = true
	nw.one("first", 5, 100)

	// The leader and one follower are cut off and append 60 entries that
	// can never commit.
	l1 := nw.leader()
	f1 := without(nw.ids, l1)[0]
	minority := []string{l1, f1}
	majority := without(without(nw.ids, l1), f1)
	nw.partition(minority, majority)
	for i := range divergent {
		require.NoError(t, nw.propose(l1, fmt.Sprintf("lost%d", i)))
	}
	nw.run(5)

	// The majority elects a leader and commits 60 other entries.
	nw.waitLeaderAmong(majority, 200)
	for i := range divergent {
		nw.one(fmt.Sprintf("kept%d", i), 3, 200)
	}
	// Re-elect within the majority, so the leader that meets the stale logs
	// starts probing them from the end of its long log.
	l2 := nw.leader()
	nw.restart(l2)
	nw.run(30)
	nw.one("kept-after-reelection", 3, 300)
	require.Equal(t, 1, len(nw.leadersOf(majority)))

	// Heal and count the rejections it takes to repair the two logs.
	before := nw.rejects
	nw.heal()
	nw.one("last", 5, 300)
	rejects := nw.rejects - before
	t.Logf("repairing 2 logs with %d divergent entries each took %d rejected appends", divergent, rejects)
	assert.LessOrEqual(t, rejects, 8, "back-up should take a round per term, not per entry")
	for _, id := range nw.ids {
		assert.NotContains(t, nw.node[id].sm, "lost0", "%s kept an uncommitted entry", id)
		assert.Len(t, nw.node[id].sm, 3+divergent, "%s", id)
	}
	nw.checkConverged()
}

// "Raft never commits log entries from previous terms by counting replicas.
// Only log entries from the leader's current term are committed by counting
// replicas" (§5.4.2, Figure 8).
func TestCommitRuleFigure8(t *testing.T) {
	peers := []string{"n1", "n2", "n3", "n4", "n5"}
	st := NewMemoryStorage()
	// n1 was leader in term 2 and appended index 2; it restarts in term 3.
	require.NoError(t, st.Append([]Entry{{Index: 1, Term: 1}, {Index: 2, Term: 2}}))
	require.NoError(t, st.SetHardState(HardState{Term: 3, Commit: 1}))
	c := DefaultConfig()
	c.ID, c.Peers, c.Storage = "n1", peers, st
	r, err := newRaft(c)
	require.NoError(t, err)
	r.becomeCandidate()
	r.becomeLeader() // term 4; appends a no-op at index 3
	require.Equal(t, uint64(4), r.Term)
	require.Equal(t, uint64(3), r.log.lastIndex())

	// Index 2 (term 2) reaches a majority: n1, n2, n3. It must not commit.
	for _, id := range []string{"n2", "n3"} {
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: id, To: "n1", Term: 4, Index: 2}))
	}
	assert.Equal(t, uint64(1), r.log.committed, "an entry of an older term was committed by counting replicas")

	// The no-op of term 4 reaches the majority: it and index 2 commit.
	for _, id := range []string{"n2", "n3"} {
		require.NoError(t, r.Step(Message{Type: MsgAppResp, From: id, To: "n1", Term: 4, Index: 3}))
	}
	assert.Equal(t, uint64(3), r.log.committed)
}

// Figure 8 under fire (the lab's Figure8Unreliable): leaders crash at random
// moments on a lossy, reordering network; in the end every node agrees and
// nothing acknowledged is lost.
func TestFigure8Unreliable(t *testing.T) {
	seed := testSeed(13)
	nw := newNetwork(t, seed, 5, func(c *Config) { c.MaxEntriesPerMsg = 2 })
	nw.checkLogs = true
	nw.faults = netFaults{drop: 0.1, dup: 0.05, maxDelay: 2, reorder: true}
	rng := nw.rng
	up := len(nw.ids)
	for i := range 300 {
		if l := nw.leader(); l != None {
			_ = nw.propose(l, fmt.Sprintf("f%d", i))
		}
		nw.run(1 + rng.IntN(12))
		if l := nw.leader(); l != None && rng.IntN(2) == 0 {
			nw.crash(l)
			up--
		}
		if up < 3 {
			for _, id := range nw.ids {
				if !nw.node[id].up() && rng.IntN(2) == 0 {
					nw.restart(id)
					up++
				}
			}
		}
	}
	nw.heal()
	for _, id := range nw.ids {
		if !nw.node[id].up() {
			nw.restart(id)
		}
	}
	nw.one("final", 5, 1000)
	nw.run(10)
	nw.checkConverged()
	nw.checkAcked()
	t.Logf("%d terms had a leader; final state has %d entries", len(nw.leaders), len(nw.node["n1"].sm))
}

// Churn: any node may crash, restart, or be partitioned while clients
// propose through any node. "Every acknowledged write is in the final
// state": whatever some node applied survives into every node's state.
func TestChurn(t *testing.T) {
	seed := testSeed(14)
	nw := newNetwork(t, seed, 5, nil)
	nw.checkLogs = true
	rng := nw.rng
	for i := range 400 {
		_ = nw.propose(nw.ids[rng.IntN(5)], fmt.Sprintf("c%d", i))
		switch x := rng.IntN(20); {
		case x == 0:
			nw.crash(nw.ids[rng.IntN(5)])
		case x < 3:
			if id := nw.ids[rng.IntN(5)]; !nw.node[id].up() {
				nw.restart(id)
			}
		case x == 3:
			nw.isolate(nw.ids[rng.IntN(5)])
		case x == 4:
			nw.heal()
		}
		nw.run(1 + rng.IntN(3))
	}
	nw.heal()
	for _, id := range nw.ids {
		if !nw.node[id].up() {
			nw.restart(id)
		}
	}
	nw.one("final", 5, 500)
	nw.run(10)
	nw.checkConverged()
	acked := nw.checkAcked()
	assert.Greater(t, acked, 100, "too little got through to mean anything")
}

// "Raft's RPCs require the recipient to persist information to stable
// storage before responding" (§5.1, Figure 2): after every node crashes and
// restarts, everything committed is still there.
func TestCrashRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash func(nw *network) []string
	}{
		{"all nodes", func(nw *network) []string { return nw.ids }},
		{"the leader", func(nw *network) []string { return []string{nw.leader()} }},
		{"a follower", func(nw *network) []string { return without(nw.ids, nw.leader())[:1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := newNetwork(t, testSeed(15), 3, nil)
			nw.checkLogs = true
			for i := range 5 {
				nw.one(fmt.Sprintf("a%d", i), 3, 200)
			}
			for round := range 3 {
				victims := tc.crash(nw)
				terms := map[string]uint64{}
				for _, id := range victims {
					terms[id] = nw.node[id].rn.r.Term
					nw.crash(id)
				}
				if len(victims) < len(nw.ids) {
					nw.one(fmt.Sprintf("while-down%d", round), 3-len(victims), 300)
				}
				for _, id := range victims {
					nw.restart(id)
					assert.GreaterOrEqual(t, nw.node[id].rn.r.Term, terms[id], "%s forgot its term", id)
				}
				nw.one(fmt.Sprintf("b%d", round), 3, 300)
			}
			nw.checkConverged()
			assert.Equal(t, []string{"a0", "a1", "a2", "a3", "a4"}, nw.node["n1"].sm[:5])
		})
	}
}

// checkAcked checks that every proposal some node applied is in the final
// state of every running node, and returns how many there were.
func (nw *network) checkAcked() int {
	nw.t.Helper()
	for _, id := range nw.ids {
		n := nw.node[id]
		if !n.up() {
			continue
		}
		have := make(map[string]bool, len(n.sm))
		for _, d := range n.sm {
			have[d] = true
		}
		for d := range nw.appliedData {
			if !have[d] {
				nw.fatalf("acknowledged proposal %q is missing from %s's final state", d, id)
			}
		}
	}
	return len(nw.appliedData)
}

// Figure 8 of the paper, scripted: an entry of an old term that a new leader
// has replicated to a majority can still be overwritten, so it must not be
// committed by counting replicas. Here n1 (term 3) gets its term-1 entry A
// onto a majority; if it committed A, n5 (term 4) would overwrite it.
func TestFigure8Scripted(t *testing.T) {
	nw := newNetwork(t, testSeed(16), 5, func(c *Config) {
		c.PreVote, c.CheckQuorum = false, false
		c.MaxEntriesPerMsg = 1
	})
	nw.checkLogs = true
	n := func(id string) *simNode { return nw.node[id] }
	// campaign makes id stand for election until it wins (a lost or split
	// vote only costs a term).
	campaign := func(id string) {
		for range 3 {
			require.NoError(t, n(id).rn.Campaign())
			nw.process(id)
			nw.deliver()
			if n(id).rn.Status().State == StateLeader {
				return
			}
		}
		t.Fatalf("%s did not win", id)
	}
	// No ticks in this test: only the scripted campaigns and deliveries.
	campaign("n1") // term 1: the no-op at index 1 commits everywhere

	// (a) n1 replicates A (index 2, term 1) to n2 only, then crashes.
	nw.partition([]string{"n1", "n2"}, []string{"n3", "n4", "n5"})
	require.NoError(t, nw.propose("n1", "A"))
	nw.deliver()
	nw.crash("n1")

	// (b) n5 wins term 2 with n3 and n4, appends its no-op at index 2, and
	// crashes before sending it anywhere.
	nw.drop = func(m Message) bool { return m.From == "n5" && m.Type == MsgApp }
	campaign("n5")
	nw.crash("n5")
	nw.drop = nil

	// (c) n1 restarts and wins term 3 with n2, n3 (n4 cut off; its first
	// try, in term 2, fails: n3 voted for n5 in term 2). It brings n3
	// up to index 2 (A) but its own no-op of term 3 reaches only n2: A is on
	// a majority (n1, n2, n3), the no-op is not.
	nw.heal()
	nw.restart("n1")
	nw.cutLink("n1", "n4")
	nw.drop = func(m Message) bool {
		// Let n1's probe through (n3 rejects it, lacking index 2) and the
		// append of A; lose whatever would bring the no-op to n3.
		hasA := n("n3").rn.r.log.lastIndex() >= 2
		return hasA && m.From == "n1" && m.To == "n3" && m.Type == MsgApp && len(m.Entries) > 0
	}
	campaign("n1")
	require.Equal(t, uint64(3), n("n1").rn.Status().Term)
	require.Equal(t, uint64(2), n("n1").rn.r.prs["n3"].Match, "A did not reach n3")
	assert.Equal(t, uint64(1), n("n1").rn.Status().Commit,
		"n1 committed A, an entry of term 1, by counting replicas in term 3")

	// (d) n1 crashes; n5 can win term 4 (its last term 2 beats A's term 1)
	// with n3 and n4, and replaces A at index 2 everywhere it reaches.
	nw.crash("n1")
	nw.drop = nil
	nw.heal()
	nw.restart("n5")
	campaign("n5")
	nw.deliver()
	nw.one("after", 4, 200)
	for _, id := range []string{"n2", "n3", "n4", "n5"} {
		assert.NotContains(t, n(id).sm, "A", "%s", id)
	}
	e, err := n("n5").rn.r.log.term(2)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), e, "index 2 should hold n5's term-2 entry")
}
