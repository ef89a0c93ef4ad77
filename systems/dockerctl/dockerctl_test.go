package dockerctl_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/faultline/faultline/systems/dockerctl"
	"github.com/faultline/faultline/systems/dockertest"
)

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }

// TestFaultsOnARealContainer kills, restarts, pauses and resumes a real
// container (the faultline image serving Toxiproxy), asking the engine
// after each step; a kill cut short by its context still counts as done,
// so Restart starts the container; the heals are no-ops where nothing is
// to heal.
func TestFaultsOnARealContainer(t *testing.T) {
	dockertest.Require(t)
	image := dockertest.Image(t, dockertest.Faultline)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctr, err := testcontainers.Run(ctx, image, testcontainers.WithCmd("toxiproxy", "--listen", "0.0.0.0:8474"))
	if ctr != nil {
		t.Cleanup(func() { _ = ctr.Terminate(context.Background()) })
	}
	require.NoError(t, err)
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	require.NoError(t, err)
	defer cli.Close()
	c := dockerctl.New(cli, map[string]string{"n1": ctr.GetContainerID()})
	state := func() (running, paused bool) {
		t.Helper()
		res, err := cli.ContainerInspect(ctx, ctr.GetContainerID(), client.ContainerInspectOptions{})
		require.NoError(t, err)
		return res.Container.State.Running, res.Container.State.Paused
	}

	assert.Equal(t, []string{"n1"}, c.Nodes())
	require.NoError(t, c.Resume(ctx, "n1"), "nothing to resume")
	require.NoError(t, c.Restart(ctx, "n1"), "a running container is left alone")
	running, _ := state()
	require.True(t, running)

	require.NoError(t, c.Pause(ctx, "n1"))
	_, paused := state()
	assert.True(t, paused)
	assert.False(t, c.Up("n1"))
	require.NoError(t, c.Resume(ctx, "n1"))
	_, paused = state()
	assert.False(t, paused)
	assert.True(t, c.Up("n1"))

	require.NoError(t, c.Kill(ctx, "n1"))
	running, _ = state()
	assert.False(t, running, "Kill returns once the container stopped")
	require.NoError(t, c.Kill(ctx, "n1"), "a stopped container is left alone")
	require.NoError(t, c.Restart(ctx, "n1"))
	running, _ = state()
	assert.True(t, running)

	// A kill whose context ended: whatever reached the engine, the node
	// counts as down and Restart makes sure it runs.
	done, stop := context.WithCancel(ctx)
	stop()
	require.Error(t, c.Kill(done, "n1"))
	assert.False(t, c.Up("n1"))
	require.NoError(t, c.Restart(ctx, "n1"))
	running, _ = state()
	assert.True(t, running)
	assert.True(t, c.Up("n1"))

	require.NoError(t, c.Close(), "Close leaves the caller's client open")
	_, err = cli.Ping(ctx, client.PingOptions{})
	require.NoError(t, err)
	assert.ErrorContains(t, c.Kill(ctx, "n9"), "unknown node")
}
