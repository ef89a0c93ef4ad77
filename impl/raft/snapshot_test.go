package raft

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "Each server takes snapshots independently ... the leader must
// occasionally send snapshots to followers that lag behind. This happens
// when the leader has already discarded the next log entry that it needs to
// send to a follower" (§7). Logs stay bounded, and a follower that was away
// catches up through InstallSnapshot, also across its own restart.
func TestSnapshotInstall(t *testing.T) {
	const snapEvery, keep = 10, 3
	nw := newNetwork(t, testSeed(21), 3, nil)
	nw.checkLogs = true
	nw.snapEvery, nw.keep = snapEvery, keep
	nw.one("v0", 3, 100)

	lag := without(nw.ids, nw.leader())[0]
	nw.isolate(lag)
	for i := 1; i <= 100; i++ {
		nw.one(fmt.Sprintf("v%d", i), 2, 200)
		for _, id := range without(nw.ids, lag) {
			st := nw.node[id].rn.Status().Log
			assert.LessOrEqual(t, st.LastIndex-st.FirstIndex+1, uint64(snapEvery+keep+2),
				"%s: log not bounded by snapshots", id)
		}
	}
	require.Zero(t, nw.sent[MsgSnap])

	nw.heal()
	nw.one("after-heal", 3, 300)
	assert.Positive(t, nw.sent[MsgSnap], "the lagging follower was not sent a snapshot")
	snap, err := nw.node[lag].storage.Snapshot()
	require.NoError(t, err)
	assert.Greater(t, snap.Meta.Index, uint64(50), "%s did not install the leader's snapshot", lag)
	nw.checkConverged()

	// The follower restarts from its snapshot plus the entries after it.
	nw.restart(lag)
	nw.one("after-restart", 3, 300)
	nw.checkConverged()
	assert.Len(t, nw.node[lag].sm, 103)
}

// A snapshot that is lost on the way is retried.
func TestSnapshotLostIsRetried(t *testing.T) {
	nw := newNetwork(t, testSeed(22), 3, nil)
	nw.snapEvery, nw.keep = 5, 0
	nw.one("v0", 3, 100)
	lag := without(nw.ids, nw.leader())[0]
	nw.isolate(lag)
	for i := 1; i <= 20; i++ {
		nw.one(fmt.Sprintf("v%d", i), 2, 200)
	}
	nw.heal()
	nw.faults.drop = 0.5
	nw.one("after", 3, 1000)
	nw.heal()
	nw.run(20)
	nw.checkConverged()
}
