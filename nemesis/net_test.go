package nemesis

import (
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
	assert.Contains(t, err.Error(), "omit --toxiproxy")
}
