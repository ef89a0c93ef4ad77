package raft

import "fmt"

// ProgressState is how a leader currently replicates to one follower.
type ProgressState uint8

// Progress states.
const (
	// ProgressProbe: the leader does not know where the follower's log
	// matches; it sends one MsgApp per heartbeat and waits for the answer.
	ProgressProbe ProgressState = iota
	// ProgressReplicate: the logs match up to Match; the leader streams
	// entries optimistically, up to MaxInflightMsgs unacknowledged MsgApps.
	ProgressReplicate
	// ProgressSnapshot: the follower needs entries the leader has compacted;
	// a snapshot is on its way and nothing else is sent until it lands.
	ProgressSnapshot
)

func (s ProgressState) String() string {
	switch s {
	case ProgressProbe:
		return "probe"
	case ProgressReplicate:
		return "replicate"
	case ProgressSnapshot:
		return "snapshot"
	}
	return "unknown"
}

// MarshalText makes the state read as a word in JSON.
func (s ProgressState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// progress is the leader's view of one follower (Raft's nextIndex and
// matchIndex, plus flow control).
type progress struct {
	Match, Next uint64
	State       ProgressState
	// ProbeSent pauses a probing follower after one MsgApp until it answers
	// or a heartbeat response arrives.
	ProbeSent bool
	// PendingSnapshot is the index of the snapshot being sent.
	PendingSnapshot uint64
	// RecentActive: heard from within the current election timeout (for
	// CheckQuorum); also required before sending a snapshot.
	RecentActive bool
	inflights    *inflights
}

func (pr *progress) resetState(state ProgressState) {
	pr.ProbeSent = false
	pr.PendingSnapshot = 0
	pr.State = state
	pr.inflights.reset()
}

func (pr *progress) becomeProbe() {
	// After a snapshot, resume right after it (or after Match if further).
	if pr.State == ProgressSnapshot {
		pending := pr.PendingSnapshot
		pr.resetState(ProgressProbe)
		pr.Next = max(pr.Match+1, pending+1)
		return
	}
	pr.resetState(ProgressProbe)
	pr.Next = pr.Match + 1
}

func (pr *progress) becomeReplicate() {
	pr.resetState(ProgressReplicate)
	pr.Next = pr.Match + 1
}

func (pr *progress) becomeSnapshot(snapshotIndex uint64) {
	pr.resetState(ProgressSnapshot)
	pr.PendingSnapshot = snapshotIndex
}

// maybeUpdate records an acknowledgement of index n. It returns false when
// the acknowledgement is stale.
func (pr *progress) maybeUpdate(n uint64) bool {
	updated := false
	if pr.Match < n {
		pr.Match = n
		updated = true
		pr.ProbeSent = false
	}
	pr.Next = max(pr.Next, n+1)
	return updated
}

// optimisticUpdate advances Next past entries just sent, before any answer.
func (pr *progress) optimisticUpdate(n uint64) { pr.Next = n + 1 }

// maybeDecrTo handles a rejection of the MsgApp whose previous index was
// rejected. matchHint is the leader's guess, from the follower's hints, of
// the last index where the logs may agree. It returns false when the
// rejection is stale.
func (pr *progress) maybeDecrTo(rejected, matchHint uint64) bool {
	if pr.State == ProgressReplicate {
		if rejected <= pr.Match {
			return false // stale: we know the logs match there
		}
		pr.Next = pr.Match + 1
		return true
	}
	if pr.Next-1 != rejected {
		return false // an answer to an older probe
	}
	pr.Next = max(min(rejected, matchHint+1), 1)
	pr.ProbeSent = false
	return true
}

// isPaused reports whether the leader should hold off sending MsgApps.
func (pr *progress) isPaused() bool {
	switch pr.State {
	case ProgressProbe:
		return pr.ProbeSent
	case ProgressReplicate:
		return pr.inflights.full()
	case ProgressSnapshot:
		return true
	}
	panic("raft: unknown progress state")
}

func (pr *progress) String() string {
	return fmt.Sprintf("%s match=%d next=%d inflight=%d", pr.State, pr.Match, pr.Next, pr.inflights.count)
}

// inflights is a ring buffer of the last index of each unacknowledged
// MsgApp sent to a replicating follower. When full, the leader stops
// sending until acknowledgements free slots: the bound on in-flight appends.
type inflights struct {
	start, count int
	buffer       []uint64
}

func newInflights(size int) *inflights { return &inflights{buffer: make([]uint64, size)} }

func (in *inflights) add(last uint64) {
	if in.full() {
		panic("raft: add to a full inflights window")
	}
	next := (in.start + in.count) % len(in.buffer)
	in.buffer[next] = last
	in.count++
}

// freeLE frees every in-flight message whose last index is <= to.
func (in *inflights) freeLE(to uint64) {
	for in.count > 0 && in.buffer[in.start] <= to {
		in.start = (in.start + 1) % len(in.buffer)
		in.count--
	}
	if in.count == 0 {
		in.start = 0
	}
}

// freeFirstOne frees the oldest in-flight message.
func (in *inflights) freeFirstOne() {
	if in.count > 0 {
		in.freeLE(in.buffer[in.start])
	}
}

func (in *inflights) full() bool { return in.count == len(in.buffer) }

func (in *inflights) reset() { in.start, in.count = 0, 0 }
