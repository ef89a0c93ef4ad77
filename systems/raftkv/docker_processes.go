package raftkv

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/faultline/faultline/nemesis"
)

var _ nemesis.Processes = (*DockerCluster)(nil)

// Kill sends SIGKILL to node id (`docker kill`), paused or not: the node
// loses whatever it had not written to its data directory, which stays in
// the container. A node that is down already is left alone.
func (c *DockerCluster) Kill(ctx context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	if !c.isRunning(n) {
		return nil
	}
	if _, err := c.cli.ContainerKill(ctx, n.ctr.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("killing the container of node %s: %w", id, err)
	}
	c.setState(n, false, false)
	return nil
}

// Restart starts the container of a killed node again, so that the node
// recovers from its data directory, and waits until it answers /status. A
// running node is left alone.
func (c *DockerCluster) Restart(ctx context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	if c.isRunning(n) {
		return nil
	}
	if err := n.ctr.Start(ctx); err != nil {
		return fmt.Errorf("restarting the container of node %s: %w", id, err)
	}
	c.setState(n, true, false)
	return c.waitAnswers(ctx, n.id, c.cfg.StartTimeout)
}

// Pause freezes every process of node id's container (`docker pause`, the
// cgroup freezer): the node neither runs nor notices, like SIGSTOP.
func (c *DockerCluster) Pause(ctx context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	if !c.isUp(n) {
		return nil
	}
	if _, err := c.cli.ContainerPause(ctx, n.ctr.GetContainerID(), client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pausing the container of node %s: %w", id, err)
	}
	c.setState(n, true, true)
	return nil
}

// Resume thaws a paused node.
func (c *DockerCluster) Resume(ctx context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	if !c.isPaused(n) {
		return nil
	}
	if _, err := c.cli.ContainerUnpause(ctx, n.ctr.GetContainerID(), client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("resuming the container of node %s: %w", id, err)
	}
	c.setState(n, true, false)
	return nil
}

// isUp reports whether n runs and is not paused: whether it can answer.
func (c *DockerCluster) isUp(n *dockerNode) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.running && !n.paused
}

func (c *DockerCluster) isRunning(n *dockerNode) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.running
}

func (c *DockerCluster) isPaused(n *dockerNode) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.paused
}

func (c *DockerCluster) setState(n *dockerNode, running, paused bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n.running, n.paused = running, paused
}
