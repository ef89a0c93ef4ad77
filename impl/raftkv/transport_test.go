package raftkv

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/impl/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder collects what a transport delivers and reports.
type recorder struct {
	mu        sync.Mutex
	delivered []raft.Message
	reported  []raft.Message
}

func (r *recorder) deliver(_ context.Context, m raft.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delivered = append(r.delivered, m)
}

func (r *recorder) report(m raft.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reported = append(r.reported, m)
}

func (r *recorder) counts() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.delivered), len(r.reported)
}

func testTransportConfig(id string, peers map[string]string) transportConfig {
	return transportConfig{ID: id, Peers: peers, DialTimeout: time.Second, IOTimeout: time.Second,
		IdleTimeout: 200 * time.Millisecond, QueueSize: 16, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
}

func startTransport(t *testing.T, id string, ln net.Listener, peers map[string]string) (*transport, *recorder) {
	t.Helper()
	rec := &recorder{}
	tr := newTransport(testTransportConfig(id, peers), ln, slog.New(slog.DiscardHandler), rec.deliver, rec.report)
	ctx, cancel := context.WithCancel(t.Context())
	tr.start(ctx)
	t.Cleanup(func() { cancel(); tr.wait() })
	return tr, rec
}

func TestTransportDeliversAndSurvivesIdleClose(t *testing.T) {
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a, _ := startTransport(t, "a", lnA, map[string]string{"b": lnB.Addr().String()})
	b, recB := startTransport(t, "b", lnB, map[string]string{"a": lnA.Addr().String()})

	send := func(n int) {
		for i := range n {
			a.send([]raft.Message{{Type: raft.MsgHeartbeat, From: "a", To: "b", Term: uint64(i + 1)}})
		}
	}
	send(5)
	require.Eventually(t, func() bool { d, _ := recB.counts(); return d == 5 }, 5*time.Second, 5*time.Millisecond)

	// b closes the idle inbound connection; a notices and reconnects.
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.inbound) == 0
	}, 5*time.Second, 5*time.Millisecond, "b never closed the idle connection")
	// A message written in the instant before a sees the close is lost
	// (Raft resends); the point is that a reconnects.
	require.Eventually(t, func() bool { send(1); d, _ := recB.counts(); return d >= 6 }, 5*time.Second, 20*time.Millisecond)
	recB.mu.Lock()
	assert.Equal(t, "a", recB.delivered[5].From)
	recB.mu.Unlock()
}

func TestTransportReportsUnreachablePeer(t *testing.T) {
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a, recA := startTransport(t, "a", lnA, map[string]string{"b": freeAddr(t)})
	a.send([]raft.Message{{Type: raft.MsgApp, From: "a", To: "b", Term: 1}, {Type: raft.MsgSnap, From: "a", To: "b", Term: 1,
		Snapshot: &raft.Snapshot{Meta: raft.SnapshotMeta{Index: 1, Term: 1}}}})
	require.Eventually(t, func() bool {
		recA.mu.Lock()
		defer recA.mu.Unlock()
		var unreachable, snapFailed bool
		for _, m := range recA.reported {
			unreachable = unreachable || (m.Type == raft.MsgUnreachable && m.From == "b")
			snapFailed = snapFailed || (m.Type == raft.MsgSnapStatus && m.From == "b" && m.Reject)
		}
		return unreachable && snapFailed
	}, 5*time.Second, 5*time.Millisecond)
}

func TestTransportRejectsStrangers(t *testing.T) {
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, recB := startTransport(t, "b", lnB, map[string]string{"a": freeAddr(t)})
	conn, err := net.Dial("tcp", lnB.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// No hello: a message straight away is refused and the connection closed.
	_, err = conn.Write(appendFrame(nil, func(b []byte) []byte {
		return appendMessage(b, raft.Message{Type: raft.MsgHeartbeat, From: "a", To: "b"})
	}))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Read(make([]byte, 1))
	require.Error(t, err)
	d, _ := recB.counts()
	assert.Zero(t, d)
}
