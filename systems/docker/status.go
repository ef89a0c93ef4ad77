package docker

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/faultline/faultline/impl/raftkv"
)

// Status asks node id for its status (GET /status on its client port).
func (c *Cluster) Status(ctx context.Context, id string) (raftkv.Status, error) {
	n, err := c.node(id)
	if err != nil {
		return raftkv.Status{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.clientAddr+"/status", nil)
	if err != nil {
		return raftkv.Status{}, fmt.Errorf("status of node %s: %w", id, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return raftkv.Status{}, fmt.Errorf("status of node %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return raftkv.Status{}, fmt.Errorf("status of node %s: HTTP %s", id, resp.Status)
	}
	var st raftkv.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return raftkv.Status{}, fmt.Errorf("status of node %s: decoding the answer: %w", id, err)
	}
	return st, nil
}

// Leader is the node that claims leadership in the highest term among the
// running, unpaused nodes that answer. Two nodes may both claim it for a
// moment (an old leader that has not heard of the new term); the higher
// term wins.
func (c *Cluster) Leader(ctx context.Context) (string, error) {
	var leaders []raftkv.Status
	for _, n := range c.nodes {
		if !c.isUp(n) {
			continue
		}
		st, err := c.Status(ctx, n.id)
		if err == nil && st.State == "leader" {
			leaders = append(leaders, st)
		}
	}
	if len(leaders) == 0 {
		return "", ErrNoLeader
	}
	best := slices.MaxFunc(leaders, func(a, b raftkv.Status) int {
		return cmp.Compare(a.CurrentTerm, b.CurrentTerm)
	})
	return best.NodeID, nil
}

// WaitLeader polls Leader until some node leads, or ctx ends.
func (c *Cluster) WaitLeader(ctx context.Context) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		id, err := c.Leader(ctx)
		if err == nil {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		case <-tick.C:
		}
	}
}
