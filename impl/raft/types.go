package raft

// This file is the data contract between the Raft core and the service
// around it (impl/raftkv): what is persisted, what is sent, and what Ready
// hands out. The core's behaviour lives in the other files.

// None is the empty node id: no vote, no known leader.
const None = ""

// StateType is a node's role. Its String form is the seed's vocabulary:
// follower, candidate, leader (plus pre-candidate for pre-vote).
type StateType uint8

// The roles of a Raft node.
const (
	StateFollower StateType = iota
	StatePreCandidate
	StateCandidate
	StateLeader
)

func (s StateType) String() string {
	switch s {
	case StateFollower:
		return "follower"
	case StatePreCandidate:
		return "pre-candidate"
	case StateCandidate:
		return "candidate"
	case StateLeader:
		return "leader"
	}
	return "unknown"
}

// EntryType tells an application command from an entry the core appends
// itself.
type EntryType uint8

// Entry types.
const (
	// EntryNormal carries an application command in Data.
	EntryNormal EntryType = iota
	// EntryNoop is the empty entry a new leader appends so that it can
	// commit an entry of its own term (Raft §8) before serving reads.
	EntryNoop
)

// Entry is one log entry.
type Entry struct {
	Term  uint64    `json:"term"`
	Index uint64    `json:"index"`
	Type  EntryType `json:"type"`
	Data  []byte    `json:"data,omitempty"`
}

// HardState is what must be on stable storage before any message that
// depends on it is sent: the current term, the vote cast in it, and the
// commit index (the last may be lost without harm; it is kept to speed up
// restart).
type HardState struct {
	Term   uint64 `json:"term"`
	Vote   string `json:"vote"`
	Commit uint64 `json:"commit"`
}

// IsEmpty reports whether h carries nothing.
func (h HardState) IsEmpty() bool { return h == HardState{} }

// SnapshotMeta describes the state a snapshot captures.
type SnapshotMeta struct {
	Index uint64   `json:"index"` // last entry included
	Term  uint64   `json:"term"`  // its term
	Peers []string `json:"peers"` // the configuration at that point
}

// Snapshot is a compacted prefix of the log: the state machine's state as
// of Meta.Index.
type Snapshot struct {
	Meta SnapshotMeta `json:"meta"`
	Data []byte       `json:"data,omitempty"`
}

// IsEmpty reports whether s is the zero snapshot.
func (s Snapshot) IsEmpty() bool { return s.Meta.Index == 0 }

// MessageType is the kind of a Message.
type MessageType uint8

// Message types. The Local ones never cross the network: the application
// hands them to Step to drive the node.
const (
	MsgHup           MessageType = iota // local: start an election now
	MsgBeat                             // local: leader, send heartbeats now
	MsgProp                             // local or forwarded: propose entries
	MsgApp                              // AppendEntries
	MsgAppResp                          // AppendEntries response
	MsgPreVote                          // pre-vote RequestVote (does not bump terms)
	MsgPreVoteResp                      // pre-vote response
	MsgVote                             // RequestVote
	MsgVoteResp                         // RequestVote response
	MsgSnap                             // InstallSnapshot
	MsgHeartbeat                        // heartbeat (also carries ReadIndex contexts)
	MsgHeartbeatResp                    // heartbeat response
	MsgReadIndex                        // local or forwarded: request a read index
	MsgReadIndexResp                    // read index answer to a follower
	MsgUnreachable                      // local: the transport could not reach To
	MsgSnapStatus                       // local: a snapshot send finished (Reject: failed)
)

var msgNames = [...]string{
	"MsgHup", "MsgBeat", "MsgProp", "MsgApp", "MsgAppResp", "MsgPreVote",
	"MsgPreVoteResp", "MsgVote", "MsgVoteResp", "MsgSnap", "MsgHeartbeat",
	"MsgHeartbeatResp", "MsgReadIndex", "MsgReadIndexResp", "MsgUnreachable",
	"MsgSnapStatus",
}

func (t MessageType) String() string {
	if int(t) < len(msgNames) {
		return msgNames[t]
	}
	return "MsgUnknown"
}

// Message is everything nodes say to each other, and what the application
// says to its own node through Step.
type Message struct {
	Type MessageType `json:"type"`
	From string      `json:"from"`
	To   string      `json:"to"`
	Term uint64      `json:"term"`
	// LogTerm and Index: for MsgApp, the entry preceding Entries; for votes,
	// the candidate's last entry; for MsgAppResp, the index acknowledged or
	// rejected.
	LogTerm uint64  `json:"log_term,omitempty"`
	Index   uint64  `json:"index,omitempty"`
	Entries []Entry `json:"entries,omitempty"`
	Commit  uint64  `json:"commit,omitempty"`
	Reject  bool    `json:"reject,omitempty"`
	// RejectHint and ConflictTerm let a leader skip a follower's divergent
	// suffix a term at a time instead of an entry at a time: the follower's
	// last index when its log is too short, or the first index of the
	// conflicting term and that term.
	RejectHint   uint64    `json:"reject_hint,omitempty"`
	ConflictTerm uint64    `json:"conflict_term,omitempty"`
	Snapshot     *Snapshot `json:"snapshot,omitempty"`
	// Context carries a ReadIndex request's id through heartbeats and back.
	Context []byte `json:"context,omitempty"`
}

// ReadState answers a ReadIndex request: once the application has applied
// up to Index, a read of its state is linearizable for the request that
// carried RequestCtx.
type ReadState struct {
	Index      uint64
	RequestCtx []byte
}

// SoftState is volatile state worth telling the application about.
type SoftState struct {
	Lead  string
	State StateType
}

// Ready is the work the application must do, in this order: persist
// HardState, Entries and Snapshot (fsync when MustSync); then send
// Messages; then apply Snapshot and CommittedEntries to the state machine
// and serve ReadStates once applied far enough; then call Advance.
type Ready struct {
	*SoftState                   // nil when unchanged
	HardState        HardState   // empty when unchanged
	Entries          []Entry     // to append to stable storage
	Snapshot         Snapshot    // to persist and apply; empty when none
	CommittedEntries []Entry     // to apply to the state machine
	Messages         []Message   // to send, after persisting
	ReadStates       []ReadState // read indexes confirmed by a quorum
	MustSync         bool        // HardState or Entries need an fsync
}
