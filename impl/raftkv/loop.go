package raftkv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faultline/faultline/impl/raft"
)

// maxDrain bounds how many queued events one loop iteration takes before
// it handles a Ready; it keeps latency bounded under load while letting
// the proposals of many clients share one fsync (group commit).
const maxDrain = 1024

// loop drives the core: it feeds it ticks, peer messages, proposals and
// reads, and after each batch of events does the work of its Ready.
func (n *Node) loop(ctx context.Context) error {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	defer n.failAllWaiters()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			n.tick()
		case m := <-n.recvc:
			n.step(m)
		case m := <-n.reportc:
			n.stepReport(m)
		case p := <-n.propc:
			n.propose(p)
		case r := <-n.readc:
			n.readQueue = append(n.readQueue, r)
		case c := <-n.statusc:
			c <- n.status()
		}
		n.drain()
		for {
			n.startReads()
			if err := n.handleReady(); err != nil {
				return err
			}
			// Reads that queued while a read index was being confirmed
			// go out as soon as it is.
			if len(n.readQueue) == 0 || len(n.readPending) > 0 {
				break
			}
		}
	}
}

// drain takes the events already queued, up to maxDrain.
func (n *Node) drain() {
	for range maxDrain {
		select {
		case m := <-n.recvc:
			n.step(m)
		case m := <-n.reportc:
			n.stepReport(m)
		case p := <-n.propc:
			n.propose(p)
		case r := <-n.readc:
			n.readQueue = append(n.readQueue, r)
		default:
			return
		}
	}
}

func (n *Node) tick() {
	n.rn.Tick()
	n.ticks++
	if n.ticks%128 == 0 {
		n.sweepWaiters()
	}
}

func (n *Node) step(m raft.Message) {
	if err := n.rn.Step(m); err != nil {
		n.logger.Debug("message refused by the core", "type", m.Type, "from", m.From, "err", err)
	}
}

func (n *Node) stepReport(m raft.Message) {
	switch m.Type {
	case raft.MsgUnreachable:
		n.rn.ReportUnreachable(m.From)
	case raft.MsgSnapStatus:
		status := raft.SnapshotFinish
		if m.Reject {
			status = raft.SnapshotFailure
		}
		n.rn.ReportSnapshot(m.From, status)
	}
}

// handleReady does the work of every pending Ready, in the order the core
// requires: persist (fsync), send, apply, serve reads, advance.
func (n *Node) handleReady() error {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		if rd.SoftState != nil {
			n.softStateChanged(*rd.SoftState)
		}
		if err := n.store.saveReady(rd); err != nil {
			return fmt.Errorf("persisting raft state: %w", err)
		}
		if len(rd.Entries) > 0 {
			n.metrics.readyEntries.Observe(float64(len(rd.Entries)))
		}
		n.trans.send(rd.Messages)
		if !rd.Snapshot.IsEmpty() {
			if err := n.installSnapshot(rd.Snapshot); err != nil {
				return err
			}
		}
		if err := n.apply(rd.CommittedEntries); err != nil {
			return err
		}
		for _, rs := range rd.ReadStates {
			n.readConfirmed(rs)
		}
		n.serveReads()
		n.rn.Advance(rd)
		if !rd.HardState.IsEmpty() {
			n.metrics.term.Set(float64(rd.HardState.Term))
			n.metrics.commitIndex.Set(float64(rd.HardState.Commit))
		}
		if err := n.maybeSnapshot(); err != nil {
			return err
		}
	}
	return nil
}

// softStateChanged reacts to a change of role or leader. A leader that
// loses its role cannot know whether its pending proposals will commit, so
// their callers learn that at once (indeterminate) instead of at their
// deadline; pending reads fail (a read that did not happen had no effect).
func (n *Node) softStateChanged(ss raft.SoftState) {
	if ss.Lead != n.lead {
		n.metrics.leaderChanges.Inc()
		n.logger.Info("leader changed", "leader", ss.Lead, "state", ss.State)
	}
	wasLeader := n.state == raft.StateLeader
	n.lead, n.state = ss.Lead, ss.State
	if ss.State == raft.StateLeader {
		n.metrics.isLeader.Set(1)
	} else {
		n.metrics.isLeader.Set(0)
	}
	if wasLeader && ss.State != raft.StateLeader {
		n.failAllWaiters()
	}
}

// failAllWaiters answers every pending proposal as indeterminate and every
// pending read as unavailable.
func (n *Node) failAllWaiters() {
	for tag, p := range n.waiters {
		p.finish(outcome{err: fmt.Errorf("%w: leadership lost after proposing; the write may still be applied", ErrIndeterminate)})
		delete(n.waiters, tag)
	}
	errRead := fmt.Errorf("%w: leadership lost before the read was confirmed", ErrUnavailable)
	for _, r := range n.readQueue {
		r.finish(outcome{err: errRead})
	}
	n.readQueue = nil
	for ctx, pending := range n.readPending {
		for _, r := range pending.reqs {
			r.finish(outcome{err: errRead})
		}
		delete(n.readPending, ctx)
	}
	for _, b := range n.readsApplied {
		for _, r := range b.reqs {
			r.finish(outcome{err: errRead})
		}
	}
	n.readsApplied = nil
}

// sweepWaiters forgets proposals whose callers gave up, and read index
// requests the core dropped without an answer.
func (n *Node) sweepWaiters() {
	for tag, p := range n.waiters {
		if p.ctx.Err() != nil {
			delete(n.waiters, tag)
		}
	}
	maxAge := uint64(n.cfg.RequestTimeout/n.cfg.TickInterval) + 1
	for ctx, pending := range n.readPending {
		if n.ticks-pending.tick > maxAge {
			for _, r := range pending.reqs {
				r.finish(outcome{err: fmt.Errorf("%w: read index never confirmed", ErrUnavailable)})
			}
			delete(n.readPending, ctx)
		}
	}
}

// installSnapshot replaces the state machine with a snapshot received
// from the leader (already persisted by saveReady).
func (n *Node) installSnapshot(snap raft.Snapshot) error {
	kv, err := restoreKVState(snap.Data)
	if err != nil {
		return fmt.Errorf("installing snapshot at index %d from the leader: %w", snap.Meta.Index, err)
	}
	n.kv, n.applied, n.snapIndex = kv, snap.Meta.Index, snap.Meta.Index
	n.metrics.snapshots.Inc()
	n.metrics.appliedIndex.Set(float64(n.applied))
	n.logger.Info("installed snapshot from the leader", "index", snap.Meta.Index, "term", snap.Meta.Term)
	return nil
}

// apply runs committed entries through the state machine and answers the
// callers waiting for them.
func (n *Node) apply(ents []raft.Entry) error {
	for _, e := range ents {
		if e.Index <= n.applied {
			continue
		}
		n.applied = e.Index
		if e.Type != raft.EntryNormal || len(e.Data) == 0 {
			continue
		}
		c, err := decodeCommand(e.Data)
		if err != nil {
			return fmt.Errorf("%w: committed entry %d (term %d): %v", ErrCorrupt, e.Index, e.Term, err)
		}
		code := n.kv.apply(e.Index, c)
		n.metrics.applied.Inc()
		if p, ok := n.waiters[c.Tag]; ok {
			delete(n.waiters, c.Tag)
			p.finish(outcomeOf(code))
		}
	}
	n.metrics.appliedIndex.Set(float64(n.applied))
	return nil
}

// outcomeOf turns the state machine's answer into the caller's.
func outcomeOf(code applyCode) outcome {
	switch code {
	case applyOK:
		return outcome{}
	case applyMismatch:
		return outcome{err: ErrMismatch}
	case applyExpired:
		return outcome{err: fmt.Errorf("%w: %w: a retry of a request the client already acknowledged", ErrIndeterminate, ErrSessionExpired)}
	}
	return outcome{err: fmt.Errorf("%w: unknown apply result %d", ErrIndeterminate, code)}
}

// maybeSnapshot snapshots the state machine and compacts the log once
// SnapshotEntries entries were applied since the last snapshot.
func (n *Node) maybeSnapshot() error {
	if n.applied-n.snapIndex < n.cfg.SnapshotEntries {
		return nil
	}
	data, err := n.kv.snapshot()
	if err != nil {
		return err
	}
	if _, err := n.store.compact(n.applied, n.peers, data, n.cfg.SnapshotKeep); err != nil {
		if errors.Is(err, raft.ErrSnapOutOfDate) {
			n.snapIndex = n.applied
			return nil
		}
		return fmt.Errorf("taking a snapshot: %w", err)
	}
	n.snapIndex = n.applied
	n.metrics.snapshots.Inc()
	n.logger.Debug("took snapshot and compacted the log", "index", n.applied)
	return nil
}
