package raft

// Status is a snapshot of a node's state for humans and dashboards. Its
// JSON reads like the Raft paper's (and the seed document's) RaftNode:
// node_id, state, current_term, voted_for, log.
type Status struct {
	ID    string    `json:"node_id"`
	State StateType `json:"state"`
	Term  uint64    `json:"current_term"`
	Vote  string    `json:"voted_for"`
	Lead  string    `json:"leader"`
	// Commit is the highest index known committed; Applied the highest the
	// application has applied (as of the last Advance).
	Commit  uint64    `json:"commit_index"`
	Applied uint64    `json:"last_applied"`
	Log     LogStatus `json:"log"`
	// Progress is the leader's view of each peer; nil on other roles.
	Progress map[string]PeerProgress `json:"progress,omitempty"`
}

// LogStatus summarizes the log: entries [FirstIndex, LastIndex] are held,
// the ones before are in the snapshot.
type LogStatus struct {
	FirstIndex uint64 `json:"first_index"`
	LastIndex  uint64 `json:"last_index"`
	LastTerm   uint64 `json:"last_term"`
	// Unstable counts entries not yet persisted by the application.
	Unstable int `json:"unstable"`
}

// PeerProgress is what a leader knows about one follower.
type PeerProgress struct {
	Match        uint64        `json:"match"`
	Next         uint64        `json:"next"`
	State        ProgressState `json:"state"`
	RecentActive bool          `json:"recent_active"`
	Inflight     int           `json:"inflight"`
}

// MarshalText makes the state read as a word in JSON ("leader").
func (s StateType) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Status returns the node's current state.
func (rn *RawNode) Status() Status {
	r := rn.r
	st := Status{
		ID:      r.id,
		State:   r.state,
		Term:    r.Term,
		Vote:    r.Vote,
		Lead:    r.lead,
		Commit:  r.log.committed,
		Applied: r.log.applied,
		Log: LogStatus{
			FirstIndex: r.log.firstIndex(),
			LastIndex:  r.log.lastIndex(),
			LastTerm:   r.log.lastTerm(),
			Unstable:   len(r.log.unstable.entries),
		},
	}
	if r.state == StateLeader {
		st.Progress = make(map[string]PeerProgress, len(r.prs))
		for id, pr := range r.prs {
			st.Progress[id] = PeerProgress{Match: pr.Match, Next: pr.Next, State: pr.State,
				RecentActive: pr.RecentActive, Inflight: pr.inflights.count}
		}
	}
	return st
}
