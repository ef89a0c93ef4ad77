package raft

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
)

// This file is the in-memory network the scenario and simulation tests run
// clusters on. It is deterministic for a seed: every random choice (message
// loss, delay, order, duplication, election timeouts) comes from generators
// derived from it, and nodes are always visited in id order.
//
// Time advances in rounds. In each round every running node ticks once, and
// messages are delivered when their delay (in rounds) has passed; a node's
// Ready is processed after every tick and every delivery, the way raftkv
// does it: persist, send, apply, Advance.

// netFaults are the network's unreliability knobs.
type netFaults struct {
	drop     float64 // probability a message is lost
	dup      float64 // probability a message is delivered twice
	maxDelay int     // extra rounds a message may wait, drawn uniformly
	reorder  bool    // shuffle the messages due in the same round
}

type queued struct {
	m  Message
	at int // the round at which it is due
}

// simNode is one node: its "disk" (storage) survives crashes, everything
// else is rebuilt on restart.
type simNode struct {
	id      string
	storage *MemoryStorage
	rn      *RawNode // nil while crashed
	// The state machine: the data of every applied normal entry, in order.
	sm           []string
	appliedIndex uint64
	readStates   []ReadState
}

func (n *simNode) up() bool { return n.rn != nil }

// appliedRecord remembers the first application of an index anywhere.
type appliedRecord struct {
	entry Entry
	// term is the lowest current term of a node that applied it: the
	// entry was committed in a term no later than this.
	term    uint64
	present bool
}

type network struct {
	t    testing.TB
	seed uint64
	rng  *rand.Rand
	ids  []string
	node map[string]*simNode
	cfg  func(id string) Config

	faults netFaults
	// drop, when set, loses the messages it returns true for: a scalpel for
	// scripted scenarios.
	drop  func(m Message) bool
	cut   map[[2]string]bool
	queue []queued
	due   []queued // scratch space for deliver
	round int

	// snapEvery: a node snapshots after applying this many entries since
	// its last snapshot (0: never), keeping keep entries behind it.
	snapEvery, keep uint64

	sent    map[MessageType]int // messages sent, by type
	rejects int                 // rejected MsgAppResps sent

	// Invariant bookkeeping.
	leaders   map[uint64]string // term -> the leader seen in it
	applied   []appliedRecord   // at index-1; entries are applied as a prefix
	checkLogs bool              // check log matching / leader completeness after every Ready
	// appliedData is every normal entry's data applied anywhere: the
	// proposals a client would have seen acknowledged.
	appliedData map[string]bool
}

// newNetwork builds a cluster of n nodes named n1..nN. tweak adjusts each
// node's Config (may be nil).
func newNetwork(t testing.TB, seed uint64, n int, tweak func(*Config)) *network {
	nw := &network{
		t:           t,
		seed:        seed,
		rng:         rand.New(rand.NewPCG(seed, 0x5eed)),
		node:        make(map[string]*simNode),
		cut:         make(map[[2]string]bool),
		sent:        make(map[MessageType]int),
		leaders:     make(map[uint64]string),
		appliedData: make(map[string]bool),
	}
	for i := 1; i <= n; i++ {
		nw.ids = append(nw.ids, fmt.Sprintf("n%d", i))
	}
	restarts := make(map[string]uint64)
	nw.cfg = func(id string) Config {
		c := DefaultConfig()
		c.ID = id
		c.Peers = nw.ids
		c.Storage = nw.node[id].storage
		c.ElectionTick = 10
		c.HeartbeatTick = 1
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		// A fresh generator per incarnation, so a restarted node does not
		// replay the timeouts of its previous life.
		restarts[id]++
		c.Rand = rand.New(rand.NewPCG(seed, h.Sum64()+restarts[id]))
		c.Logger = slog.New(slog.DiscardHandler)
		if tweak != nil {
			tweak(&c)
		}
		return c
	}
	for _, id := range nw.ids {
		nw.node[id] = &simNode{id: id, storage: NewMemoryStorage()}
		nw.start(id)
	}
	return nw
}

func (nw *network) fatalf(format string, args ...any) {
	nw.t.Helper()
	nw.t.Fatalf("seed %d, round %d: %s\nreproduce with: go test ./impl/raft -run '^%s$' -raft.seed=%d",
		nw.seed, nw.round, fmt.Sprintf(format, args...), nw.t.Name(), nw.seed)
}

// start (re)creates a node's RawNode from its storage, and its state
// machine from the storage's snapshot: what a process does after a crash.
func (nw *network) start(id string) {
	n := nw.node[id]
	rn, err := NewRawNode(nw.cfg(id))
	if err != nil {
		nw.fatalf("starting %s: %v", id, err)
	}
	n.rn = rn
	n.sm, n.appliedIndex, n.readStates = nil, 0, nil
	snap, _ := n.storage.Snapshot()
	if !snap.IsEmpty() {
		nw.restoreSM(n, snap)
	}
}

// crash loses everything the node did not persist.
func (nw *network) crash(id string) { nw.node[id].rn = nil }

func (nw *network) restart(id string) {
	nw.crash(id)
	nw.start(id)
	nw.process(id)
}

func (nw *network) restoreSM(n *simNode, snap Snapshot) {
	var sm []string
	if err := json.Unmarshal(snap.Data, &sm); err != nil {
		nw.fatalf("%s: decoding snapshot at %d: %v", n.id, snap.Meta.Index, err)
	}
	n.sm = sm
	n.appliedIndex = snap.Meta.Index
}

// cutLink stops all traffic between a and b, both ways.
func (nw *network) cutLink(a, b string) {
	nw.cut[[2]string{a, b}] = true
	nw.cut[[2]string{b, a}] = true
}

// isolate cuts id off from every other node.
func (nw *network) isolate(id string) {
	for _, o := range nw.ids {
		if o != id {
			nw.cutLink(id, o)
		}
	}
}

// partition splits the cluster into groups that cannot talk to each other.
func (nw *network) partition(groups ...[]string) {
	clear(nw.cut)
	group := make(map[string]int)
	for g, ids := range groups {
		for _, id := range ids {
			group[id] = g
		}
	}
	for _, a := range nw.ids {
		for _, b := range nw.ids {
			if a != b && group[a] != group[b] {
				nw.cut[[2]string{a, b}] = true
			}
		}
	}
}

// heal removes every cut and makes the network reliable again.
func (nw *network) heal() {
	clear(nw.cut)
	nw.faults = netFaults{}
}

// process does a node's Ready work until there is none.
func (nw *network) process(id string) {
	n := nw.node[id]
	for n.up() && n.rn.HasReady() {
		rd := n.rn.Ready()
		if !rd.HardState.IsEmpty() {
			_ = n.storage.SetHardState(rd.HardState)
		}
		if !rd.Snapshot.IsEmpty() {
			if err := n.storage.ApplySnapshot(rd.Snapshot); err != nil {
				nw.fatalf("%s: persisting snapshot: %v", id, err)
			}
			nw.restoreSM(n, rd.Snapshot)
		}
		if err := n.storage.Append(rd.Entries); err != nil {
			nw.fatalf("%s: persisting entries: %v", id, err)
		}
		for _, m := range rd.Messages {
			nw.send(m)
		}
		nw.apply(n, rd.CommittedEntries)
		n.readStates = append(n.readStates, rd.ReadStates...)
		n.rn.Advance(rd)
		nw.maybeSnapshot(n)
		nw.checkLeaders()
		// Logs and leaders change only with these; skipping the other
		// Readies (heartbeats, mostly) keeps the check cheap.
		changed := len(rd.Entries) > 0 || !rd.Snapshot.IsEmpty() || len(rd.CommittedEntries) > 0 || rd.SoftState != nil
		if nw.checkLogs && changed {
			nw.checkLogInvariants()
		}
	}
}

func (nw *network) apply(n *simNode, ents []Entry) {
	for _, e := range ents {
		if e.Index != n.appliedIndex+1 {
			nw.fatalf("%s applied index %d after %d: a gap or a repeat", n.id, e.Index, n.appliedIndex)
		}
		n.appliedIndex = e.Index
		term := n.rn.r.Term
		if e.Index > uint64(len(nw.applied)) {
			nw.applied = append(nw.applied, make([]appliedRecord, e.Index-uint64(len(nw.applied)))...)
		}
		rec := &nw.applied[e.Index-1]
		switch {
		case !rec.present:
			*rec = appliedRecord{entry: e, term: term, present: true}
		case !sameEntry(rec.entry, e):
			nw.fatalf("state machine safety: %s applied %s at index %d, but %s was applied there before",
				n.id, describe(e), e.Index, describe(rec.entry))
		case term < rec.term:
			rec.term = term
		}
		if e.Type == EntryNormal {
			n.sm = append(n.sm, string(e.Data))
			nw.appliedData[string(e.Data)] = true
		}
	}
}

func (nw *network) maybeSnapshot(n *simNode) {
	if nw.snapEvery == 0 {
		return
	}
	snap, _ := n.storage.Snapshot()
	if n.appliedIndex < snap.Meta.Index+nw.snapEvery {
		return
	}
	data, err := json.Marshal(n.sm)
	if err != nil {
		nw.fatalf("%s: encoding snapshot: %v", n.id, err)
	}
	if _, err := n.storage.CreateSnapshot(n.appliedIndex, nw.ids, data); err != nil {
		nw.fatalf("%s: creating snapshot at %d: %v", n.id, n.appliedIndex, err)
	}
	first, _ := n.storage.FirstIndex()
	if n.appliedIndex > nw.keep && n.appliedIndex-nw.keep >= first {
		if err := n.storage.Compact(n.appliedIndex - nw.keep); err != nil {
			nw.fatalf("%s: compacting to %d: %v", n.id, n.appliedIndex-nw.keep, err)
		}
	}
}

// send puts m on the wire, perhaps losing, delaying or duplicating it.
func (nw *network) send(m Message) {
	nw.sent[m.Type]++
	if m.Type == MsgAppResp && m.Reject {
		nw.rejects++
	}
	if nw.faults.drop > 0 && nw.rng.Float64() < nw.faults.drop {
		nw.failed(m)
		return
	}
	copies := 1
	if nw.faults.dup > 0 && nw.rng.Float64() < nw.faults.dup {
		copies = 2
	}
	for range copies {
		delay := 0
		if nw.faults.maxDelay > 0 {
			delay = nw.rng.IntN(nw.faults.maxDelay + 1)
		}
		nw.queue = append(nw.queue, queued{m: m, at: nw.round + delay})
	}
}

// failed tells a leader its snapshot did not arrive, as a transport would.
func (nw *network) failed(m Message) {
	if m.Type != MsgSnap {
		return
	}
	if from := nw.node[m.From]; from.up() {
		from.rn.ReportSnapshot(m.To, SnapshotFailure)
	}
}

// deliver hands every due message to its recipient, including the ones
// those deliveries produce without delay.
func (nw *network) deliver() {
	for iter := 0; ; iter++ {
		if iter > 10000 {
			nw.fatalf("messages keep flowing within one round: a livelock")
		}
		// Move the due messages out, compacting the rest in place.
		due := nw.due[:0]
		rest := nw.queue[:0]
		for _, q := range nw.queue {
			if q.at <= nw.round {
				due = append(due, q)
			} else {
				rest = append(rest, q)
			}
		}
		clear(nw.queue[len(rest):])
		nw.queue, nw.due = rest, due
		if len(due) == 0 {
			return
		}
		if nw.faults.reorder {
			nw.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
		}
		for _, q := range due {
			nw.deliverOne(q.m)
		}
	}
}

func (nw *network) deliverOne(m Message) {
	to := nw.node[m.To]
	if !to.up() || nw.cut[[2]string{m.From, m.To}] || (nw.drop != nil && nw.drop(m)) {
		// A transport notices a dead link: it reports it to the sender.
		if from := nw.node[m.From]; from.up() && m.Type == MsgApp {
			from.rn.ReportUnreachable(m.To)
		}
		nw.failed(m)
		nw.process(m.From)
		return
	}
	_ = to.rn.Step(m) // a dropped proposal is the proposer's problem, as in a real network
	nw.process(m.To)
	if m.Type == MsgSnap {
		if from := nw.node[m.From]; from.up() {
			from.rn.ReportSnapshot(m.To, SnapshotFinish)
			nw.process(m.From)
		}
	}
}

// deliverNext delivers the oldest queued message alone, whatever its
// delay, for tests that interleave steps by hand. It reports whether there
// was one.
func (nw *network) deliverNext() bool {
	if len(nw.queue) == 0 {
		return false
	}
	m := nw.queue[0].m
	nw.queue = nw.queue[1:]
	nw.deliverOne(m)
	return true
}

// tick runs one round: deliver what is due, then tick every running node.
func (nw *network) tick() {
	nw.deliver()
	for _, id := range nw.ids {
		if n := nw.node[id]; n.up() {
			n.rn.Tick()
			nw.process(id)
		}
	}
	nw.deliver()
	nw.round++
}

func (nw *network) run(rounds int) {
	for range rounds {
		nw.tick()
	}
}

// messages is the number of messages sent so far.
func (nw *network) messages() int {
	total := 0
	for _, c := range nw.sent {
		total += c
	}
	return total
}

// leader returns the running leader of the highest term, or None.
func (nw *network) leader() string {
	best, term := None, uint64(0)
	for _, id := range nw.ids {
		n := nw.node[id]
		if n.up() && n.rn.r.state == StateLeader && n.rn.r.Term >= term {
			best, term = id, n.rn.r.Term
		}
	}
	return best
}

// waitLeader runs up to maxRounds until a leader exists and returns it.
func (nw *network) waitLeader(maxRounds int) string {
	nw.t.Helper()
	for range maxRounds {
		if l := nw.leader(); l != None {
			return l
		}
		nw.tick()
	}
	nw.fatalf("no leader elected within %d rounds", maxRounds)
	return None
}

// leadersOf lists the running nodes that believe they lead.
func (nw *network) leadersOf(ids []string) []string {
	var out []string
	for _, id := range ids {
		if n := nw.node[id]; n.up() && n.rn.r.state == StateLeader {
			out = append(out, id)
		}
	}
	return out
}

// propose submits data at node id, ignoring a drop (as a client would see
// a timeout).
func (nw *network) propose(id, data string) error {
	n := nw.node[id]
	if !n.up() {
		return ErrProposalDropped
	}
	err := n.rn.Propose([]byte(data))
	nw.process(id)
	return err
}

// appliedBy counts the running nodes whose state machine contains data.
func (nw *network) appliedBy(data string) int {
	c := 0
	for _, id := range nw.ids {
		if n := nw.node[id]; n.up() && slices.Contains(n.sm, data) {
			c++
		}
	}
	return c
}

// one is the classic lab helper: propose data at the current leader until
// at least want running nodes have applied it, retrying on a new leader;
// fail after maxRounds.
func (nw *network) one(data string, want, maxRounds int) {
	nw.t.Helper()
	start := nw.round
	for nw.round-start < maxRounds {
		l := nw.leader()
		if l == None {
			nw.tick()
			continue
		}
		_ = nw.propose(l, data)
		for r := 0; r < 30 && nw.round-start < maxRounds; r++ {
			if nw.appliedBy(data) >= want {
				return
			}
			nw.tick()
		}
	}
	dumpStatus(nw.t, nw)
	nw.fatalf("%q was not applied by %d nodes within %d rounds (applied by %d)", data, want, maxRounds, nw.appliedBy(data))
}

// dumpStatus logs every node's status, to explain a failure.
func dumpStatus(t testing.TB, nw *network) {
	for _, id := range nw.ids {
		n := nw.node[id]
		if !n.up() {
			t.Logf("%s down", id)
			continue
		}
		b, _ := json.Marshal(n.rn.Status())
		snap, _ := n.storage.Snapshot()
		t.Logf("%s %s applied=%d snap=%d", id, b, n.appliedIndex, snap.Meta.Index)
	}
}
