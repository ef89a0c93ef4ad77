package raftkv

import (
	"context"

	"github.com/faultline/faultline/nemesis"
)

var _ nemesis.Processes = (*DockerCluster)(nil)

// The node faults go through dockerctl, as the Compose runtime's do: a
// kill or pause that an error or the end of the run cut short still
// counts as done, so that the heal undoes it.

// Kill sends SIGKILL to node id's container (`docker kill`), paused or
// not, and waits until it stopped: the node loses whatever it had not
// written to its data directory. A node that is down already is left
// alone.
func (c *DockerCluster) Kill(ctx context.Context, id string) error {
	if _, err := c.node(id); err != nil {
		return err
	}
	return c.ctl.Kill(ctx, id)
}

// Restart starts the container of a killed node again, so that the node
// recovers from its data directory, and waits until it answers /status.
// A running node is left alone.
func (c *DockerCluster) Restart(ctx context.Context, id string) error {
	if _, err := c.node(id); err != nil {
		return err
	}
	if c.ctl.Up(id) {
		return nil
	}
	if err := c.ctl.Restart(ctx, id); err != nil {
		return err
	}
	return c.waitAnswers(ctx, id, c.cfg.StartTimeout)
}

// Pause freezes every process of node id's container (`docker pause`, the
// cgroup freezer): the node neither runs nor notices, like SIGSTOP.
func (c *DockerCluster) Pause(ctx context.Context, id string) error {
	if _, err := c.node(id); err != nil {
		return err
	}
	return c.ctl.Pause(ctx, id)
}

// Resume thaws a paused node; one that is not paused is left alone.
func (c *DockerCluster) Resume(ctx context.Context, id string) error {
	if _, err := c.node(id); err != nil {
		return err
	}
	return c.ctl.Resume(ctx, id)
}
