package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/runner"
)

// TestToxiproxyServesTheConfigAndStops runs `faultline toxiproxy` with a
// config of one proxy, drives it through the official client (a toxic on
// the proxy), and stops it as SIGTERM would.
func TestToxiproxyServesTheConfigAndStops(t *testing.T) {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer upstream.Close()
	listen, proxyAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	config := filepath.Join(t.TempDir(), "proxies.json")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil,
		`[{"name":"n1-n2","listen":%q,"upstream":%q,"enabled":true}]`, proxyAddr, upstream.Addr()), 0o644))

	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"toxiproxy", "--listen", listen, "--config", config}, &out, &errOut) }()

	client := toxiclient.NewClient("http://" + listen)
	var proxies map[string]*toxiclient.Proxy
	require.Eventually(t, func() bool {
		proxies, err = client.Proxies()
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "the API never answered: %s", errOut.String())
	require.Contains(t, proxies, "n1-n2")
	p := proxies["n1-n2"]
	assert.Equal(t, upstream.Addr().String(), p.Upstream)
	_, err = p.AddToxic("slow", "latency", "downstream", 1, toxiclient.Attributes{"latency": 50})
	require.NoError(t, err)

	conn, err := net.DialTimeout("tcp", proxyAddr, time.Second)
	require.NoError(t, err, "the config's proxy must listen")
	conn.Close()

	cancel()
	select {
	case c := <-code:
		assert.Equal(t, 0, c, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("faultline toxiproxy did not stop when its context ended")
	}
	assert.Contains(t, out.String(), "created 1 proxies")
	assert.Contains(t, out.String(), "toxiproxy API on http://"+listen)
}

func TestToxiproxyBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`[{"name":"x","listen":"127.0.0.1:0"}`), 0o644))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	for name, args := range map[string][]string{
		"missing config": {"toxiproxy", "--listen", freeLoopbackAddr(t), "--config", filepath.Join(dir, "none.json")},
		"broken config":  {"toxiproxy", "--listen", freeLoopbackAddr(t), "--config", bad},
		"busy address":   {"toxiproxy", "--listen", busy.Addr().String()},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Equal(t, runner.ExitBadInput, run(t.Context(), args, &out, &errOut), errOut.String())
		})
	}
}
