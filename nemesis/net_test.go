package nemesis

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNetAddLinkProxiesTraffic(t *testing.T) {
	n := startNet(t)
	echo := startEcho(t)
	ctx := testCtx(t, 10*time.Second)

	addr, err := n.AddLink(ctx, "n1", "n2", echo.Addr())
	require.NoError(t, err)
	assert.NotEqual(t, "127.0.0.1:0", addr, "the actual port is read back")

	got, err := roundTrip(dial(t, addr), []byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))

	_, err = n.AddLink(ctx, "n1", "n2", echo.Addr())
	require.ErrorIs(t, err, ErrLinkExists)
	assert.Equal(t, []Link{{From: "n1", To: "n2"}}, n.Links())
}

func TestConnectUnreachable(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	_, err := Connect(ctx, "http://127.0.0.1:1")
	require.ErrorIs(t, err, ErrUnreachable)
	assert.Contains(t, err.Error(), "use the embedded one")
}

func TestServerCloseStopsProxies(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	srv, err := StartServer(ctx, testLogger(t))
	require.NoError(t, err)
	n, err := Connect(ctx, srv.URL())
	require.NoError(t, err)
	addr, err := n.AddLink(ctx, "client", "n1", startEcho(t).Addr())
	require.NoError(t, err)

	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "Close twice is harmless")
	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the proxy no longer listens")
	_, err = Connect(ctx, srv.URL())
	assert.ErrorIs(t, err, ErrUnreachable)
}

func TestAddLinkRejectsBadNames(t *testing.T) {
	n := startNet(t)
	ctx := testCtx(t, 5*time.Second)
	for _, from := range []string{"", "a->b", "a/b", "a b"} {
		_, err := n.AddLink(ctx, from, "n1", "127.0.0.1:1")
		assert.Error(t, err, "from %q", from)
	}
	_, err := n.ListenAddr(Link{"x", "y"})
	assert.ErrorIs(t, err, ErrUnknownLink)
}
