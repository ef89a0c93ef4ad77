package raft

// readIndexStatus is one ReadIndex request waiting for its heartbeat round.
type readIndexStatus struct {
	req   Message // the request; From is None for a local one
	index uint64  // the leader's commit index when the request arrived
	acks  map[string]bool
}

// readOnly tracks the ReadIndex requests a leader is confirming. A request
// is served once a quorum has answered a heartbeat carrying its context (or
// a later one's): that proves this node was still the leader when the
// request arrived, so its commit index then is a safe read point (Raft
// thesis §6.4).
type readOnly struct {
	pending map[string]*readIndexStatus
	queue   []string // contexts in arrival order
}

func newReadOnly() *readOnly {
	return &readOnly{pending: make(map[string]*readIndexStatus)}
}

// addRequest queues m with read point index; a repeated context is ignored.
func (ro *readOnly) addRequest(index uint64, m Message) {
	ctx := string(m.Context)
	if _, ok := ro.pending[ctx]; ok {
		return
	}
	ro.pending[ctx] = &readIndexStatus{req: m, index: index, acks: make(map[string]bool)}
	ro.queue = append(ro.queue, ctx)
}

// recvAck records that id answered the heartbeat for context and returns
// the acknowledgements so far (nil for an unknown context).
func (ro *readOnly) recvAck(id string, context []byte) map[string]bool {
	rs, ok := ro.pending[string(context)]
	if !ok {
		return nil
	}
	rs.acks[id] = true
	return rs.acks
}

// advance removes and returns every request up to and including the one
// with context: a quorum acknowledging a later heartbeat confirms the
// earlier requests too.
func (ro *readOnly) advance(context []byte) []*readIndexStatus {
	ctx := string(context)
	for i, c := range ro.queue {
		if c != ctx {
			continue
		}
		done := make([]*readIndexStatus, 0, i+1)
		for _, okctx := range ro.queue[:i+1] {
			done = append(done, ro.pending[okctx])
			delete(ro.pending, okctx)
		}
		ro.queue = ro.queue[i+1:]
		return done
	}
	return nil
}

// lastPendingRequestCtx is the context the next heartbeat carries.
func (ro *readOnly) lastPendingRequestCtx() []byte {
	if len(ro.queue) == 0 {
		return nil
	}
	return []byte(ro.queue[len(ro.queue)-1])
}
