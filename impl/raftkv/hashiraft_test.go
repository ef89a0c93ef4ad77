package raftkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// A KV store on github.com/hashicorp/raft v1.8.0 with raft-boltdb/v2 (which
// fsyncs every batch of log entries), used only as the peer the benchmarks
// compare against: the same commands, the same state machine code, TCP on
// loopback. Reads are linearizable the way hashicorp/raft users make them:
// VerifyLeader (a quorum round), then the local state.

type hashiNode struct {
	raft  *raft.Raft
	fsm   *hashiFSM
	store *raftboltdb.BoltStore
	trans *raft.NetworkTransport
}

// newHashiCluster starts three hashicorp/raft nodes.
func newHashiCluster(b *testing.B) []*hashiNode {
	b.Helper()
	var nodes []*hashiNode
	var servers []raft.Server
	for i := 1; i <= 3; i++ {
		trans, err := raft.NewTCPTransport("127.0.0.1:0", nil, 8, 10*time.Second, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		store, err := raftboltdb.NewBoltStore(filepath.Join(b.TempDir(), "raft.db"))
		if err != nil {
			b.Fatal(err)
		}
		n := &hashiNode{fsm: &hashiFSM{kv: newKVState()}, store: store, trans: trans}
		nodes = append(nodes, n)
		servers = append(servers, raft.Server{ID: raft.ServerID(fmt.Sprintf("n%d", i)), Address: trans.LocalAddr()})
	}
	b.Cleanup(func() {
		for _, n := range nodes {
			if n.raft != nil {
				_ = n.raft.Shutdown().Error()
			}
			_ = n.trans.Close()
			_ = n.store.Close()
		}
	})
	for i, n := range nodes {
		cfg := raft.DefaultConfig()
		cfg.LocalID = servers[i].ID
		cfg.Logger = hclog.NewNullLogger()
		// hashicorp/raft's default timings (1 s heartbeat and election
		// timeouts): shorter ones made it lose leadership under the
		// 64-client load on this 2-core machine.
		snaps, err := raft.NewFileSnapshotStore(b.TempDir(), 1, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			if err := raft.BootstrapCluster(cfg, n.store, n.store, snaps, n.trans, raft.Configuration{Servers: servers}); err != nil {
				b.Fatal(err)
			}
		}
		if n.raft, err = raft.NewRaft(cfg, n.fsm, n.store, n.store, snaps, n.trans); err != nil {
			b.Fatal(err)
		}
	}
	return nodes
}

// hashiLeader waits for a leader among nodes.
func hashiLeader(b *testing.B, nodes []*hashiNode) *hashiNode {
	b.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range nodes {
			if n.raft.State() == raft.Leader {
				return n
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("hashicorp/raft cluster elected no leader")
	return nil
}

// hashiKV sends each operation to the current leader and, when the
// leadership moved under it (which happened under the 64-client load on
// this 2-core machine), waits for the next leader and retries: the retry
// counts in the operation's latency.
type hashiKV struct {
	b     *testing.B
	nodes []*hashiNode
}

func (k hashiKV) leader() *hashiNode { return hashiLeader(k.b, k.nodes) }

func retryable(err error) bool {
	return errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) ||
		errors.Is(err, raft.ErrLeadershipTransferInProgress)
}

func (k hashiKV) write(ctx context.Context, key string, v int64) error {
	for {
		err := k.writeOnce(ctx, k.leader(), key, v)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

func (k hashiKV) writeOnce(ctx context.Context, n *hashiNode, key string, v int64) error {
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	f := n.raft.Apply(encodeCommand(command{Request: Request{Op: OpWrite, Key: key, Value: v}}), timeout)
	if err := f.Error(); err != nil {
		return err
	}
	if err, ok := f.Response().(error); ok {
		return err
	}
	return nil
}

func (k hashiKV) read(ctx context.Context, key string) error {
	for {
		n := k.leader()
		err := n.raft.VerifyLeader().Error()
		if err == nil {
			n.fsm.mu.Lock()
			_, _ = n.fsm.kv.read(key)
			n.fsm.mu.Unlock()
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// BenchmarkClusterHashicorp measures the hashicorp/raft peer.
func BenchmarkClusterHashicorp(b *testing.B) {
	nodes := newHashiCluster(b)
	hashiLeader(b, nodes)
	runClusterBench(b, func(int) benchKV { return hashiKV{b, nodes} })
}
