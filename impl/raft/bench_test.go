package raft

import (
	"fmt"
	"testing"
)

// BenchmarkProposeCommit measures the hot path: a proposal at the leader
// replicated to the followers and committed and applied everywhere, through
// Ready/Advance and MemoryStorage on the in-memory network (no IO: this is
// the core's own cost).
func BenchmarkProposeCommit(b *testing.B) {
	for _, size := range []int{3, 5} {
		for _, dataSize := range []int{64, 1024} {
			b.Run(fmt.Sprintf("nodes=%d/data=%dB", size, dataSize), func(b *testing.B) {
				nw := newNetwork(b, 1, size, nil)
				l := nw.waitLeader(100)
				data := make([]byte, dataSize)
				b.SetBytes(int64(dataSize))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := nw.node[l].rn.Propose(data); err != nil {
						b.Fatal(err)
					}
					nw.process(l)
					nw.deliver()
				}
				b.StopTimer()
				if got := nw.node[l].appliedIndex; got < uint64(b.N) {
					b.Fatalf("applied %d of %d proposals", got, b.N)
				}
			})
		}
	}
}

// BenchmarkProposeBatch proposes 64 entries before replicating, as a busy
// leader does between two Ready calls: the entries travel in few MsgApps.
func BenchmarkProposeBatch(b *testing.B) {
	const batch = 64
	nw := newNetwork(b, 1, 3, nil)
	l := nw.waitLeader(100)
	data := make([]byte, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for range batch {
			if err := nw.node[l].rn.Propose(data); err != nil {
				b.Fatal(err)
			}
		}
		nw.process(l)
		nw.deliver()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entry")
}
