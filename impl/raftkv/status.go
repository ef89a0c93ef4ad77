package raftkv

import (
	"context"
	"fmt"

	"github.com/faultline/faultline/impl/raft"
)

// Status is what GET /status returns. Its first fields read like the seed
// document's RaftNode (node_id, state, current_term, voted_for, log).
type Status struct {
	NodeID        string                `json:"node_id"`
	State         string                `json:"state"` // follower, pre-candidate, candidate, leader
	CurrentTerm   uint64                `json:"current_term"`
	VotedFor      string                `json:"voted_for"`
	Leader        string                `json:"leader"`
	CommitIndex   uint64                `json:"commit_index"`
	AppliedIndex  uint64                `json:"applied_index"`
	FirstIndex    uint64                `json:"first_index"`
	LastIndex     uint64                `json:"last_index"`
	LastTerm      uint64                `json:"last_term"`
	LogLength     uint64                `json:"log_length"` // entries held, LastIndex-FirstIndex+1
	SnapshotIndex uint64                `json:"snapshot_index"`
	Keys          int                   `json:"keys"`
	Sessions      int                   `json:"sessions"`
	Progress      map[string]PeerStatus `json:"progress,omitempty"` // leader only
	Bugs          []Bug                 `json:"bugs,omitempty"`     // deliberate defects it runs with
}

// PeerStatus is the leader's view of one member.
type PeerStatus struct {
	Match        uint64 `json:"match"`
	Next         uint64 `json:"next"`
	State        string `json:"state"` // probe, replicate, snapshot
	RecentActive bool   `json:"recent_active"`
	Inflight     int    `json:"inflight"`
}

// Status asks the loop for the node's current state.
func (n *Node) Status(ctx context.Context) (Status, error) {
	c := make(chan Status, 1)
	select {
	case n.statusc <- c:
	case <-ctx.Done():
		return Status{}, fmt.Errorf("%w: node loop did not answer: %w", ErrUnavailable, ctx.Err())
	case <-n.done:
		return Status{}, fmt.Errorf("%w: %w", ErrUnavailable, ErrStopped)
	}
	select {
	case st := <-c:
		return st, nil
	case <-ctx.Done():
		return Status{}, fmt.Errorf("%w: node loop did not answer: %w", ErrUnavailable, ctx.Err())
	}
}

// status runs in the loop.
func (n *Node) status() Status {
	st := n.rn.Status()
	length := uint64(0)
	if st.Log.LastIndex >= st.Log.FirstIndex {
		length = st.Log.LastIndex - st.Log.FirstIndex + 1
	}
	return Status{
		NodeID: st.ID, State: st.State.String(), CurrentTerm: st.Term, VotedFor: st.Vote, Leader: st.Lead,
		CommitIndex: st.Commit, AppliedIndex: n.applied,
		FirstIndex: st.Log.FirstIndex, LastIndex: st.Log.LastIndex, LastTerm: st.Log.LastTerm, LogLength: length,
		SnapshotIndex: n.snapIndex, Keys: len(n.kv.Data), Sessions: len(n.kv.Sessions), Progress: peerStatus(st.Progress), Bugs: n.cfg.Bugs,
	}
}

func peerStatus(prs map[string]raft.PeerProgress) map[string]PeerStatus {
	if prs == nil {
		return nil
	}
	out := make(map[string]PeerStatus, len(prs))
	for id, pr := range prs {
		out[id] = PeerStatus{Match: pr.Match, Next: pr.Next, State: pr.State.String(), RecentActive: pr.RecentActive, Inflight: pr.Inflight}
	}
	return out
}
