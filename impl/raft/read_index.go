package raft

// The leader's side of ReadIndex (thesis §6.4); readOnly (read_only.go)
// tracks the heartbeat rounds.

// committedEntryInCurrentTerm: until it holds, a new leader's commit index
// may be behind entries an earlier leader committed.
func (r *raft) committedEntryInCurrentTerm() bool {
	return r.log.zeroTermOnOutOfBounds(r.log.term(r.log.committed)) == r.Term
}

// releasePendingReadIndexMessages serves the ReadIndex requests that waited
// for the leader's first commit in its term.
func (r *raft) releasePendingReadIndexMessages() {
	if len(r.pendingReadIndexMessages) == 0 || !r.committedEntryInCurrentTerm() {
		return
	}
	msgs := r.pendingReadIndexMessages
	r.pendingReadIndexMessages = nil
	for _, m := range msgs {
		r.sendReadIndexResponse(m)
	}
}

// sendReadIndexResponse starts the heartbeat round confirming m, or answers
// at once when this node alone is a quorum.
func (r *raft) sendReadIndexResponse(m Message) {
	if len(r.peers) == 1 {
		r.answerReadIndex(m, r.log.committed)
		return
	}
	r.readOnly.addRequest(r.log.committed, m)
	r.readOnly.recvAck(r.id, m.Context)
	r.bcastHeartbeatWithCtx(m.Context)
}

// answerReadIndex hands a confirmed read point to the application, or to
// the follower that forwarded the request.
func (r *raft) answerReadIndex(req Message, index uint64) {
	if req.From == None || req.From == r.id {
		r.readStates = append(r.readStates, ReadState{Index: index, RequestCtx: req.Context})
		return
	}
	r.send(Message{Type: MsgReadIndexResp, To: req.From, Index: index, Context: req.Context})
}
