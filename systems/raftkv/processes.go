package raftkv

import (
	"context"
	"fmt"

	"github.com/faultline/faultline/nemesis"
)

var _ nemesis.Processes = (*Cluster)(nil)

func (c *Cluster) node(id string) (*node, error) {
	n, ok := c.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w %q: the cluster has %v", ErrUnknownNode, id, c.IDs())
	}
	return n, nil
}

// Nodes names the nodes.
func (c *Cluster) Nodes() []string { return c.IDs() }

// Kill kills a node with SIGKILL.
func (c *Cluster) Kill(ctx context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	return n.proc.Kill(ctx)
}

// Restart starts a killed node again from its data directory.
func (c *Cluster) Restart(_ context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	if n.proc.Running() {
		return nil
	}
	return n.proc.Start()
}

// Pause stops a node with SIGSTOP.
func (c *Cluster) Pause(_ context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	return n.proc.Pause()
}

// Resume continues a paused node with SIGCONT.
func (c *Cluster) Resume(_ context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	return n.proc.Resume()
}
