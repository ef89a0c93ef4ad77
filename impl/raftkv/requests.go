package raftkv

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/faultline/faultline/impl/raft"
)

// Result is the answer to a successful Request.
type Result struct {
	// Node is the id of the node that answered.
	Node string `json:"node"`
	// Value and Found are a read's observation: Found is false when the
	// key does not exist.
	Value int64 `json:"value"`
	Found bool  `json:"found"`
}

// NotLeaderError is the definite refusal of a node that is not the leader;
// Leader is the leader it knows of ("" when none). It matches ErrNotLeader
// with errors.Is.
type NotLeaderError struct {
	Node   string
	Leader string
}

func (e *NotLeaderError) Error() string {
	if e.Leader == "" {
		return fmt.Sprintf("node %s is not the leader and knows no leader", e.Node)
	}
	return fmt.Sprintf("node %s is not the leader; the leader is %s", e.Node, e.Leader)
}

func (e *NotLeaderError) Unwrap() error { return ErrNotLeader }

// outcome is what the loop answers a waiting request.
type outcome struct {
	result Result
	err    error
}

// proposal is a write or cas waiting to be committed and applied.
type proposal struct {
	ctx  context.Context
	cmd  command
	done chan outcome // buffered: the loop never blocks on it
}

func (p *proposal) finish(o outcome) { p.done <- o }

// readRequest is a read waiting for its ReadIndex to be confirmed and
// applied.
type readRequest struct {
	key  string
	done chan outcome
}

func (r *readRequest) finish(o outcome) { r.done <- o }

// pendingReads is a batch of reads whose read index is being confirmed,
// with the tick it was asked at (the core may drop the request silently).
type pendingReads struct {
	reqs []*readRequest
	tick uint64
}

// readBatch is a group of reads confirmed at one read index.
type readBatch struct {
	index uint64
	reqs  []*readRequest
}

// Do executes req on this node: reads through ReadIndex, writes and cas
// through the log. The errors are those documented on ErrMismatch and its
// siblings; a *NotLeaderError names the leader when this node knows it.
func (n *Node) Do(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: bad request: %v", ErrUnavailable, err)
	}
	var o outcome
	if req.Op == OpRead {
		o = n.doRead(ctx, req.Key)
	} else {
		o = n.doPropose(ctx, req)
	}
	op := string(req.Op)
	switch {
	case o.err == nil:
		n.metrics.requests.WithLabelValues(op, "ok").Inc()
	case errors.Is(o.err, ErrMismatch):
		n.metrics.requests.WithLabelValues(op, "mismatch").Inc()
	case IsDefinite(o.err):
		n.metrics.requests.WithLabelValues(op, "fail").Inc()
	default:
		n.metrics.requests.WithLabelValues(op, "indeterminate").Inc()
	}
	o.result.Node = n.cfg.ID
	return o.result, o.err
}

func (n *Node) doPropose(ctx context.Context, req Request) outcome {
	p := &proposal{ctx: ctx, cmd: command{Request: req}, done: make(chan outcome, 1)}
	select {
	case n.propc <- p:
	case <-ctx.Done():
		return outcome{err: fmt.Errorf("%w: node %s too busy to take the request: %w", ErrUnavailable, n.cfg.ID, ctx.Err())}
	case <-n.done:
		return outcome{err: fmt.Errorf("%w: %w", ErrUnavailable, ErrStopped)}
	}
	select {
	case o := <-p.done:
		return o
	case <-ctx.Done():
		return outcome{err: fmt.Errorf("%w: no commit before the deadline: %w", ErrIndeterminate, ctx.Err())}
	case <-n.done:
		// The loop may have taken it and proposed it.
		select {
		case o := <-p.done:
			return o
		default:
			return outcome{err: fmt.Errorf("%w: node stopped while the request was pending", ErrIndeterminate)}
		}
	}
}

func (n *Node) doRead(ctx context.Context, key string) outcome {
	r := &readRequest{key: key, done: make(chan outcome, 1)}
	select {
	case n.readc <- r:
	case <-ctx.Done():
		return outcome{err: fmt.Errorf("%w: node %s too busy to take the read: %w", ErrUnavailable, n.cfg.ID, ctx.Err())}
	case <-n.done:
		return outcome{err: fmt.Errorf("%w: %w", ErrUnavailable, ErrStopped)}
	}
	select {
	case o := <-r.done:
		return o
	case <-ctx.Done():
		return outcome{err: fmt.Errorf("%w: read not confirmed before the deadline: %w", ErrIndeterminate, ctx.Err())}
	case <-n.done:
		return outcome{err: fmt.Errorf("%w: %w", ErrUnavailable, ErrStopped)}
	}
}

// propose runs in the loop: it appends p to the log, or refuses it
// definitely when this node is not the leader.
func (n *Node) propose(p *proposal) {
	if p.ctx.Err() != nil {
		p.finish(outcome{err: fmt.Errorf("%w: deadline passed before proposing: %w", ErrUnavailable, p.ctx.Err())})
		return
	}
	if n.state != raft.StateLeader {
		n.metrics.proposalsFail.WithLabelValues("not_leader").Inc()
		p.finish(outcome{err: &NotLeaderError{Node: n.cfg.ID, Leader: n.lead}})
		return
	}
	n.tagNext++
	p.cmd.Tag = n.tagNext
	if err := n.rn.Propose(encodeCommand(p.cmd)); err != nil {
		n.metrics.proposalsFail.WithLabelValues("dropped").Inc()
		if errors.Is(err, raft.ErrNotLeader) {
			p.finish(outcome{err: &NotLeaderError{Node: n.cfg.ID, Leader: n.lead}})
			return
		}
		p.finish(outcome{err: fmt.Errorf("%w: proposal refused by the core: %v", ErrUnavailable, err)})
		return
	}
	n.metrics.proposals.Inc()
	if n.cfg.hasBug(BugEarlyAck) && p.cmd.Op == OpWrite {
		// The bug: the write is in the leader's own log, not yet on a
		// quorum; call it done.
		p.finish(outcome{})
		return
	}
	n.waiters[p.cmd.Tag] = p
}

// startReads asks the core for one read index covering every read queued
// in this iteration (one quorum round for the whole batch).
func (n *Node) startReads() {
	if len(n.readQueue) == 0 || n.readInFlight() {
		return
	}
	batch := n.readQueue
	n.readQueue = nil
	if n.cfg.hasBug(BugStaleRead) || (n.cfg.hasBug(BugLeaderRead) && n.state == raft.StateLeader) {
		// The bug: answer from whatever this node has applied, as if it
		// were up to date.
		for _, r := range batch {
			v, found := n.kv.read(r.key)
			r.finish(outcome{result: Result{Value: v, Found: found}})
			n.metrics.reads.Inc()
		}
		return
	}
	if n.state != raft.StateLeader {
		for _, r := range batch {
			r.finish(outcome{err: &NotLeaderError{Node: n.cfg.ID, Leader: n.lead}})
		}
		return
	}
	n.tagNext++
	rctx := binary.BigEndian.AppendUint64(nil, n.tagNext)
	if err := n.rn.ReadIndex(rctx); err != nil {
		for _, r := range batch {
			r.finish(outcome{err: fmt.Errorf("%w: read index refused: %v", ErrUnavailable, err)})
		}
		return
	}
	n.readPending[string(rctx)] = pendingReads{reqs: batch, tick: n.ticks}
}

// readInFlight reports whether a read index request is being confirmed
// and young enough to wait for: one quorum round at a time serves every
// read that queues meanwhile, instead of a heartbeat round per read. A
// request older than two heartbeats may have been lost; then a new one
// goes out (its confirmation confirms the older ones too).
func (n *Node) readInFlight() bool {
	maxAge := 2 * uint64(n.cfg.HeartbeatTicks)
	for _, p := range n.readPending {
		if n.ticks-p.tick < maxAge {
			return true
		}
	}
	return false
}

// readConfirmed moves a batch whose read index the quorum confirmed to
// the list waiting for the state machine to catch up.
func (n *Node) readConfirmed(rs raft.ReadState) {
	pending, ok := n.readPending[string(rs.RequestCtx)]
	if !ok {
		return
	}
	delete(n.readPending, string(rs.RequestCtx))
	n.readsApplied = append(n.readsApplied, readBatch{index: rs.Index, reqs: pending.reqs})
}

// serveReads answers the confirmed reads whose index is applied.
func (n *Node) serveReads() {
	kept := n.readsApplied[:0]
	for _, b := range n.readsApplied {
		if b.index > n.applied {
			kept = append(kept, b)
			continue
		}
		for _, r := range b.reqs {
			v, found := n.kv.read(r.key)
			r.finish(outcome{result: Result{Value: v, Found: found}})
			n.metrics.reads.Inc()
		}
	}
	n.readsApplied = kept
}
