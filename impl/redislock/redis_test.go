package redislock

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/systems/redislock/redisserver"
)

// startRedis runs a throwaway redis-server for one test. It skips when
// redis-server is not installed, unless FAULTLINE_REQUIRE_REDIS=1.
func startRedis(t testing.TB) *redisserver.Server {
	t.Helper()
	cfg := redisserver.DefaultConfig()
	if !redisserver.Available(cfg.Binary) {
		if os.Getenv("FAULTLINE_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-server not found on PATH and FAULTLINE_REQUIRE_REDIS=1")
		}
		t.Skip("redis-server not found on PATH; install it to run this test (FAULTLINE_REQUIRE_REDIS=1 makes this a failure)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv, err := redisserver.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// clientConfig points a lock at srv with short timeouts.
func clientConfig(srv *redisserver.Server) ClientConfig {
	c := DefaultClientConfig()
	c.Addr = srv.Addr()
	c.ReadTimeout, c.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	return c
}

func newNaive(t testing.TB, srv *redisserver.Server, lease time.Duration) *Naive {
	t.Helper()
	cfg := DefaultNaiveConfig()
	cfg.Client = clientConfig(srv)
	cfg.Lease = lease
	cfg.AcquireTimeout = 200 * time.Millisecond
	n, err := NewNaive(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func newFenced(t testing.TB, srv *redisserver.Server, lease time.Duration) *Fenced {
	t.Helper()
	cfg := DefaultFencedConfig()
	cfg.Client = clientConfig(srv)
	cfg.Lease = lease
	cfg.Tries = 5
	cfg.Seed = 1
	f, err := NewFenced(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
