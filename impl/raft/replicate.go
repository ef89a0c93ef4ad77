package raft

import (
	"errors"
	"fmt"
	"slices"
)

// The leader's side of log replication: what it sends to whom, and when an
// entry becomes committed.

// send queues m for the application to deliver after the next persist.
func (r *raft) send(m Message) {
	m.From = r.id
	switch m.Type {
	case MsgVote, MsgVoteResp, MsgPreVote, MsgPreVoteResp:
		if m.Term == 0 {
			panic(fmt.Sprintf("raft: %s must carry a term", m.Type))
		}
	case MsgProp, MsgReadIndex:
		// Forwarded requests carry no term: they are treated like local ones
		// by whoever leads when they arrive.
	default:
		m.Term = r.Term
	}
	r.msgs = append(r.msgs, m)
}

// sendAppend sends the entries from pr.Next on to a follower (or a
// snapshot when they are compacted). With sendIfEmpty it also sends an
// empty MsgApp, which carries the commit index or probes. It reports
// whether anything was sent.
func (r *raft) sendAppend(to string, sendIfEmpty bool) bool {
	pr := r.prs[to]
	if pr.isPaused() {
		return false
	}
	prevIndex := pr.Next - 1
	prevTerm, errt := r.log.term(prevIndex)
	ents, erre := r.log.entries(pr.Next, r.maxMsgSize)
	if r.maxEntriesPerMsg > 0 && len(ents) > r.maxEntriesPerMsg {
		ents = ents[:r.maxEntriesPerMsg]
	}
	if len(ents) == 0 && !sendIfEmpty {
		return false
	}
	if errt != nil || erre != nil {
		return r.sendSnapshot(to, pr)
	}
	r.send(Message{Type: MsgApp, To: to, Index: prevIndex, LogTerm: prevTerm, Entries: ents, Commit: r.log.committed})
	if n := len(ents); n > 0 {
		switch pr.State {
		case ProgressReplicate:
			last := ents[n-1].Index
			pr.optimisticUpdate(last)
			pr.inflights.add(last)
		case ProgressProbe:
			pr.ProbeSent = true
		}
	} else if pr.State == ProgressProbe {
		pr.ProbeSent = true
	}
	return true
}

// sendSnapshot sends the latest snapshot to a follower that needs entries
// this leader no longer has.
func (r *raft) sendSnapshot(to string, pr *progress) bool {
	if !pr.RecentActive {
		r.logger.Debug("not sending snapshot to an inactive peer", "to", to)
		return false
	}
	snap, err := r.log.snapshot()
	if err != nil {
		if errors.Is(err, ErrSnapshotTemporarilyUnavailable) {
			r.logger.Debug("snapshot temporarily unavailable", "to", to)
			return false
		}
		panic(fmt.Sprintf("raft: reading snapshot: %v", err))
	}
	if snap.IsEmpty() {
		panic("raft: need a snapshot but storage holds none")
	}
	r.logger.Info("sending snapshot", "to", to, "index", snap.Meta.Index, "term", snap.Meta.Term, "progress", pr.String())
	pr.becomeSnapshot(snap.Meta.Index)
	r.send(Message{Type: MsgSnap, To: to, Snapshot: &snap})
	return true
}

// sendHeartbeat tells a follower the leader is alive. The commit index it
// carries is capped at what the follower is known to hold, so the follower
// never commits an entry it has not verified against the leader's log.
func (r *raft) sendHeartbeat(to string, ctx []byte) {
	commit := min(r.prs[to].Match, r.log.committed)
	r.send(Message{Type: MsgHeartbeat, To: to, Commit: commit, Context: ctx})
}

func (r *raft) bcastAppend() {
	for _, id := range r.peers {
		if id != r.id {
			r.sendAppend(id, true)
		}
	}
}

func (r *raft) bcastHeartbeat() {
	r.bcastHeartbeatWithCtx(r.readOnly.lastPendingRequestCtx())
}

func (r *raft) bcastHeartbeatWithCtx(ctx []byte) {
	for _, id := range r.peers {
		if id != r.id {
			r.sendHeartbeat(id, ctx)
		}
	}
}

// maybeCommit advances the commit index to the highest index stored on a
// quorum, if that entry is of the current term (Raft §5.4.2, Figure 8).
func (r *raft) maybeCommit() bool {
	matches := make([]uint64, 0, len(r.peers))
	for _, id := range r.peers {
		matches = append(matches, r.prs[id].Match)
	}
	slices.Sort(matches)
	quorumMatch := matches[len(matches)-r.quorum()]
	if !r.log.maybeCommit(quorumMatch, r.Term) {
		return false
	}
	r.releasePendingReadIndexMessages()
	return true
}

// appendEntry stamps es with the current term and the next indexes and
// appends them to the leader's own log.
func (r *raft) appendEntry(es ...Entry) {
	li := r.log.lastIndex()
	for i := range es {
		es[i].Term = r.Term
		es[i].Index = li + 1 + uint64(i)
	}
	li = r.log.append(es...)
	r.prs[r.id].maybeUpdate(li)
	r.maybeCommit()
}
