package raftkv

import (
	"context"
	"fmt"
	"path/filepath"

	kv "github.com/faultline/faultline/impl/raftkv"
	"github.com/faultline/faultline/nemesis"
)

var (
	_ nemesis.Processes   = (*Cluster)(nil)
	_ nemesis.PowerLosser = (*Cluster)(nil)
)

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

// PowerLoss kills a node and then drops from its write-ahead log what the
// node had not fsynced, as a power cut would (impl/raftkv.DropUnsynced);
// Restart brings it back with what is left.
func (c *Cluster) PowerLoss(ctx context.Context, id string) error {
	n, err := c.node(id)
	if err != nil {
		return err
	}
	// A node that is down already (its Raft core stopped it) loses power
	// all the same.
	if n.proc.Running() {
		if err := n.proc.Kill(ctx); err != nil {
			return err
		}
	}
	dropped, err := kv.DropUnsynced(filepath.Join(c.cfg.DataDir, n.id))
	if err != nil {
		return fmt.Errorf("power loss of %s: %w", id, err)
	}
	c.cfg.Logger.Info("power loss", "node", id, "unsynced_bytes_dropped", dropped)
	return nil
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
