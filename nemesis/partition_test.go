package nemesis

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// talkServer is a node's server: it reports what it receives on got and
// writes what is sent on say to its latest connection.
type talkServer struct {
	ln   net.Listener
	got  chan string
	conn chan net.Conn
}

func startTalk(t *testing.T) *talkServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &talkServer{ln: ln, got: make(chan string, 16), conn: make(chan net.Conn, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conn <- c
			go func() {
				buf := make([]byte, 64)
				for {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					s.got <- string(buf[:k])
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		close(s.conn)
		for c := range s.conn {
			_ = c.Close()
		}
	})
	return s
}

// accepted returns the server side of the next connection.
func (s *talkServer) accepted(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-s.conn:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection reached the server")
		return nil
	}
}

// received reports whether the server receives want within d.
func (s *talkServer) received(want string, d time.Duration) bool {
	select {
	case got := <-s.got:
		return got == want
	case <-time.After(d):
		return false
	}
}

// arrives reports whether reading c yields want within d.
func arrives(c net.Conn, want string, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, len(want))
	k, err := c.Read(buf)
	return err == nil && string(buf[:k]) == want
}

// twoNodes links n1 and n2 both ways through an embedded Toxiproxy.
func twoNodes(t *testing.T) (n *Net, dial12, dial21 string, s1, s2 *talkServer) {
	t.Helper()
	n = startNet(t)
	s1, s2 = startTalk(t), startTalk(t)
	ctx := testCtx(t, 5*time.Second)
	var err error
	dial12, err = n.AddLink(ctx, "n1", "n2", s2.ln.Addr().String())
	require.NoError(t, err)
	dial21, err = n.AddLink(ctx, "n2", "n1", s1.ln.Addr().String())
	require.NoError(t, err)
	return n, dial12, dial21, s1, s2
}

// quiet is how long a test waits to conclude that data does not pass.
const quiet = 300 * time.Millisecond

func TestPartitionCutsOpenConnectionsAndHeals(t *testing.T) {
	n, dial12, _, _, s2 := twoNodes(t)
	c := dial(t, dial12)
	server := s2.accepted(t)
	_, err := c.Write([]byte("before"))
	require.NoError(t, err)
	require.True(t, s2.received("before", 5*time.Second))

	p := &Partition{net: n, id: 1, topology: TopologyHalves, order: []string{"n1", "n2"}}
	ctx := testCtx(t, 10*time.Second)
	require.NoError(t, p.Inject(ctx))
	assert.Equal(t, map[string]any{
		"topology": TopologyHalves, "groups": [][]string{{"n1"}, {"n2"}}, "cuts": []string{"n1->n2", "n2->n1"},
	}, p.Describe())

	_, err = c.Write([]byte("during"))
	require.NoError(t, err, "the connection is not refused or closed")
	assert.False(t, s2.received("during", quiet), "n1's data vanishes")
	_, err = server.Write([]byte("reply"))
	require.NoError(t, err)
	assert.False(t, arrives(c, "reply", quiet), "n2's data vanishes")

	require.NoError(t, p.Heal(ctx))
	// Toxiproxy closes a connection when a timeout toxic leaves it (the
	// toxic's Cleanup), as a real connection through a long partition
	// would time out; a new connection passes data.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = c.Read(make([]byte, 8))
	require.Error(t, err)
	assert.False(t, isTimeout(err), "the cut connection is closed on heal: %v", err)
	c2 := dial(t, dial12)
	_, err = c2.Write([]byte("after"))
	require.NoError(t, err)
	assert.True(t, s2.received("after", 5*time.Second), "a new connection passes data")
	require.NoError(t, p.Heal(ctx), "healing twice is harmless")
	assert.Zero(t, n.toxicCount())
}

func TestOneWayPartitionPassesOneDirectionOnly(t *testing.T) {
	n, dial12, dial21, s1, s2 := twoNodes(t)
	p := &Partition{net: n, id: 1, topology: TopologyOneWay, order: []string{"n1", "n2"}}
	ctx := testCtx(t, 10*time.Second)
	require.NoError(t, p.Inject(ctx))
	t.Cleanup(func() { _ = p.Heal(cleanupCtx(t)) })
	assert.Equal(t, []string{"n1->n2"}, p.Describe()["cuts"])

	// n1 dials n2: n1's requests vanish, n2's pushes arrive.
	c12 := dial(t, dial12)
	srv2 := s2.accepted(t)
	_, err := c12.Write([]byte("req"))
	require.NoError(t, err)
	assert.False(t, s2.received("req", quiet), "n1 → n2 is cut")
	_, err = srv2.Write([]byte("push"))
	require.NoError(t, err)
	assert.True(t, arrives(c12, "push", 5*time.Second), "n2 → n1 passes")

	// n2 dials n1: n2's requests arrive, n1's replies vanish.
	c21 := dial(t, dial21)
	srv1 := s1.accepted(t)
	_, err = c21.Write([]byte("req"))
	require.NoError(t, err)
	assert.True(t, s1.received("req", 5*time.Second), "n2 → n1 passes")
	_, err = srv1.Write([]byte("reply"))
	require.NoError(t, err)
	assert.False(t, arrives(c21, "reply", quiet), "n1 → n2 is cut")
}

func TestFlappingPartitionTogglesTheLink(t *testing.T) {
	n, _, _, _, _ := twoNodes(t)
	p := &Partition{net: n, id: 1, topology: TopologyFlapping, order: []string{"n2", "n1"}, flaps: 3, hold: 600 * time.Millisecond}
	ctx := testCtx(t, 10*time.Second)
	require.NoError(t, p.Inject(ctx))
	assert.Equal(t, 4, n.toxicCount(), "cut: both streams of both links")
	eventually(t, "the link is restored", func() bool { return n.toxicCount() == 0 })
	eventually(t, "the link is cut again", func() bool { return n.toxicCount() == 4 })
	require.NoError(t, p.Heal(ctx))
	assert.Zero(t, n.toxicCount())
	proxies, err := n.client.Proxies()
	require.NoError(t, err)
	for name, px := range proxies {
		assert.Empty(t, px.ActiveToxics, name)
	}
}

func TestIsolateLeaderAsksForTheLeader(t *testing.T) {
	n, _, _, _, _ := twoNodes(t)
	p := &Partition{net: n, id: 1, topology: TopologyIsolateLeader, order: []string{"n1", "n2"}, leader: staticLeader("n2")}
	ctx := testCtx(t, 10*time.Second)
	require.NoError(t, p.Inject(ctx))
	t.Cleanup(func() { _ = p.Heal(cleanupCtx(t)) })
	d := p.Describe()
	assert.Equal(t, "n2", d["leader"])
	assert.Equal(t, [][]string{{"n2"}, {"n1"}}, d["groups"])
}

// noLeader is a LeaderFinder during an election.
type noLeader struct{}

func (noLeader) Leader(context.Context) (string, error) { return "", errors.New("no leader elected") }

func TestIsolateLeaderWithoutALeaderFallsBackToTheSeedsNode(t *testing.T) {
	n, _, _, _, _ := twoNodes(t)
	for _, finder := range []LeaderFinder{noLeader{}, staticLeader("10.0.0.9:7000")} {
		p := &Partition{net: n, id: 1, topology: TopologyIsolateLeader, order: []string{"n2", "n1"}, leader: finder}
		ctx := testCtx(t, 10*time.Second)
		require.NoError(t, p.Inject(ctx))
		d := p.Describe()
		assert.Equal(t, "n2", d["leader"])
		assert.Equal(t, true, d["leader_unknown"])
		require.NoError(t, p.Heal(ctx))
	}
}
