package raftkv

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testCluster is a cluster of in-process nodes on loopback ports.
type testCluster struct {
	t       testing.TB
	ids     []string
	raft    map[string]string // id → raft address
	client  map[string]string // id → client address
	dirs    map[string]string
	nodes   map[string]*Node
	tune    func(*Config)
	ctx     context.Context
	mu      sync.Mutex
	stopped map[string]bool
	proxies map[[2]string]*linkProxy // directed links, when proxied
}

// newTestCluster starts n nodes. tune, when not nil, adjusts each config.
func newTestCluster(t testing.TB, n int, tune func(*Config)) *testCluster {
	t.Helper()
	return newCluster(t, n, tune, false)
}

// newProxiedCluster starts n nodes with a proxy on every link between them.
func newProxiedCluster(t testing.TB, n int) *testCluster {
	t.Helper()
	return newCluster(t, n, nil, true)
}

func newCluster(t testing.TB, n int, tune func(*Config), proxied bool) *testCluster {
	t.Helper()
	c := &testCluster{t: t, raft: map[string]string{}, client: map[string]string{}, dirs: map[string]string{},
		nodes: map[string]*Node{}, tune: tune, ctx: t.Context(), stopped: map[string]bool{}}
	base := t.TempDir()
	listeners := map[string][2]net.Listener{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("n%d", i)
		c.ids = append(c.ids, id)
		rl, cl := listen(t), listen(t)
		listeners[id] = [2]net.Listener{rl, cl}
		c.raft[id], c.client[id] = rl.Addr().String(), cl.Addr().String()
		c.dirs[id] = filepath.Join(base, id)
	}
	if proxied {
		c.proxyLinks()
	}
	for _, id := range c.ids {
		cfg := c.config(id)
		cfg.RaftListener, cfg.ClientListener = listeners[id][0], listeners[id][1]
		node, err := NewNode(cfg)
		require.NoError(t, err)
		node.Start(c.ctx)
		c.nodes[id] = node
	}
	t.Cleanup(c.stopAll)
	return c
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func (c *testCluster) config(id string) Config {
	cfg := DefaultConfig()
	cfg.ID = id
	cfg.RaftAddr = c.raft[id]
	cfg.ClientAddr = c.client[id]
	cfg.DataDir = c.dirs[id]
	cfg.Peers = map[string]string{}
	for _, p := range c.ids {
		switch {
		case p == id:
		case c.proxies != nil:
			cfg.Peers[p] = c.proxies[[2]string{id, p}].addr()
		default:
			cfg.Peers[p] = c.raft[p]
		}
	}
	cfg.Logger = testLogger(c.t, id)
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

// start restarts node id from its data directory, on the same ports.
func (c *testCluster) start(id string) {
	c.t.Helper()
	var node *Node
	// The port was released a moment ago; on a busy machine another
	// process may hold it briefly, so retry for a while.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		node, err = NewNode(c.config(id))
		if err == nil {
			break
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "address already in use") {
			require.NoError(c.t, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	node.Start(c.ctx)
	c.mu.Lock()
	c.nodes[id] = node
	c.stopped[id] = false
	c.mu.Unlock()
}

func (c *testCluster) stop(id string) {
	c.t.Helper()
	c.mu.Lock()
	node := c.nodes[id]
	c.stopped[id] = true
	c.mu.Unlock()
	require.NoError(c.t, node.Stop())
}

func (c *testCluster) stopAll() {
	for _, id := range c.ids {
		c.mu.Lock()
		node, stopped := c.nodes[id], c.stopped[id]
		c.stopped[id] = true
		c.mu.Unlock()
		if !stopped {
			if err := node.Stop(); err != nil {
				c.t.Errorf("stopping %s: %v", id, err)
			}
		}
	}
}

func (c *testCluster) running() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for _, id := range c.ids {
		if !c.stopped[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// waitLeader polls until the running nodes agree on one leader in one
// term, and returns it.
func (c *testCluster) waitLeader() string {
	c.t.Helper()
	var leader string
	require.Eventually(c.t, func() bool {
		leader = ""
		var term uint64
		for _, id := range c.running() {
			ctx, cancel := context.WithTimeout(c.ctx, time.Second)
			st, err := c.nodes[id].Status(ctx)
			cancel()
			if err != nil || st.Leader == "" {
				return false
			}
			if leader == "" {
				leader, term = st.Leader, st.CurrentTerm
			}
			if st.Leader != leader || st.CurrentTerm != term {
				return false
			}
		}
		return leader != "" && !c.stopped[leader]
	}, 10*time.Second, 20*time.Millisecond, "no stable leader")
	return leader
}

// waitApplied polls until every running node applied at least index.
func (c *testCluster) waitApplied(index uint64) {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		for _, id := range c.running() {
			ctx, cancel := context.WithTimeout(c.ctx, time.Second)
			st, err := c.nodes[id].Status(ctx)
			cancel()
			if err != nil || st.AppliedIndex < index {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "nodes did not apply index %d", index)
}

func (c *testCluster) newClient() *Client {
	c.t.Helper()
	cfg := DefaultClientConfig()
	cfg.Nodes = c.client
	cl, err := NewClient(cfg)
	require.NoError(c.t, err)
	c.t.Cleanup(cl.Close)
	return cl
}

// testLogger routes a node's log to t.Log at warning level and above.
func testLogger(t testing.TB, id string) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("test_node", id)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
