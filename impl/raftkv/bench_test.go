package raftkv

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The cluster benchmarks run the same workload against a 3-node cluster of
// this package and one built on hashicorp/raft (hashiraft_test.go), on
// loopback TCP with fsync'd storage, at 1, 16 and 64 concurrent clients:
//
//	go test -run XXX -bench BenchmarkCluster -benchtime 3s ./impl/raftkv/
//
// Each reports ops/s and the p50 and p99 latency of one operation.

// benchKV is one client's view of a cluster under benchmark.
type benchKV interface {
	write(ctx context.Context, key string, v int64) error
	read(ctx context.Context, key string) error
}

var benchClients = []int{1, 16, 64}

// benchKeys is how many keys the workload spreads over.
const benchKeys = 64

func runClusterBench(b *testing.B, clients func(i int) benchKV) {
	for _, op := range []string{"write", "read"} {
		for _, n := range benchClients {
			b.Run(fmt.Sprintf("%s/clients=%d", op, n), func(b *testing.B) {
				benchOps(b, op, n, clients)
			})
		}
	}
}

// benchOps runs b.N operations spread over n concurrent clients.
func benchOps(b *testing.B, op string, n int, clients func(i int) benchKV) {
	kvs := make([]benchKV, n)
	for i := range kvs {
		kvs[i] = clients(i)
	}
	if op == "read" {
		for k := range benchKeys {
			if err := kvs[0].write(b.Context(), fmt.Sprintf("k%d", k), int64(k)); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := next.Add(1); j <= int64(b.N); j = next.Add(1) {
				ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
				key := fmt.Sprintf("k%d", j%benchKeys)
				t0 := time.Now()
				var err error
				if op == "write" {
					err = kvs[i].write(ctx, key, j)
				} else {
					err = kvs[i].read(ctx, key)
				}
				lat[i] = append(lat[i], time.Since(t0))
				cancel()
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // ns/op of a concurrent run says little; ops/s does
}

// nodeKV calls the leader Node in process, skipping HTTP: the same path
// the hashicorp/raft peer is measured on.
type nodeKV struct{ node *Node }

func (k nodeKV) write(ctx context.Context, key string, v int64) error {
	_, err := k.node.Do(ctx, Request{Op: OpWrite, Key: key, Value: v})
	return err
}

func (k nodeKV) read(ctx context.Context, key string) error {
	_, err := k.node.Do(ctx, Request{Op: OpRead, Key: key})
	return err
}

// clientKV goes through the HTTP client library, as the harness does.
type clientKV struct{ c *Client }

func (k clientKV) write(ctx context.Context, key string, v int64) error {
	return k.c.Write(ctx, key, v)
}

func (k clientKV) read(ctx context.Context, key string) error {
	_, _, err := k.c.Read(ctx, key)
	return err
}

func benchLogger(b *testing.B) func(*Config) {
	return func(cfg *Config) { cfg.Logger = testLogger(b, cfg.ID) }
}

// BenchmarkClusterFaultline measures this package's node API.
func BenchmarkClusterFaultline(b *testing.B) {
	c := newTestCluster(b, 3, benchLogger(b))
	leader := c.nodes[c.waitLeader()]
	runClusterBench(b, func(int) benchKV { return nodeKV{leader} })
}

// BenchmarkClusterFaultlineHTTP measures the same through Client (HTTP).
func BenchmarkClusterFaultlineHTTP(b *testing.B) {
	c := newTestCluster(b, 3, benchLogger(b))
	c.waitLeader()
	cl := c.newClient()
	runClusterBench(b, func(int) benchKV { return clientKV{cl} })
}
