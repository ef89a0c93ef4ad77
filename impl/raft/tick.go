package raft

// Time: a node only learns that time passed through Tick. Followers and
// candidates count toward an election timeout; leaders toward heartbeats
// and the check-quorum period.

// resetRandomizedElectionTimeout draws the next election timeout from
// [electionTimeout, 2*electionTimeout) so that candidates rarely collide.
func (r *raft) resetRandomizedElectionTimeout() {
	r.randomizedElectionTimeout = r.electionTimeout + r.rand.IntN(r.electionTimeout)
}

func (r *raft) pastElectionTimeout() bool {
	return r.electionElapsed >= r.randomizedElectionTimeout
}

// tick advances the logical clock by one.
func (r *raft) tick() {
	if r.state == StateLeader {
		r.tickHeartbeat()
	} else {
		r.tickElection()
	}
}

func (r *raft) tickElection() {
	r.electionElapsed++
	if r.promotable() && r.pastElectionTimeout() {
		r.electionElapsed = 0
		_ = r.Step(Message{From: r.id, Type: MsgHup})
	}
}

func (r *raft) tickHeartbeat() {
	r.heartbeatElapsed++
	r.electionElapsed++
	if r.electionElapsed >= r.electionTimeout {
		r.electionElapsed = 0
		if r.checkQuorum && !r.quorumActive() {
			r.logger.Info("stepping down: no quorum heard from within an election timeout", "term", r.Term)
			r.becomeFollower(r.Term, None)
			return
		}
	}
	if r.heartbeatElapsed >= r.heartbeatTimeout {
		r.heartbeatElapsed = 0
		_ = r.Step(Message{From: r.id, Type: MsgBeat})
	}
}

// quorumActive reports whether a quorum was heard from since the last
// check, and starts a new check period.
func (r *raft) quorumActive() bool {
	active := 0
	for _, id := range r.peers {
		pr := r.prs[id]
		if id == r.id || pr.RecentActive {
			active++
		}
		if id != r.id {
			pr.RecentActive = false
		}
	}
	return active >= r.quorum()
}
