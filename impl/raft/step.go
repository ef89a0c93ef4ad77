package raft

// Step is the single entry point for messages, local and remote. It first
// applies the rules every role shares (Raft §5.1: a higher term turns
// anyone into a follower; a lower term is stale), then handles votes, and
// hands everything else to the role's step function.
func (r *raft) Step(m Message) error {
	switch {
	case m.Term == 0:
		// Local message (or a forwarded proposal / read request).
	case m.Term > r.Term:
		if m.Type == MsgVote || m.Type == MsgPreVote {
			// Leader lease (thesis §4.2.3): a node that heard from a leader
			// within the minimum election timeout ignores vote requests, so
			// a partitioned node cannot depose a healthy leader.
			inLease := r.checkQuorum && r.lead != None && r.electionElapsed < r.electionTimeout
			if inLease {
				r.logger.Debug("ignoring vote request within leader lease", "type", m.Type, "from", m.From,
					"term", m.Term, "remaining_ticks", r.electionTimeout-r.electionElapsed)
				return nil
			}
		}
		switch {
		case m.Type == MsgPreVote:
			// Never change our term because of a pre-vote.
		case m.Type == MsgPreVoteResp && !m.Reject:
			// A granted pre-vote carries the term we are about to campaign
			// in; the term changes when the election proper starts.
		default:
			r.logger.Debug("received a message with a higher term", "type", m.Type, "from", m.From, "term", m.Term)
			if m.Type == MsgApp || m.Type == MsgHeartbeat || m.Type == MsgSnap {
				r.becomeFollower(m.Term, m.From)
			} else {
				r.becomeFollower(m.Term, None)
			}
		}
	case m.Term < r.Term:
		switch {
		case (r.checkQuorum || r.preVote) && (m.Type == MsgHeartbeat || m.Type == MsgApp):
			// A stale leader cut off by a partition may never learn the
			// new term otherwise: with check-quorum or pre-vote nobody
			// sends it a vote request with a higher term. Tell it.
			r.send(Message{To: m.From, Type: MsgAppResp})
		case m.Type == MsgPreVote:
			r.send(Message{To: m.From, Term: r.Term, Type: MsgPreVoteResp, Reject: true})
		default:
			r.logger.Debug("ignoring a message with a lower term", "type", m.Type, "from", m.From, "term", m.Term)
		}
		return nil
	}

	switch m.Type {
	case MsgHup:
		r.hup()
	case MsgVote, MsgPreVote:
		r.handleVoteRequest(m)
	default:
		return r.step(r, m)
	}
	return nil
}

func (r *raft) hup() {
	if r.state == StateLeader {
		r.logger.Debug("ignoring MsgHup: already leader")
		return
	}
	if !r.promotable() {
		r.logger.Warn("not promotable: not a voter; ignoring MsgHup")
		return
	}
	r.logger.Info("starting a new election", "term", r.Term, "pre_vote", r.preVote)
	r.campaign(r.preVote)
}

// handleVoteRequest grants a vote when we could vote for the candidate
// (not voted for anyone else in its term) and its log is at least as up to
// date as ours (§5.4.1).
func (r *raft) handleVoteRequest(m Message) {
	respType := MsgVoteResp
	if m.Type == MsgPreVote {
		respType = MsgPreVoteResp
	}
	canVote := r.Vote == m.From ||
		(r.Vote == None && r.lead == None) ||
		(m.Type == MsgPreVote && m.Term > r.Term)
	if canVote && r.log.isUpToDate(m.Index, m.LogTerm) {
		r.logger.Debug("granting vote", "type", m.Type, "to", m.From, "term", m.Term)
		// The response carries the candidate's term so that it counts
		// toward that (pre-)election; for a real vote it is our term now.
		r.send(Message{To: m.From, Term: m.Term, Type: respType})
		if m.Type == MsgVote {
			r.electionElapsed = 0
			r.Vote = m.From
		}
		return
	}
	r.logger.Debug("rejecting vote", "type", m.Type, "to", m.From, "term", m.Term, "voted_for", r.Vote)
	r.send(Message{To: m.From, Term: r.Term, Type: respType, Reject: true})
}

// stepFollower is the follower role: accept the leader's appends,
// heartbeats and snapshots; forward proposals and read requests to it.
func stepFollower(r *raft, m Message) error {
	switch m.Type {
	case MsgProp, MsgReadIndex:
		if r.lead == None {
			return ErrProposalDropped
		}
		if r.disableForwarding {
			return ErrNotLeader
		}
		m.To = r.lead
		r.send(m)
	case MsgApp:
		r.electionElapsed = 0
		r.lead = m.From
		r.handleAppendEntries(m)
	case MsgHeartbeat:
		r.electionElapsed = 0
		r.lead = m.From
		r.handleHeartbeat(m)
	case MsgSnap:
		r.electionElapsed = 0
		r.lead = m.From
		r.handleSnapshot(m)
	case MsgReadIndexResp:
		r.readStates = append(r.readStates, ReadState{Index: m.Index, RequestCtx: m.Context})
	}
	return nil
}

// stepCandidate is the (pre-)candidate role: count votes; step down when
// a leader of this term shows up.
func stepCandidate(r *raft, m Message) error {
	myVoteResp := MsgVoteResp
	if r.state == StatePreCandidate {
		myVoteResp = MsgPreVoteResp
	}
	switch m.Type {
	case MsgProp, MsgReadIndex:
		return ErrProposalDropped
	case MsgApp:
		r.becomeFollower(m.Term, m.From)
		r.handleAppendEntries(m)
	case MsgHeartbeat:
		r.becomeFollower(m.Term, m.From)
		r.handleHeartbeat(m)
	case MsgSnap:
		r.becomeFollower(m.Term, m.From)
		r.handleSnapshot(m)
	case myVoteResp:
		yes, no, res := r.poll(m.From, !m.Reject)
		r.logger.Debug("vote tally", "type", m.Type, "granted", yes, "rejected", no, "term", r.Term)
		switch res {
		case voteWon:
			if r.state == StatePreCandidate {
				r.campaign(false)
			} else {
				r.becomeLeader()
				r.bcastAppend()
			}
		case voteLost:
			// A lost pre-vote or vote: wait for the next timeout (or a
			// leader) as a follower in the same term.
			r.becomeFollower(r.Term, None)
		}
	}
	return nil
}

// stepLeader is the leader role: accept proposals, track each follower's
// progress, commit, and confirm ReadIndex requests.
func stepLeader(r *raft, m Message) error {
	switch m.Type {
	case MsgBeat:
		r.bcastHeartbeat()
		return nil
	case MsgProp:
		if len(m.Entries) == 0 {
			return nil
		}
		r.appendEntry(m.Entries...)
		r.bcastAppend()
		return nil
	case MsgReadIndex:
		if len(r.peers) > 1 && !r.committedEntryInCurrentTerm() {
			r.pendingReadIndexMessages = append(r.pendingReadIndexMessages, m)
			return nil
		}
		r.sendReadIndexResponse(m)
		return nil
	}

	pr := r.prs[m.From]
	if pr == nil {
		r.logger.Debug("no progress for sender", "from", m.From, "type", m.Type)
		return nil
	}
	switch m.Type {
	case MsgAppResp:
		r.handleAppendResponse(m, pr)
	case MsgHeartbeatResp:
		r.handleHeartbeatResponse(m, pr)
	case MsgSnapStatus:
		if pr.State != ProgressSnapshot {
			return nil
		}
		if m.Reject {
			pr.PendingSnapshot = 0
		}
		// Either way wait for the follower's answer (or the next heartbeat
		// response) before sending more.
		pr.becomeProbe()
		pr.ProbeSent = true
	case MsgUnreachable:
		if pr.State == ProgressReplicate {
			pr.becomeProbe()
		}
	}
	return nil
}
