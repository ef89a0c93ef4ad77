package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "Raft uses a heartbeat mechanism to trigger leader election ... A server
// remains in follower state as long as it receives valid RPCs from a leader"
// (§5.2): one leader is elected, and with no failures the term stays put.
func TestInitialElection(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		pre  bool
	}{
		{"3 nodes", 3, false},
		{"5 nodes", 5, false},
		{"3 nodes pre-vote", 3, true},
		{"1 node", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := newNetwork(t, testSeed(1), tc.size, func(c *Config) { c.PreVote = tc.pre })
			nw.checkLogs = true
			l := nw.waitLeader(100)
			term := nw.node[l].rn.r.Term
			nw.run(200)
			assert.Equal(t, l, nw.leader(), "leader changed without any failure")
			for _, id := range nw.ids {
				st := nw.node[id].rn.Status()
				assert.Equal(t, term, st.Term, "%s: term changed without any failure", id)
				assert.Equal(t, l, st.Lead, "%s: does not follow the leader", id)
			}
			assert.Len(t, nw.leadersOf(nw.ids), 1)
		})
	}
}

// "If a follower receives no communication over a period of time called
// the election timeout, then it assumes there is no viable leader and
// begins an election" (§5.2).
func TestReElection(t *testing.T) {
	for _, pre := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "pre-vote"}[pre], func(t *testing.T) {
			nw := newNetwork(t, testSeed(2), 3, func(c *Config) { c.PreVote = pre })
			nw.checkLogs = true
			l1 := nw.waitLeader(100)

			nw.isolate(l1)
			others := without(nw.ids, l1)
			l2 := nw.waitLeaderAmong(others, 200)
			require.NotEqual(t, l1, l2)

			// The old leader rejoins: there is still one leader, in the
			// majority's term or later.
			nw.heal()
			nw.run(50)
			assert.Len(t, nw.leadersOf(nw.ids), 1)
			nw.one("after-rejoin", 3, 200)
		})
	}
}

// "Once a candidate wins an election, it becomes leader" — it needs votes
// from a majority (§5.2): without one there is no leader and nothing
// commits.
func TestNoLeaderWithoutMajority(t *testing.T) {
	nw := newNetwork(t, testSeed(3), 5, nil)
	nw.checkLogs = true
	l := nw.waitLeader(100)
	nw.one("before", 5, 100)

	// Leave the leader with one follower: a minority.
	minority := []string{l, without(nw.ids, l)[0]}
	majority := without(without(nw.ids, minority[0]), minority[1])
	nw.partition(minority, majority)
	_ = nw.propose(l, "in-minority")
	nw.run(100)
	assert.Zero(t, nw.appliedBy("in-minority"), "an entry committed without a majority")

	// Crash two of the majority: three nodes cannot talk to a majority.
	nw.crash(majority[0])
	nw.crash(majority[1])
	nw.run(300)
	assert.Empty(t, nw.leadersOf(nw.ids), "a leader without a majority")
	assert.Zero(t, nw.appliedBy("in-minority"))

	// Back together: a leader again, and commits resume.
	nw.heal()
	nw.restart(majority[0])
	nw.restart(majority[1])
	nw.one("after", 5, 300)
	nw.checkConverged()
}

// "In Raft, the leader handles inconsistencies by forcing the followers'
// logs to duplicate its own" (§5.3): entries a cut-off leader appended but
// never committed are discarded when it rejoins.
func TestRejoinDiscardsUncommitted(t *testing.T) {
	nw := newNetwork(t, testSeed(4), 3, nil)
	nw.checkLogs = true
	nw.one("101", 3, 100)

	l1 := nw.leader()
	nw.isolate(l1)
	for _, d := range []string{"102", "103", "104"} {
		require.NoError(t, nw.propose(l1, d))
	}
	others := without(nw.ids, l1)
	nw.partition([]string{l1}, others)
	nw.waitLeaderAmong(others, 200)
	nw.one("103-new", 2, 200)

	nw.heal()
	nw.one("105", 3, 300)
	for _, id := range nw.ids {
		sm := nw.node[id].sm
		assert.Equal(t, []string{"101", "103-new", "105"}, sm, "%s", id)
	}
	nw.checkConverged()
}

// With check-quorum a leader cut off from the majority steps down on its
// own, instead of claiming leadership for ever.
func TestCheckQuorumLeaderStepsDown(t *testing.T) {
	nw := newNetwork(t, testSeed(5), 3, func(c *Config) { c.CheckQuorum = true })
	l := nw.waitLeader(100)
	nw.isolate(l)
	nw.run(3 * 10)
	assert.NotEqual(t, StateLeader, nw.node[l].rn.Status().State, "isolated leader kept leading")
}

// Pre-vote (thesis §9.6): a node that was partitioned away does not bump
// its term while away, so when it returns it does not depose the leader.
func TestPreVoteRejoinDoesNotDisrupt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pre       bool
		disrupted bool
	}{
		{"without pre-vote the term grows", false, true},
		{"with pre-vote the term stays", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := newNetwork(t, testSeed(6), 3, func(c *Config) { c.PreVote = tc.pre; c.CheckQuorum = false })
			l := nw.waitLeader(100)
			term := nw.node[l].rn.r.Term
			f := without(nw.ids, l)[0]
			nw.isolate(f)
			nw.run(200)
			nw.heal()
			nw.run(50)
			nw.one("x", 3, 200)
			newTerm := nw.node[nw.leader()].rn.r.Term
			if tc.disrupted {
				assert.Greater(t, newTerm, term)
			} else {
				assert.Equal(t, term, newTerm)
				assert.Equal(t, l, nw.leader())
			}
		})
	}
}

// waitLeaderAmong runs until one of ids leads (in a term newer than any
// other node's leadership) and returns it.
func (nw *network) waitLeaderAmong(ids []string, maxRounds int) string {
	nw.t.Helper()
	for range maxRounds {
		if ls := nw.leadersOf(ids); len(ls) == 1 {
			return ls[0]
		}
		nw.tick()
	}
	nw.fatalf("no leader among %v within %d rounds", ids, maxRounds)
	return None
}

func without(ids []string, id string) []string {
	var out []string
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// "If a server receives a RequestVote request within the minimum election
// timeout of hearing from a current leader, it does not update its term or
// grant its vote" (thesis §4.2.3): the leader lease that check-quorum enables.
func TestLeaderLeaseIgnoresVotes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		checkQuorum bool
		elapsed     int
		wantTerm    uint64
		wantGrant   bool
	}{
		{"within the lease the request is ignored", true, 0, 1, false},
		{"after the lease the vote is granted", true, 10, 2, true},
		{"without check-quorum there is no lease", false, 0, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.ID, c.Peers, c.Storage = "n1", []string{"n1", "n2", "n3"}, NewMemoryStorage()
			c.CheckQuorum = tc.checkQuorum
			r, err := newRaft(c)
			require.NoError(t, err)
			r.becomeFollower(1, "n2")
			r.electionElapsed = tc.elapsed
			require.NoError(t, r.Step(Message{Type: MsgVote, From: "n3", To: "n1", Term: 2}))
			assert.Equal(t, tc.wantTerm, r.Term)
			granted := len(r.msgs) == 1 && r.msgs[0].Type == MsgVoteResp && !r.msgs[0].Reject
			assert.Equal(t, tc.wantGrant, granted)
		})
	}
}

// "Each server will vote for at most one candidate in a given term, on a
// first-come-first-served basis" and only for a candidate whose "log is at
// least as up-to-date as receiver's log" (§5.2, §5.4.1).
func TestVoteGranting(t *testing.T) {
	for _, tc := range []struct {
		name      string
		vote      string
		index     uint64
		logTerm   uint64
		wantGrant bool
	}{
		{"fresh vote, log as long", None, 2, 2, true},
		{"fresh vote, log longer", None, 5, 2, true},
		{"fresh vote, higher last term", None, 1, 3, true},
		{"fresh vote, log shorter", None, 1, 2, false},
		{"fresh vote, lower last term", None, 9, 1, false},
		{"already voted for another", "n3", 2, 2, false},
		{"repeated vote for the same", "n2", 2, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemoryStorage()
			require.NoError(t, st.Append([]Entry{{Index: 1, Term: 1}, {Index: 2, Term: 2}}))
			require.NoError(t, st.SetHardState(HardState{Term: 2, Vote: tc.vote}))
			c := DefaultConfig()
			c.ID, c.Peers, c.Storage = "n1", []string{"n1", "n2", "n3"}, st
			r, err := newRaft(c)
			require.NoError(t, err)
			require.NoError(t, r.Step(Message{Type: MsgVote, From: "n2", To: "n1", Term: 2, Index: tc.index, LogTerm: tc.logTerm}))
			require.Len(t, r.msgs, 1)
			assert.Equal(t, tc.wantGrant, !r.msgs[0].Reject)
			if tc.wantGrant {
				assert.Equal(t, "n2", r.Vote)
			}
		})
	}
}
