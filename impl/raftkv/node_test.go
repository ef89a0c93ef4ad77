package raftkv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterElectsOneLeader(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	st, err := c.nodes[leader].Status(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "leader", st.State)
	assert.Equal(t, leader, st.NodeID)
	assert.Len(t, st.Progress, 3)
}

func TestClusterReadWriteCAS(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.waitLeader()
	cl := c.newClient()
	ctx := t.Context()

	_, found, err := cl.Read(ctx, "x")
	require.NoError(t, err)
	assert.False(t, found, "a key starts absent")
	assert.ErrorIs(t, cl.CAS(ctx, "x", 0, 1), ErrMismatch, "cas on an absent key is a mismatch")

	require.NoError(t, cl.Write(ctx, "x", 5))
	v, found, err := cl.Read(ctx, "x")
	require.NoError(t, err)
	assert.True(t, found)
	assert.EqualValues(t, 5, v)

	tests := []struct {
		name     string
		old, new int64
		want     error
		after    int64
	}{
		{"matching cas swaps", 5, 6, nil, 6},
		{"stale cas is a mismatch", 5, 7, ErrMismatch, 6},
		{"cas back", 6, 5, nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cl.CAS(ctx, "x", tt.old, tt.new)
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
				assert.True(t, IsDefinite(err))
			}
			v, _, err := cl.Read(ctx, "x")
			require.NoError(t, err)
			assert.Equal(t, tt.after, v)
		})
	}
	assert.Contains(t, c.ids, cl.LastNode())
}

func TestClusterFollowerRefusesWithLeaderHint(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	var follower string
	for _, id := range c.ids {
		if id != leader {
			follower = id
			break
		}
	}
	for _, op := range []Op{OpRead, OpWrite} {
		t.Run(string(op), func(t *testing.T) {
			_, err := c.nodes[follower].Do(t.Context(), Request{Op: op, Key: "k", Value: 1})
			var nl *NotLeaderError
			require.ErrorAs(t, err, &nl)
			assert.Equal(t, leader, nl.Leader)
			assert.True(t, IsDefinite(err))
		})
	}
}

func TestClusterLeaderKillReelects(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	old := c.waitLeader()
	cl := c.newClient()
	ctx := t.Context()
	require.NoError(t, cl.Write(ctx, "k", 1))

	c.stop(old)
	leader := c.waitLeader()
	require.NotEqual(t, old, leader)
	require.NoError(t, cl.Write(ctx, "k", 2))
	v, _, err := cl.Read(ctx, "k")
	require.NoError(t, err)
	assert.EqualValues(t, 2, v)

	// The old leader restarts from its data directory and catches up.
	c.start(old)
	st, err := c.nodes[leader].Status(ctx)
	require.NoError(t, err)
	c.waitApplied(st.AppliedIndex)
	c.waitLeader()
}

func TestClusterRestartAllFromDataDir(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.SnapshotEntries = 20; cfg.SnapshotKeep = 5 })
	c.waitLeader()
	cl := c.newClient()
	ctx := t.Context()
	for i := range 50 { // enough to take snapshots and compact
		require.NoError(t, cl.Write(ctx, fmt.Sprintf("k%d", i%5), int64(i)))
	}
	for _, id := range c.ids {
		c.stop(id)
	}
	for _, id := range c.ids {
		c.start(id)
	}
	c.waitLeader()
	for i := 45; i < 50; i++ {
		v, found, err := cl.Read(ctx, fmt.Sprintf("k%d", i%5))
		require.NoError(t, err)
		assert.True(t, found)
		assert.EqualValues(t, i, v)
	}
	for _, id := range c.ids {
		st, err := c.nodes[id].Status(ctx)
		require.NoError(t, err)
		assert.Positive(t, st.SnapshotIndex, "node %s took no snapshot", id)
	}
}

func TestClusterLaggingFollowerCatchesUpBySnapshot(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.SnapshotEntries = 10; cfg.SnapshotKeep = 2 })
	leader := c.waitLeader()
	var lagging string
	for _, id := range c.ids {
		if id != leader {
			lagging = id
			break
		}
	}
	c.stop(lagging)
	cl := c.newClient()
	for i := range 40 {
		require.NoError(t, cl.Write(t.Context(), "k", int64(i)))
	}
	c.start(lagging)
	st, err := c.nodes[leader].Status(t.Context())
	require.NoError(t, err)
	c.waitApplied(st.AppliedIndex)
	lst, err := c.nodes[lagging].Status(t.Context())
	require.NoError(t, err)
	assert.Positive(t, lst.SnapshotIndex)
	assert.Equal(t, 1, lst.Keys)
}

func TestClusterRetryIsExactlyOnce(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.nodes[c.waitLeader()]
	cl := c.newClient()
	ctx := t.Context()
	require.NoError(t, cl.Write(ctx, "k", 10))

	// The first attempt reaches the leader but its answer is "lost": the
	// client never saw it, so the request stays retryable.
	cas := cl.NewRequest(OpCAS, "k", 11, 10)
	_, err := leader.Do(ctx, cas)
	require.NoError(t, err)
	require.NoError(t, cl.Write(ctx, "k", 10)) // back to 10: a second application would swap again

	// The retry of the same (client, seq) answers the first result and
	// does not apply again, although the cas would now succeed.
	_, err = cl.Do(ctx, cas)
	require.NoError(t, err)
	v, _, err := cl.Read(ctx, "k")
	require.NoError(t, err)
	assert.EqualValues(t, 10, v, "the retried cas was applied twice")

	// A mismatch is remembered as well.
	bad := cl.NewRequest(OpCAS, "k", 99, 42)
	_, err = leader.Do(ctx, bad)
	require.ErrorIs(t, err, ErrMismatch)
	require.NoError(t, cl.Write(ctx, "k", 42))
	_, err = cl.Do(ctx, bad)
	require.ErrorIs(t, err, ErrMismatch)
	v, _, err = cl.Read(ctx, "k")
	require.NoError(t, err)
	assert.EqualValues(t, 42, v)

	// Once the client acknowledged a result, a late duplicate cannot be
	// answered: it is indeterminate, and it is not applied again.
	_, err = cl.Do(ctx, cas)
	require.ErrorIs(t, err, ErrSessionExpired)
	assert.False(t, IsDefinite(err))
}

func TestClientClassifiesUnreachableAsDefinite(t *testing.T) {
	cfg := DefaultClientConfig()
	cfg.Nodes = map[string]string{"n1": freeAddr(t)} // nothing listens there
	cl, err := NewClient(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err = cl.Write(ctx, "k", 1)
	require.ErrorIs(t, err, ErrUnavailable)
	assert.True(t, IsDefinite(err))
}

func TestClientTimeoutAfterSendingIsIndeterminate(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	cl := c.newClient()
	require.NoError(t, cl.Write(t.Context(), "k", 1))
	// With the two followers gone, the leader accepts the write but
	// cannot commit it.
	for _, id := range c.ids {
		if id != leader {
			c.stop(id)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := cl.Write(ctx, "k", 2)
	require.Error(t, err)
	if errors.Is(err, ErrNotLeader) {
		t.Skip("the leader stepped down (check quorum) before the write arrived")
	}
	assert.ErrorIs(t, err, ErrIndeterminate)
	assert.False(t, IsDefinite(err))
}

func TestNodeHTTPStatusAndMetrics(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	cl := c.newClient()
	require.NoError(t, cl.Write(t.Context(), "k", 1))

	resp, err := http.Get("http://" + c.client[leader] + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, leader, st.NodeID)
	assert.Equal(t, "leader", st.State)
	assert.Equal(t, leader, st.VotedFor)
	assert.Positive(t, st.CurrentTerm)
	assert.GreaterOrEqual(t, st.CommitIndex, uint64(2))
	assert.Equal(t, "replicate", st.Progress[leader].State)

	resp, err = http.Get("http://" + c.client[leader] + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, name := range []string{"raftkv_proposals_total", "raftkv_fsync_duration_seconds_bucket", "raftkv_is_leader", `raftkv_requests_total{node="` + leader + `",op="write",outcome="ok"} 1`} {
		assert.Contains(t, string(body), name)
	}
}

func TestNodeRefusesCorruptDataDir(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.waitLeader()
	cl := c.newClient()
	for i := range 5 {
		require.NoError(t, cl.Write(t.Context(), "k", int64(i)))
	}
	c.stop("n1")
	path := filepath.Join(c.dirs["n1"], walFileName)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[recordHeaderSize+1] ^= 0x40 // inside the first record, with records after it
	require.NoError(t, os.WriteFile(path, data, 0o644))

	_, err = NewNode(c.config("n1"))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), path)
}
