package nemesis

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// proxied starts an embedded Toxiproxy with one client link in front of
// server and returns the Net and the address to dial.
func proxied(t *testing.T, serverAddr string) (*Net, string) {
	t.Helper()
	n := startNet(t)
	addr, err := n.AddLink(testCtx(t, 5*time.Second), "client", "n1", serverAddr)
	require.NoError(t, err)
	return n, addr
}

// injectToxic injects a toxic drawn with cfg on every link of n, and heals
// it when the test ends.
func injectToxic(t *testing.T, n *Net, draw func(*rand.Rand, Config) toxicParams, cfg Config, direction string) *Toxic {
	t.Helper()
	f := &Toxic{net: n, id: 1, params: draw(rand.New(rand.NewPCG(1, 2)), cfg), direction: direction, class: AllLinks, nodes: []string{"n1"}}
	ctx := testCtx(t, 5*time.Second)
	require.NoError(t, f.Inject(ctx))
	t.Cleanup(func() { require.NoError(t, f.Heal(cleanupCtx(t))) })
	return f
}

func TestLatencyDelaysRoundTrips(t *testing.T) {
	n, addr := proxied(t, startEcho(t).Addr())
	cfg := DefaultConfig()
	cfg.LatencyMin, cfg.LatencyMax, cfg.Jitter = 200*time.Millisecond, 200*time.Millisecond, 0
	f := injectToxic(t, n, drawLatency, cfg, Downstream)
	assert.Equal(t, int64(200), f.Describe()["latency_ms"])

	c := dial(t, addr)
	for range 3 {
		start := time.Now()
		_, err := roundTrip(c, []byte("ping"))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "a round trip takes at least the latency")
	}
}

func TestBandwidthLimitsThroughput(t *testing.T) {
	n, addr := proxied(t, startEcho(t).Addr())
	cfg := DefaultConfig()
	cfg.BandwidthMin, cfg.BandwidthMax = 64, 64
	injectToxic(t, n, drawBandwidth, cfg, Downstream)

	c := dial(t, addr)
	msg := make([]byte, 48<<10)
	start := time.Now()
	go func() { _, _ = c.Write(msg) }()
	_, err := io.ReadFull(c, make([]byte, len(msg)))
	require.NoError(t, err)
	// 48 KB at 64 KB/s takes 750 ms; allow for the first burst.
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
}

func TestLimitDataClosesAfterNBytes(t *testing.T) {
	n, addr := proxied(t, startEcho(t).Addr())
	cfg := DefaultConfig()
	cfg.LimitDataMin, cfg.LimitDataMax = 100, 100
	injectToxic(t, n, drawLimitData, cfg, Downstream)

	c := dial(t, addr)
	go func() { _, _ = c.Write(make([]byte, 1000)) }()
	got, err := io.ReadAll(c)
	if err != nil {
		assert.False(t, isTimeout(err), "the connection is closed, not left open: %v", err)
	}
	assert.LessOrEqual(t, len(got), 100)
	assert.NotEmpty(t, got, "data below the limit passes")
}

func TestResetPeerResetsTheConnection(t *testing.T) {
	n, addr := proxied(t, startEcho(t).Addr())
	cfg := DefaultConfig()
	cfg.ResetPeerMax = 0
	injectToxic(t, n, drawResetPeer, cfg, Upstream)

	c := dial(t, addr)
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err)
	_, err = c.Read(make([]byte, 4))
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNRESET), "want a reset, got %v", err)
}

func TestTimeoutBlackholesThenCloses(t *testing.T) {
	n, addr := proxied(t, startEcho(t).Addr())
	cfg := DefaultConfig()
	cfg.TimeoutMax = 300 * time.Millisecond
	f := injectToxic(t, n, func(*rand.Rand, Config) toxicParams {
		return drawTimeout(rand.New(rand.NewPCG(0, 0)), Config{TimeoutMax: 0})
	}, cfg, Upstream)
	assert.Equal(t, int64(0), f.Describe()["timeout_ms"])

	// timeout 0: no data passes, and the connection stays open.
	c := dial(t, addr)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	_, err := roundTrip(c, []byte("ping"))
	assert.True(t, isTimeout(err), "no reply and no close: %v", err)

	// timeout 300 ms: no data passes, and the connection is closed then.
	closing := &Toxic{net: n, id: 2, params: toxicParams{kind: FaultTimeout, typ: "timeout", attrs: map[string]any{"timeout": 300}}, direction: Upstream, class: AllLinks}
	require.NoError(t, f.Heal(testCtx(t, 5*time.Second)))
	require.NoError(t, closing.Inject(testCtx(t, 5*time.Second)))
	t.Cleanup(func() { _ = closing.Heal(cleanupCtx(t)) })
	c2 := dial(t, addr)
	start := time.Now()
	_, err = roundTrip(c2, []byte("ping"))
	require.Error(t, err)
	assert.False(t, isTimeout(err), "closed by the toxic: %v", err)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
}

func TestSlicerSplitsData(t *testing.T) {
	n, addr := proxied(t, startEcho(t).Addr())
	cfg := DefaultConfig()
	cfg.SliceMin, cfg.SliceMax, cfg.SliceDelayMax = 10, 10, 2*time.Millisecond
	f := injectToxic(t, n, func(r *rand.Rand, c Config) toxicParams {
		p := drawSlicer(r, c)
		p.attrs["size_variation"], p.attrs["delay"] = 0, 2000 // fixed, so slices arrive apart
		return p
	}, cfg, Downstream)
	assert.Equal(t, int64(10), f.Describe()["average_size"])

	c := dial(t, addr)
	_, err := c.Write(make([]byte, 200))
	require.NoError(t, err)
	reads, total := 0, 0
	buf := make([]byte, 1024)
	for total < 200 {
		k, err := c.Read(buf)
		require.NoError(t, err)
		total += k
		reads++
	}
	assert.GreaterOrEqual(t, reads, 5, "200 bytes in slices of 10 arrive in several reads")
}

// startCloser is a server that writes "bye" and closes each connection.
func startCloser(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("bye"))
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestSlowCloseDelaysTheClose(t *testing.T) {
	n, addr := proxied(t, startCloser(t))
	cfg := DefaultConfig()
	cfg.SlowCloseMax = 400 * time.Millisecond
	injectToxic(t, n, func(r *rand.Rand, c Config) toxicParams {
		p := drawSlowClose(r, c)
		p.attrs["delay"] = 400
		return p
	}, cfg, Downstream)

	start := time.Now()
	c := dial(t, addr)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "bye", string(got))
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "the close arrives late")
}

func TestToxicWithoutLinksFails(t *testing.T) {
	n := startNet(t)
	f := &Toxic{net: n, id: 1, params: drawLatency(rand.New(rand.NewPCG(1, 1)), DefaultConfig()), direction: Both, class: NodeLinks}
	require.ErrorIs(t, f.Inject(testCtx(t, 5*time.Second)), ErrNoLinks)
}
