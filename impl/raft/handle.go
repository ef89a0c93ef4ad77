package raft

// handleAppendEntries is the follower's side of AppendEntries (Figure 2).
func (r *raft) handleAppendEntries(m Message) {
	if m.Index < r.log.committed {
		// Already committed here: acknowledge what we have.
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
		return
	}
	if lastNew, ok := r.log.maybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries); ok {
		r.send(Message{To: m.From, Type: MsgAppResp, Index: lastNew})
		return
	}
	// Our log does not hold (m.Index, m.LogTerm). Help the leader skip back
	// a term at a time: the largest index <= m.Index whose term is <=
	// m.LogTerm is the first place where the logs might agree.
	hintIndex := min(m.Index, r.log.lastIndex())
	hintIndex, hintTerm := r.log.findConflictByTerm(hintIndex, m.LogTerm)
	r.logger.Debug("rejecting append", "from", m.From, "index", m.Index, "log_term", m.LogTerm,
		"hint_index", hintIndex, "hint_term", hintTerm)
	r.send(Message{To: m.From, Type: MsgAppResp, Index: m.Index, Reject: true,
		RejectHint: hintIndex, ConflictTerm: hintTerm})
}

func (r *raft) handleHeartbeat(m Message) {
	r.log.commitTo(m.Commit)
	r.send(Message{To: m.From, Type: MsgHeartbeatResp, Context: m.Context})
}

// handleSnapshot is the follower's side of InstallSnapshot.
func (r *raft) handleSnapshot(m Message) {
	if m.Snapshot == nil {
		return
	}
	if r.restore(*m.Snapshot) {
		r.logger.Info("restored snapshot", "index", m.Snapshot.Meta.Index, "term", m.Snapshot.Meta.Term)
		r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.lastIndex()})
		return
	}
	r.send(Message{To: m.From, Type: MsgAppResp, Index: r.log.committed})
}

// restore adopts snapshot s unless the log already holds what it covers.
func (r *raft) restore(s Snapshot) bool {
	if s.Meta.Index <= r.log.committed {
		return false
	}
	if r.log.matchTerm(s.Meta.Index, s.Meta.Term) {
		// Our log already contains the snapshot's last entry: just commit
		// up to it and keep the entries after it.
		r.log.commitTo(s.Meta.Index)
		return false
	}
	r.log.restore(s)
	return true
}

// handleAppendResponse is the leader's side: advance or back off the
// follower's progress, commit, and keep the pipeline full.
func (r *raft) handleAppendResponse(m Message, pr *progress) {
	pr.RecentActive = true
	if m.Reject {
		// With the follower's hint, jump to the last index of the leader's
		// log whose term is <= the follower's term at the hint: one round
		// trip per divergent term rather than per entry.
		nextProbe := m.RejectHint
		if m.ConflictTerm > 0 {
			nextProbe, _ = r.log.findConflictByTerm(m.RejectHint, m.ConflictTerm)
		}
		if pr.maybeDecrTo(m.Index, nextProbe) {
			r.logger.Debug("append rejected; backing off", "from", m.From, "index", m.Index, "progress", pr.String())
			if pr.State == ProgressReplicate {
				pr.becomeProbe()
			}
			r.sendAppend(m.From, true)
		}
		return
	}
	oldPaused := pr.isPaused()
	if !pr.maybeUpdate(m.Index) {
		if oldPaused && !pr.isPaused() {
			r.sendAppend(m.From, false)
		}
		return
	}
	switch {
	case pr.State == ProgressProbe:
		pr.becomeReplicate()
	case pr.State == ProgressSnapshot && pr.Match >= pr.PendingSnapshot:
		r.logger.Debug("snapshot landed; resuming replication", "from", m.From, "progress", pr.String())
		pr.becomeProbe()
		pr.becomeReplicate()
	case pr.State == ProgressReplicate:
		pr.inflights.freeLE(m.Index)
	}
	if r.maybeCommit() {
		// Tell everyone the new commit index.
		r.bcastAppend()
	} else if oldPaused {
		r.sendAppend(m.From, false)
	}
	// Fill the in-flight window.
	for r.sendAppend(m.From, false) {
	}
}

func (r *raft) handleHeartbeatResponse(m Message, pr *progress) {
	pr.RecentActive = true
	pr.ProbeSent = false
	// A full window may be full of lost messages: free one slot per
	// heartbeat so that replication resumes (the follower's rejection of a
	// gap then sends it back to probing).
	if pr.State == ProgressReplicate && pr.inflights.full() {
		pr.inflights.freeFirstOne()
	}
	if pr.Match < r.log.lastIndex() {
		r.sendAppend(m.From, true)
	}
	if len(m.Context) == 0 {
		return
	}
	acks := r.readOnly.recvAck(m.From, m.Context)
	if acks == nil || len(acks) < r.quorum() {
		return
	}
	for _, rs := range r.readOnly.advance(m.Context) {
		r.answerReadIndex(rs.req, rs.index)
	}
}
