package raftkv

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// linkProxy is a loopback TCP proxy for one directed link between nodes
// that a test can cut and heal, as the harness does with Toxiproxy.
type linkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newLinkProxy(t testing.TB, target string) *linkProxy {
	t.Helper()
	p := &linkProxy{ln: listen(t), target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		p.ln.Close()
		p.setCut(true)
		p.wg.Wait()
	})
	return p
}

func (p *linkProxy) addr() string { return p.ln.Addr().String() }

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			in.Close()
			out.Close()
			continue
		}
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *linkProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// setCut cuts the link (closing its connections and refusing new ones)
// or heals it.
func (p *linkProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

// proxyLinks puts a proxy on every directed link of c; call it before the
// nodes start (newTestCluster does, with proxied set).
func (c *testCluster) proxyLinks() {
	c.proxies = map[[2]string]*linkProxy{}
	for _, from := range c.ids {
		for _, to := range c.ids {
			if from != to {
				c.proxies[[2]string{from, to}] = newLinkProxy(c.t, c.raft[to])
			}
		}
	}
}

// isolate cuts (or heals) every link to and from id.
func (c *testCluster) isolate(id string, cut bool) {
	for link, p := range c.proxies {
		if link[0] == id || link[1] == id {
			p.setCut(cut)
		}
	}
}

// waitLeaderAmong polls until the given nodes agree on a leader among
// them.
func (c *testCluster) waitLeaderAmong(ids ...string) string {
	c.t.Helper()
	var leader string
	require.Eventually(c.t, func() bool {
		leader = ""
		for _, id := range ids {
			st, err := c.nodes[id].Status(c.ctx)
			if err != nil || st.Leader == "" || (leader != "" && st.Leader != leader) {
				return false
			}
			leader = st.Leader
		}
		for _, id := range ids {
			if id == leader {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "no leader among %v", ids)
	return leader
}
