package raft

import (
	"errors"
	"fmt"
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

// newRaft builds the protocol state from c and what c.Storage holds.
func newRaft(c Config) (*raft, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
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
	if err != nil && !errors.Is(err, ErrSnapshotTemporarilyUnavailable) {
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

// promotable: only a voter may campaign.
func (r *raft) promotable() bool { return slices.Contains(r.peers, r.id) }

// The role transitions. Each swaps the step function and resets the state
// that belongs to the role.

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

// voteResult is the state of an election tally.
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
