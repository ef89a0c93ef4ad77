package raft

import (
	"fmt"
	"slices"
)

// SnapshotStatus is what the application reports after sending a snapshot.
type SnapshotStatus uint8

// Snapshot send outcomes.
const (
	SnapshotFinish SnapshotStatus = iota
	SnapshotFailure
)

// RawNode is a Raft node as a plain state machine: the application feeds
// it ticks and messages, collects the resulting work with Ready, does that
// work (persist, send, apply) and calls Advance. It is not safe for
// concurrent use: one goroutine drives it.
type RawNode struct {
	r        *raft
	prevSoft SoftState
	prevHard HardState
}

// NewRawNode builds a node from cfg, restoring whatever cfg.Storage holds:
// a node that crashed restarts by calling NewRawNode on its storage.
func NewRawNode(cfg Config) (*RawNode, error) {
	r, err := newRaft(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating raft node %q: %w", cfg.ID, err)
	}
	return &RawNode{r: r, prevSoft: r.softState(), prevHard: r.hardState()}, nil
}

// Tick advances the node's logical clock by one tick.
func (rn *RawNode) Tick() { rn.r.tick() }

// Campaign makes the node start an election now (a pre-vote first when
// PreVote is on).
func (rn *RawNode) Campaign() error { return rn.r.Step(Message{Type: MsgHup}) }

// Propose asks to append data to the log. On a follower the proposal is
// forwarded to the leader (unless DisableProposalForwarding). A nil error
// does not mean the entry will commit: watch CommittedEntries for it.
func (rn *RawNode) Propose(data []byte) error {
	return rn.r.Step(Message{Type: MsgProp, From: rn.r.id, Entries: []Entry{{Type: EntryNormal, Data: data}}})
}

// ReadIndex asks for a linearizable read point. When the leader has
// confirmed it, a ReadState with RequestCtx == rctx appears in a Ready;
// serve the read once the state machine has applied ReadState.Index. Never
// reuse an rctx while this node might lead in the same term (a counter
// does): a late heartbeat response carrying an old request's context would
// otherwise confirm the new one early. The request may be dropped silently
// (leader change, lost message): time it out.
func (rn *RawNode) ReadIndex(rctx []byte) error {
	return rn.r.Step(Message{Type: MsgReadIndex, Context: rctx})
}

// Step hands the node a message received from a peer.
func (rn *RawNode) Step(m Message) error {
	if isLocalMsg(m.Type) {
		return fmt.Errorf("stepping %s from %q: %w", m.Type, m.From, ErrStepLocalMsg)
	}
	if isResponseMsg(m.Type) && !slices.Contains(rn.r.peers, m.From) {
		return fmt.Errorf("stepping %s from %q: %w", m.Type, m.From, ErrStepPeerNotFound)
	}
	return rn.r.Step(m)
}

// ReportUnreachable tells the leader that the last message to id could not
// be delivered, so it stops streaming to id and probes instead.
func (rn *RawNode) ReportUnreachable(id string) {
	_ = rn.r.Step(Message{Type: MsgUnreachable, From: id})
}

// ReportSnapshot tells the leader how sending a snapshot to id ended.
func (rn *RawNode) ReportSnapshot(id string, status SnapshotStatus) {
	_ = rn.r.Step(Message{Type: MsgSnapStatus, From: id, Reject: status == SnapshotFailure})
}

// HasReady reports whether Ready would return any work.
func (rn *RawNode) HasReady() bool {
	r := rn.r
	if r.softState() != rn.prevSoft {
		return true
	}
	if hs := r.hardState(); !hs.IsEmpty() && hs != rn.prevHard {
		return true
	}
	return r.log.hasPendingSnapshot() || len(r.log.unstableEntries()) > 0 ||
		len(r.msgs) > 0 || len(r.readStates) > 0 || r.log.hasNextCommittedEnts()
}

// Ready returns the work to do now. Do it in the order documented on the
// Ready type, then call Advance with the same value before calling Ready
// again. Messages and ReadStates are handed out exactly once.
func (rn *RawNode) Ready() Ready {
	r := rn.r
	rd := Ready{
		Entries:          r.log.unstableEntries(),
		CommittedEntries: r.log.nextCommittedEnts(),
		Messages:         r.msgs,
		ReadStates:       r.readStates,
	}
	if soft := r.softState(); soft != rn.prevSoft {
		rd.SoftState = &soft
		rn.prevSoft = soft
	}
	if hs := r.hardState(); hs != rn.prevHard {
		rd.HardState = hs
		rd.MustSync = hs.Term != rn.prevHard.Term || hs.Vote != rn.prevHard.Vote
		rn.prevHard = hs
	}
	if r.log.unstable.snapshot != nil {
		rd.Snapshot = *r.log.unstable.snapshot
	}
	rd.MustSync = rd.MustSync || len(rd.Entries) > 0 || !rd.Snapshot.IsEmpty()
	r.msgs = nil
	r.readStates = nil
	return rd
}

// Advance tells the node the application has done the work of rd: the
// entries and snapshot are persisted and the committed entries applied.
func (rn *RawNode) Advance(rd Ready) {
	r := rn.r
	if n := len(rd.Entries); n > 0 {
		last := rd.Entries[n-1]
		r.log.stableTo(last.Index, last.Term)
	}
	if !rd.Snapshot.IsEmpty() {
		r.log.stableSnapTo(rd.Snapshot.Meta.Index)
		if rd.Snapshot.Meta.Index > r.log.applied {
			r.log.applied = rd.Snapshot.Meta.Index
		}
	}
	if n := len(rd.CommittedEntries); n > 0 {
		r.log.appliedTo(rd.CommittedEntries[n-1].Index)
	}
}

func isLocalMsg(t MessageType) bool {
	return t == MsgHup || t == MsgBeat || t == MsgUnreachable || t == MsgSnapStatus
}

func isResponseMsg(t MessageType) bool {
	return t == MsgAppResp || t == MsgVoteResp || t == MsgHeartbeatResp || t == MsgPreVoteResp
}
