package raftkv

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/faultline/faultline/impl/raftkv"
	"github.com/faultline/faultline/nemesis"
)

// statuses asks the nodes of a cluster for their /status and finds the
// leader from the answers. Both runtimes — child processes (Cluster) and
// containers (DockerCluster) — embed one, so that there is one way to find
// the leader.
type statuses struct {
	http    *http.Client
	timeout time.Duration // bounds one /status request
	// ids names the nodes in order; addrs is where each serves /status,
	// directly (never through a fault-injecting proxy); up says whether a
	// node runs and is not paused, that is whether it can answer at all.
	ids   []string
	addrs map[string]string
	up    func(id string) bool
}

// add makes node id, serving /status at addr, one of the nodes asked.
func (s *statuses) add(id, addr string) {
	if s.addrs == nil {
		s.addrs = map[string]string{}
	}
	s.ids = append(s.ids, id)
	s.addrs[id] = addr
}

// Status asks node id for its status (GET /status on its client port).
func (s *statuses) Status(ctx context.Context, id string) (raftkv.Status, error) {
	addr, ok := s.addrs[id]
	if !ok {
		return raftkv.Status{}, fmt.Errorf("%w %q: the cluster has %v", ErrUnknownNode, id, s.ids)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		return raftkv.Status{}, fmt.Errorf("status of node %s: %w", id, err)
	}
	resp, err := s.http.Do(req)
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
func (s *statuses) Leader(ctx context.Context) (string, error) {
	var leaders []raftkv.Status
	for _, id := range s.ids {
		if !s.up(id) {
			continue
		}
		st, err := s.Status(ctx, id)
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
func (s *statuses) WaitLeader(ctx context.Context) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if id, err := s.Leader(ctx); err == nil {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitAnswers polls node id's /status until it answers or timeout passes.
func (s *statuses) waitAnswers(ctx context.Context, id string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := s.Status(ctx, id)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s did not answer /status within %v: %w", id, timeout, err)
		case <-tick.C:
		}
	}
}

var (
	_ nemesis.LeaderFinder = (*Cluster)(nil)
	_ nemesis.LeaderFinder = (*DockerCluster)(nil)
)
