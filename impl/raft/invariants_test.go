package raft

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// The safety properties of Figure 3 of the Raft paper, checked by the
// in-memory network after every Ready that changed a log or a role:
// Election Safety, Log Matching, Leader Completeness, and (as entries are
// applied, in network.apply) State Machine Safety.

// checkLeaders: Election Safety, at most one leader per term (§5.2).
func (nw *network) checkLeaders() {
	for _, id := range nw.ids {
		n := nw.node[id]
		if !n.up() || n.rn.r.state != StateLeader {
			continue
		}
		term := n.rn.r.Term
		if prev, ok := nw.leaders[term]; ok && prev != id {
			nw.fatalf("election safety: both %s and %s are leaders of term %d", prev, id, term)
		}
		nw.leaders[term] = id
	}
}

// nodeLog returns a node's log (entries it holds, persisted or not) and
// the index of its first entry.
func (nw *network) nodeLog(n *simNode) (uint64, []Entry) {
	if n.up() {
		l := n.rn.r.log
		ents, err := l.slice(l.firstIndex(), l.lastIndex()+1, 0)
		if err != nil {
			nw.fatalf("%s: reading own log: %v", n.id, err)
		}
		return l.firstIndex(), ents
	}
	first, _ := n.storage.FirstIndex()
	last, _ := n.storage.LastIndex()
	ents, err := n.storage.Entries(first, last+1, 0)
	if err != nil {
		nw.fatalf("%s: reading stored log: %v", n.id, err)
	}
	return first, ents
}

// checkLogInvariants checks Log Matching (§5.3) for every pair of nodes and
// Leader Completeness (§5.4) for every running leader.
func (nw *network) checkLogInvariants() {
	type nlog struct {
		first uint64
		ents  []Entry
	}
	logs := make([]nlog, len(nw.ids))
	for i, id := range nw.ids {
		logs[i].first, logs[i].ents = nw.nodeLog(nw.node[id])
	}
	at := func(l nlog, i uint64) (Entry, bool) {
		if i < l.first || i >= l.first+uint64(len(l.ents)) {
			return Entry{}, false
		}
		return l.ents[i-l.first], true
	}
	for a := range logs {
		for b := a + 1; b < len(logs); b++ {
			la, lb := logs[a], logs[b]
			lo := max(la.first, lb.first)
			hi := min(la.first+uint64(len(la.ents)), lb.first+uint64(len(lb.ents)))
			for i := hi; i > lo; i-- {
				ea, _ := at(la, i-1)
				eb, _ := at(lb, i-1)
				if ea.Term != eb.Term {
					continue
				}
				for j := lo; j < i; j++ {
					x, _ := at(la, j)
					y, _ := at(lb, j)
					if !sameEntry(x, y) {
						nw.fatalf("log matching: %s and %s agree on the term of index %d but differ at %d: %s vs %s",
							nw.ids[a], nw.ids[b], i-1, j, describe(x), describe(y))
					}
				}
				break
			}
		}
	}
	for i, id := range nw.ids {
		n := nw.node[id]
		if !n.up() || n.rn.r.state != StateLeader {
			continue
		}
		term := n.rn.r.Term
		for k := max(logs[i].first, 1) - 1; k < uint64(len(nw.applied)); k++ {
			rec, idx := nw.applied[k], k+1
			if !rec.present || rec.term > term {
				continue
			}
			e, ok := at(logs[i], idx)
			if !ok || !sameEntry(e, rec.entry) {
				nw.fatalf("leader completeness: leader %s of term %d lacks committed entry %s (has %s)",
					id, term, describe(rec.entry), describe(e))
			}
		}
	}
}

// checkConverged checks that every running node applied the same state.
func (nw *network) checkConverged() {
	nw.t.Helper()
	var ref *simNode
	for _, id := range nw.ids {
		n := nw.node[id]
		if !n.up() {
			continue
		}
		if ref == nil {
			ref = n
			continue
		}
		if !slices.Equal(ref.sm, n.sm) {
			nw.fatalf("state machines differ: %s has %d entries (applied %d), %s has %d (applied %d)",
				ref.id, len(ref.sm), ref.appliedIndex, n.id, len(n.sm), n.appliedIndex)
		}
	}
}

func sameEntry(a, b Entry) bool {
	return a.Term == b.Term && a.Index == b.Index && a.Type == b.Type && bytes.Equal(a.Data, b.Data)
}

func describe(e Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{index %d term %d", e.Index, e.Term)
	if e.Type == EntryNoop {
		b.WriteString(" noop}")
	} else {
		fmt.Fprintf(&b, " %q}", e.Data)
	}
	return b.String()
}
