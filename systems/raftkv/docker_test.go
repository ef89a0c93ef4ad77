package raftkv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/impl/raftkv"
)

// TestDockerClusterSurvivesLeaderLoss runs three nodes in containers, writes a
// key, kills the leader's container and checks that the two others elect a
// new leader that still serves the acknowledged write and takes new ones;
// then restarts the old leader and checks that it catches up from its data
// directory, and pauses a follower without stopping the cluster.
func TestDockerClusterSurvivesLeaderLoss(t *testing.T) {
	requireDocker(t)
	image := buildImage(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	cfg := DefaultDockerConfig()
	cfg.Image = image
	cfg.Logger = testLogger(t)
	c, err := StartDocker(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		dumpLogsOnFailure(t, c)
		assert.NoError(t, c.Terminate(context.Background()))
	})

	kv := newClient(t, c)
	const key = "docker-leader-loss"
	require.NoError(t, writeAcked(ctx, kv, key, 42))
	requireRead(ctx, t, kv, key, 42)

	leader, err := c.WaitLeader(ctx)
	require.NoError(t, err)
	before, err := c.Status(ctx, leader)
	require.NoError(t, err)
	require.NoError(t, c.Kill(ctx, leader))
	t.Logf("killed the container of leader %s (term %d)", leader, before.CurrentTerm)

	next := waitNewLeader(ctx, t, c, leader)
	after, err := c.Status(ctx, next)
	require.NoError(t, err)
	assert.Greater(t, after.CurrentTerm, before.CurrentTerm, "the new leader must lead a later term")
	t.Logf("%s leads term %d", next, after.CurrentTerm)

	requireRead(ctx, t, kv, key, 42)
	require.NoError(t, writeAcked(ctx, kv, key, 43), "two of three nodes must still commit writes")
	requireRead(ctx, t, kv, key, 43)

	require.NoError(t, c.Restart(ctx, leader))
	waitCaughtUp(ctx, t, c, leader, next)

	current, err := c.WaitLeader(ctx)
	require.NoError(t, err)
	follower := otherThan(c.Nodes(), current)
	require.NoError(t, c.Pause(ctx, follower))
	require.NoError(t, writeAcked(ctx, kv, key, 44), "two of three nodes must commit while one is paused")
	require.NoError(t, c.Resume(ctx, follower))
	waitCaughtUp(ctx, t, c, follower, current)
	requireRead(ctx, t, kv, key, 44)
}

func newClient(t *testing.T, c *DockerCluster) *raftkv.Client {
	cfg := raftkv.DefaultClientConfig()
	cfg.Nodes = c.ClientAddrs()
	kv, err := raftkv.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(kv.Close)
	return kv
}

// retryDefinite calls op until it succeeds, fails in a way that may have
// taken effect, or ctx ends. A definite failure (no leader yet, a node
// down) certainly did not take effect, so trying again is safe.
func retryDefinite(ctx context.Context, op func(context.Context) error) error {
	return retry(ctx, op, func(err error) bool { return raftkv.IsDefinite(err) && !errors.Is(err, raftkv.ErrMismatch) })
}

// retry calls op until it succeeds, fails with an error again does not
// accept, or ctx ends.
func retry(ctx context.Context, op func(context.Context) error, again func(error) bool) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := op(octx)
		cancel()
		if err == nil || !again(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-tick.C:
		}
	}
}

func writeAcked(ctx context.Context, kv *raftkv.Client, key string, v int64) error {
	return retryDefinite(ctx, func(ctx context.Context) error { return kv.Write(ctx, key, v) })
}

func requireRead(ctx context.Context, t *testing.T, kv *raftkv.Client, key string, want int64) {
	t.Helper()
	var got int64
	var found bool
	// A read changes nothing, so even one whose outcome is unknown (a
	// timeout during an election) can be asked again.
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		got, found, err = kv.Read(ctx, key)
		return err
	}, func(error) bool { return true })
	require.NoError(t, err, "reading %s", key)
	require.True(t, found, "%s must exist", key)
	require.Equal(t, want, got, "%s must hold the last acknowledged write", key)
}

// waitNewLeader polls until a node other than old leads.
func waitNewLeader(ctx context.Context, t *testing.T, c *DockerCluster, old string) string {
	t.Helper()
	var id string
	require.Eventually(t, func() bool {
		var err error
		id, err = c.Leader(ctx)
		return err == nil && id != old
	}, 30*time.Second, 50*time.Millisecond, "no new leader after %s was killed", old)
	return id
}

// waitCaughtUp polls until node id has applied everything the leader had
// committed when the wait began.
func waitCaughtUp(ctx context.Context, t *testing.T, c *DockerCluster, id, leader string) {
	t.Helper()
	st, err := c.Status(ctx, leader)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := c.Status(ctx, id)
		return err == nil && got.AppliedIndex >= st.CommitIndex
	}, 30*time.Second, 50*time.Millisecond, "%s did not catch up to commit index %d", id, st.CommitIndex)
}

func otherThan(ids []string, not ...string) string {
	for _, id := range ids {
		skip := false
		for _, n := range not {
			skip = skip || id == n
		}
		if !skip {
			return id
		}
	}
	return ""
}
