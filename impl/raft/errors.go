package raft

import "errors"

// Errors the core and its storage return. Callers tell them apart with
// errors.Is; they are wrapped with context where they cross a boundary.
var (
	// ErrCompacted: the requested index is older than the storage's first
	// entry because a snapshot replaced it. The leader sends a snapshot.
	ErrCompacted = errors.New("raft: requested index is unavailable due to compaction")
	// ErrSnapOutOfDate: a snapshot older than the one already held was offered.
	ErrSnapOutOfDate = errors.New("raft: requested snapshot is older than the existing snapshot")
	// ErrUnavailable: the requested index is beyond the last entry.
	ErrUnavailable = errors.New("raft: requested entry at index is unavailable")
	// ErrSnapshotTemporarilyUnavailable: the storage cannot produce a
	// snapshot right now; the leader retries later.
	ErrSnapshotTemporarilyUnavailable = errors.New("raft: snapshot is temporarily unavailable")
	// ErrProposalDropped: the proposal or read request was not accepted,
	// typically because no leader is known or this node is a candidate. The
	// proposal certainly did not enter the log; the caller may retry.
	ErrProposalDropped = errors.New("raft: proposal dropped (no known leader); retry later")
	// ErrNotLeader: this node is not the leader and proposal forwarding is
	// disabled; send the request to the leader (Status().Lead) instead.
	ErrNotLeader = errors.New("raft: not the leader; send the request to the current leader")
	// ErrStepLocalMsg: a message type that only the node itself generates
	// (MsgHup, MsgBeat, ...) arrived through Step from the network.
	ErrStepLocalMsg = errors.New("raft: cannot step a local message type received from the network")
	// ErrStepPeerNotFound: a response came from a node that is not a peer.
	ErrStepPeerNotFound = errors.New("raft: cannot step a response from an unknown peer")
	// ErrInvalidConfig: Config.Validate found a problem; the wrapped message
	// says which field.
	ErrInvalidConfig = errors.New("raft: invalid config")
)
