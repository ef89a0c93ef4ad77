package redislock

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedisBackends(t *testing.T) {
	needRedis(t)
	ctx := testCtx(t, 30*time.Second)
	own, err := StartRedis(ctx, RedisConfig{Binary: "redis-server"})
	require.NoError(t, err)
	defer own.Stop()

	tests := []struct {
		name     string
		cfg      RedisConfig
		backend  Backend
		canFault bool
	}{
		{"own redis-server", RedisConfig{Binary: "redis-server"}, BackendServer, true},
		{"external", RedisConfig{Addr: own.Addr()}, BackendExternal, false},
		{"fallback", RedisConfig{Binary: "no-such-redis-server"}, BackendMiniredis, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := StartRedis(ctx, tt.cfg)
			require.NoError(t, err)
			defer r.Stop()
			assert.Equal(t, tt.backend, r.Backend())
			assert.Equal(t, tt.canFault, r.CanFault())
			assert.Equal(t, tt.backend == BackendMiniredis, r.Fallback())
			if r.Fallback() {
				assert.Contains(t, r.Label(), FallbackLabel)
			}
			c := redis.NewClient(&redis.Options{Addr: r.Addr()})
			defer c.Close()
			require.NoError(t, c.Set(ctx, "ttl-"+tt.name, "v", 50*time.Millisecond).Err())
			require.Eventually(t, func() bool {
				n, err := c.Exists(ctx, "ttl-"+tt.name).Result()
				return err == nil && n == 0
			}, 3*time.Second, 10*time.Millisecond, "TTLs run on the real clock")
			if !tt.canFault {
				assert.ErrorIs(t, r.Kill(ctx, ServerNode), ErrNoProcessFaults)
				return
			}
			require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
			require.NoError(t, r.Kill(ctx, ServerNode))
			require.NoError(t, r.Restart(ctx, ServerNode))
			require.Eventually(t, func() bool {
				n, err := c.Exists(ctx, "k").Result()
				return err == nil && n == 0
			}, 5*time.Second, 10*time.Millisecond, "a kill loses the keys")
			require.NoError(t, r.Pause(ctx, ServerNode))
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			pc := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
			defer pc.Close()
			assert.Error(t, pc.Ping(short).Err(), "a paused server answers nothing")
			cancel()
			require.NoError(t, r.Resume(ctx, ServerNode))
			require.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, 5*time.Second, 10*time.Millisecond)
			assert.ErrorIs(t, r.Kill(ctx, "c0"), ErrUnknownNode)
		})
	}
}

func TestRequireRealRedisRefusesFallback(t *testing.T) {
	_, err := StartRedis(testCtx(t, 5*time.Second), RedisConfig{Binary: "no-such-redis-server", RequireReal: true})
	assert.ErrorIs(t, err, ErrNoRedis)
}

func TestUnreachableExternalRedis(t *testing.T) {
	_, err := StartRedis(testCtx(t, 5*time.Second), RedisConfig{Addr: "127.0.0.1:1"})
	assert.ErrorIs(t, err, ErrUnreachable)
}
