package raft

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
)

// stepFunc is a role: how a node in that role handles a message once the
// term checks common to all roles have passed.
type stepFunc func(r *raft, m Message) error

// raft is the protocol state of one node. RawNode wraps it with the Ready
// bookkeeping; everything here is driven by Step and Tick only.
type raft struct {
	id    string
	peers []string // every voter, sorted, self included

	// Persistent state (Figure 2 of the Raft paper).
	Term uint64
	Vote string
	log  *raftLog

	state StateType
	lead  string
	step  stepFunc
	// prs is the leader's progress per peer (reset on every role change).
	prs map[string]*progress
	// votes received in the current (pre-)election.
	votes map[string]bool

	msgs       []Message
	readStates []ReadState
	readOnly   *readOnly
	// pendingReadIndexMessages wait until the leader commits an entry of
	// its own term: before that its commit index may be stale (§6.4).
	pendingReadIndexMessages []Message

	electionElapsed  int
	heartbeatElapsed int
	// randomizedElectionTimeout is in [electionTimeout, 2*electionTimeout).
	randomizedElectionTimeout int
	electionTimeout           int
	heartbeatTimeout          int

	maxMsgSize        uint64
	maxEntriesPerMsg  int
	maxInflight       int
	preVote           bool
	checkQuorum       bool
	disableForwarding bool
	rand              *rand.Rand
	logger            *slog.Logger
}

func newRaft(c Config) (*raft, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	logger = logger.With("raft", c.ID)
	rlog, err := newLog(c.Storage, logger, c.MaxCommittedSizePerReady)
	if err != nil {
		return nil, err
	}
	hs, snapPeers, err := c.Storage.InitialState()
	if err != nil {
		return nil, fmt.Errorf("reading initial state from storage: %w", err)
	}
	peers := slices.Clone(c.Peers)
	if len(peers) == 0 {
		peers = snapPeers
	}
	if !slices.Contains(peers, c.ID) {
		return nil, fmt.Errorf("%w: ID %q is not among the peers %v", ErrInvalidConfig, c.ID, peers)
	}
	slices.Sort(peers)
	r := &raft{
		id:                c.ID,
		peers:             peers,
		log:               rlog,
		lead:              None,
		electionTimeout:   c.ElectionTick,
		heartbeatTimeout:  c.HeartbeatTick,
		maxMsgSize:        c.MaxSizePerMsg,
		maxEntriesPerMsg:  c.MaxEntriesPerMsg,
		maxInflight:       c.MaxInflightMsgs,
		preVote:           c.PreVote,
		checkQuorum:       c.CheckQuorum,
		disableForwarding: c.DisableProposalForwarding,
		rand:              c.randFor(),
		logger:            logger,
		readOnly:          newReadOnly(),
	}
	if !hs.IsEmpty() {
		if hs.Commit < rlog.committed || hs.Commit > rlog.lastIndex() {
			return nil, fmt.Errorf("hard state commit %d is outside the stored log [%d, %d]; the storage is inconsistent",
				hs.Commit, rlog.committed, rlog.lastIndex())
		}
		rlog.committed = hs.Commit
		r.Term = hs.Term
		r.Vote = hs.Vote
	}
	// The state machine starts from the storage's snapshot (or from
	// Config.Applied when the application kept a newer one).
	snap, err := c.Storage.Snapshot()
	if err != nil && err != ErrSnapshotTemporarilyUnavailable {
		return nil, fmt.Errorf("reading snapshot from storage: %w", err)
	}
	if snap.Meta.Index > rlog.committed {
		rlog.committed = min(snap.Meta.Index, rlog.lastIndex())
	}
	if applied := max(c.Applied, snap.Meta.Index); applied > rlog.applied {
		if applied > rlog.committed {
			return nil, fmt.Errorf("%w: applied index %d is past the commit index %d", ErrInvalidConfig, applied, rlog.committed)
		}
		rlog.applied = applied
	}
	r.becomeFollower(r.Term, None)
	r.logger.Info("starting raft node", "peers", r.peers, "term", r.Term, "commit", rlog.committed,
		"applied", rlog.applied, "last_index", rlog.lastIndex(), "last_term", rlog.lastTerm())
	return r, nil
}

func (r *raft) hardState() HardState {
	return HardState{Term: r.Term, Vote: r.Vote, Commit: r.log.committed}
}

func (r *raft) softState() SoftState { return SoftState{Lead: r.lead, State: r.state} }

func (r *raft) quorum() int { return len(r.peers)/2 + 1 }

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
	var ents []Entry
	var erre error
	if pr.State != ProgressReplicate || !pr.inflights.full() {
		ents, erre = r.log.entries(pr.Next, r.maxMsgSize)
		if r.maxEntriesPerMsg > 0 && len(ents) > r.maxEntriesPerMsg {
			ents = ents[:r.maxEntriesPerMsg]
		}
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
		if err == ErrSnapshotTemporarilyUnavailable {
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

// reset clears the per-role state when the node changes role or term.
func (r *raft) reset(term uint64) {
	if r.Term != term {
		r.Term = term
		r.Vote = None
	}
	r.lead = None
	r.electionElapsed = 0
	r.heartbeatElapsed = 0
	r.resetRandomizedElectionTimeout()
	r.votes = make(map[string]bool)
	r.prs = make(map[string]*progress, len(r.peers))
	last := r.log.lastIndex()
	for _, id := range r.peers {
		pr := &progress{Next: last + 1, inflights: newInflights(r.maxInflight)}
		if id == r.id {
			pr.Match = last
		}
		r.prs[id] = pr
	}
	r.readOnly = newReadOnly()
	r.pendingReadIndexMessages = nil
}

func (r *raft) resetRandomizedElectionTimeout() {
	r.randomizedElectionTimeout = r.electionTimeout + r.rand.IntN(r.electionTimeout)
}

func (r *raft) pastElectionTimeout() bool {
	return r.electionElapsed >= r.randomizedElectionTimeout
}

func (r *raft) promotable() bool { return slices.Contains(r.peers, r.id) }

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

func (r *raft) becomeFollower(term uint64, lead string) {
	r.step = stepFollower
	r.reset(term)
	r.lead = lead
	r.state = StateFollower
	r.logger.Debug("became follower", "term", r.Term, "lead", lead)
}

func (r *raft) becomePreCandidate() {
	if r.state == StateLeader {
		panic("raft: invalid transition leader -> pre-candidate")
	}
	// Pre-vote changes neither the term nor the vote: a node that cannot
	// win leaves no trace on the cluster.
	r.step = stepCandidate
	r.votes = make(map[string]bool)
	r.lead = None
	r.state = StatePreCandidate
	r.logger.Debug("became pre-candidate", "term", r.Term)
}

func (r *raft) becomeCandidate() {
	if r.state == StateLeader {
		panic("raft: invalid transition leader -> candidate")
	}
	r.step = stepCandidate
	r.reset(r.Term + 1)
	r.Vote = r.id
	r.state = StateCandidate
	r.logger.Debug("became candidate", "term", r.Term)
}

func (r *raft) becomeLeader() {
	if r.state == StateFollower {
		panic("raft: invalid transition follower -> leader")
	}
	r.step = stepLeader
	r.reset(r.Term)
	r.lead = r.id
	r.state = StateLeader
	r.prs[r.id].becomeReplicate()
	r.prs[r.id].RecentActive = true
	// A no-op entry of the new term: committing it commits every earlier
	// entry (§5.4.2) and lets ReadIndex requests be served (§8).
	r.appendEntry(Entry{Type: EntryNoop})
	r.logger.Info("became leader", "term", r.Term)
}

// campaign starts a pre-election or an election.
func (r *raft) campaign(pre bool) {
	var term uint64
	var voteMsg MessageType
	if pre {
		r.becomePreCandidate()
		voteMsg = MsgPreVote
		term = r.Term + 1 // the term it would campaign in
	} else {
		r.becomeCandidate()
		voteMsg = MsgVote
		term = r.Term
	}
	if _, _, res := r.poll(r.id, true); res == voteWon {
		// A single-node cluster wins at once.
		if pre {
			r.campaign(false)
		} else {
			r.becomeLeader()
		}
		return
	}
	for _, id := range r.peers {
		if id == r.id {
			continue
		}
		r.logger.Debug("requesting vote", "type", voteMsg, "to", id, "term", term,
			"last_index", r.log.lastIndex(), "last_term", r.log.lastTerm())
		r.send(Message{Type: voteMsg, To: id, Term: term, Index: r.log.lastIndex(), LogTerm: r.log.lastTerm()})
	}
}

type voteResult uint8

const (
	votePending voteResult = iota
	voteLost
	voteWon
)

// poll records id's vote and tallies the election.
func (r *raft) poll(id string, granted bool) (int, int, voteResult) {
	if _, ok := r.votes[id]; !ok {
		r.votes[id] = granted
	}
	var yes, no int
	for _, v := range r.votes {
		if v {
			yes++
		} else {
			no++
		}
	}
	switch {
	case yes >= r.quorum():
		return yes, no, voteWon
	case no >= r.quorum():
		return yes, no, voteLost
	}
	return yes, no, votePending
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

func (r *raft) answerReadIndex(req Message, index uint64) {
	if req.From == None || req.From == r.id {
		r.readStates = append(r.readStates, ReadState{Index: index, RequestCtx: req.Context})
		return
	}
	r.send(Message{Type: MsgReadIndexResp, To: req.From, Index: index, Context: req.Context})
}
