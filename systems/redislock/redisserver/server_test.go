package redisserver

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func start(t *testing.T) *Server {
	t.Helper()
	cfg := DefaultConfig()
	if !Available(cfg.Binary) {
		if os.Getenv("FAULTLINE_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server not found on PATH and FAULTLINE_REQUIRE_REDIS=1")
		}
		t.Skip("redis-server not found on PATH; install it to run this test")
	}
	srv, err := Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func TestKillLosesKeysAndKeepsAddress(t *testing.T) {
	srv := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	addr := srv.Addr()
	require.NoError(t, srv.Kill(ctx))
	assert.Equal(t, addr, srv.Addr())
	require.Eventually(t, func() bool {
		n, err := c.Exists(ctx, "k").Result()
		return err == nil && n == 0
	}, 5*time.Second, 10*time.Millisecond, "the restarted server has no keys")
}

func TestPauseStallsCommands(t *testing.T) {
	srv := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
	defer c.Close()
	require.NoError(t, c.Ping(ctx).Err())
	require.NoError(t, srv.Pause())
	assert.True(t, srv.Paused())
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	assert.Error(t, c.Ping(short).Err())
	cancelShort()
	require.NoError(t, srv.Resume())
	require.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, 5*time.Second, 10*time.Millisecond)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"no binary", func(c *Config) { c.Binary = "" }, false},
		{"bad port", func(c *Config) { c.Port = 70000 }, false},
		{"no timeout", func(c *Config) { c.StartTimeout = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			if tt.ok {
				assert.NoError(t, c.Validate())
			} else {
				assert.Error(t, c.Validate())
			}
		})
	}
	_, err := Start(context.Background(), Config{Binary: "no-such-redis-server-binary", StartTimeout: time.Second})
	assert.ErrorIs(t, err, ErrNotFound)
}
