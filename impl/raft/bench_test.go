package raft

import (
	"fmt"
	"testing"
)

// benchCluster is an elected cluster for benchmarks. It is rebuilt (off
// the clock) every freshEvery entries, so that the ever-growing in-memory
// logs and state machines of the test network do not dominate the figures.
type benchCluster struct {
	b          *testing.B
	size       int
	nw         *network
	leader     string
	entries    int
	freshEvery int
}

func newBenchCluster(b *testing.B, size int) *benchCluster {
	c := &benchCluster{b: b, size: size, freshEvery: 16384}
	c.rebuild()
	return c
}

func (c *benchCluster) rebuild() {
	c.nw = newNetwork(c.b, 1, c.size, nil)
	c.leader = c.nw.waitLeader(100)
	c.entries = 0
}

// propose proposes n entries at the leader, then runs the network until
// they are replicated, committed and applied everywhere.
func (c *benchCluster) propose(n int, data []byte) {
	if c.entries+n > c.freshEvery {
		c.b.StopTimer()
		c.rebuild()
		c.b.StartTimer()
	}
	l := c.nw.node[c.leader]
	for range n {
		if err := l.rn.Propose(data); err != nil {
			c.b.Fatal(err)
		}
	}
	c.entries += n
	c.nw.process(c.leader)
	c.nw.deliver()
	for _, id := range c.nw.ids {
		if got := c.nw.node[id].appliedIndex; got < uint64(c.entries) {
			c.b.Fatalf("%s applied %d of %d entries", id, got, c.entries)
		}
	}
}

// BenchmarkProposeCommit measures the hot path: a proposal at the leader
// replicated to the followers and committed and applied everywhere, through
// Ready/Advance and MemoryStorage on the in-memory network (no IO: this is
// the core's own cost, plus the test network's).
func BenchmarkProposeCommit(b *testing.B) {
	for _, size := range []int{3, 5} {
		for _, dataSize := range []int{64, 1024} {
			b.Run(fmt.Sprintf("nodes=%d/data=%dB", size, dataSize), func(b *testing.B) {
				c := newBenchCluster(b, size)
				data := make([]byte, dataSize)
				b.SetBytes(int64(dataSize))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					c.propose(1, data)
				}
			})
		}
	}
}

// BenchmarkProposeBatch proposes 64 entries before replicating, as a busy
// leader does between two Ready calls.
func BenchmarkProposeBatch(b *testing.B) {
	const batch = 64
	c := newBenchCluster(b, 3)
	data := make([]byte, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.propose(batch, data)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entry")
}
