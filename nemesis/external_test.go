package nemesis

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startExternalToxiproxy builds the toxiproxy server from the module's own
// server command, runs it as a separate process on a free loopback port,
// and returns its URL once it answers.
func startExternalToxiproxy(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building and running the toxiproxy server takes a while")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH: cannot build the toxiproxy server")
	}
	bin := filepath.Join(t.TempDir(), "toxiproxy-server")
	build := exec.CommandContext(testCtx(t, 3*time.Minute), gobin, "build", "-o", bin, "github.com/Shopify/toxiproxy/v2/cmd/server")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the toxiproxy server: %s", out)

	port := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-host", "127.0.0.1", "-port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("toxiproxy-server output:\n%s", logs.String())
		}
	})
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	eventually(t, "the toxiproxy server answers", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := Connect(ctx, url)
		return err == nil
	})
	return url
}

// freePort returns a loopback port that was free a moment ago: the server
// command takes a port number, not a listener.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestExternalToxiproxy(t *testing.T) {
	url := startExternalToxiproxy(t)
	ctx := testCtx(t, 30*time.Second)
	echo := startEcho(t)

	// Two runs on one Toxiproxy: the same link names do not collide.
	run1, err := Connect(ctx, url)
	require.NoError(t, err)
	run2, err := Connect(ctx, url)
	require.NoError(t, err)
	require.NotEqual(t, run1.Prefix(), run2.Prefix())
	addr1, err := run1.AddLink(ctx, "n1", "n2", echo.Addr())
	require.NoError(t, err)
	_, err = run2.AddLink(ctx, "n1", "n2", echo.Addr())
	require.NoError(t, err)
	_, err = run1.AddLink(ctx, "n2", "n1", echo.Addr())
	require.NoError(t, err)

	// Faults on the external server act on real connections.
	lat := &Toxic{net: run1, id: 1, params: toxicParams{kind: FaultLatency, typ: "latency", attrs: map[string]any{"latency": 150}}, direction: Upstream, class: AllLinks, nodes: []string{"n1", "n2"}}
	require.NoError(t, lat.Inject(ctx))
	c := dial(t, addr1)
	start := time.Now()
	_, err = roundTrip(c, []byte("ping"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	part := &Partition{net: run1, id: 2, topology: TopologyHalves, order: []string{"n1", "n2"}}
	require.NoError(t, part.Inject(ctx))
	_, err = run2.AddLink(ctx, "n3", "n1", echo.Addr())
	require.NoError(t, err)
	require.NoError(t, (&Toxic{net: run2, id: 1, params: toxicParams{kind: FaultBandwidth, typ: "bandwidth", attrs: map[string]any{"rate": 1}}, direction: Both, class: AllLinks}).Inject(ctx))

	// A proxy someone disabled by hand.
	client := toxiclient.NewClient(url)
	p, err := client.Proxy(run2.Prefix() + "n3->n1")
	require.NoError(t, err)
	require.NoError(t, p.Disable())
	require.Positive(t, externalFaults(t, client))

	// faultline heal --toxiproxy URL: every toxic of every run goes, every
	// proxy is enabled.
	require.NoError(t, HealExternal(ctx, url))
	assert.Zero(t, externalFaults(t, client))
	c2 := dial(t, addr1)
	_, err = roundTrip(c2, []byte("pong"))
	require.NoError(t, err)

	// Deleting a run's proxies leaves the other run's alone.
	require.NoError(t, run1.Close(ctx))
	proxies, err := client.Proxies()
	require.NoError(t, err)
	assert.Len(t, proxies, 2)
	for name := range proxies {
		assert.Contains(t, name, run2.Prefix())
	}
}

// externalFaults counts toxics plus disabled proxies on a Toxiproxy.
func externalFaults(t *testing.T, client *toxiclient.Client) int {
	t.Helper()
	proxies, err := client.Proxies()
	require.NoError(t, err)
	count := 0
	for _, p := range proxies {
		count += len(p.ActiveToxics)
		if !p.Enabled {
			count++
		}
	}
	return count
}

func TestHealExternalUnreachable(t *testing.T) {
	err := HealExternal(testCtx(t, 5*time.Second), "http://127.0.0.1:1")
	require.ErrorIs(t, err, ErrUnreachable)
}
