package redislock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/systems/redislock/redisserver"
)

// held is what both lease types share.
type held interface {
	Key() string
	Release(ctx context.Context) error
}

// flavour adapts Naive and Fenced to one shape for table tests.
type flavour struct {
	name string
	open func(t *testing.T, srv *redisserver.Server, lease time.Duration) (acquire, try func(context.Context, string) (held, error), forge func(key string) held)
}

var flavours = []flavour{
	{"naive", func(t *testing.T, srv *redisserver.Server, lease time.Duration) (func(context.Context, string) (held, error), func(context.Context, string) (held, error), func(string) held) {
		n := newNaive(t, srv, lease)
		return func(ctx context.Context, k string) (held, error) { return wrapNaive(n.Acquire(ctx, k)) },
			func(ctx context.Context, k string) (held, error) { return wrapNaive(n.TryAcquire(ctx, k)) },
			func(k string) held { return &NaiveLease{n: n, key: k, owner: "forged"} }
	}},
	{"fenced", func(t *testing.T, srv *redisserver.Server, lease time.Duration) (func(context.Context, string) (held, error), func(context.Context, string) (held, error), func(string) held) {
		f := newFenced(t, srv, lease)
		return func(ctx context.Context, k string) (held, error) { return wrapFenced(f.Acquire(ctx, k)) },
			func(ctx context.Context, k string) (held, error) { return wrapFenced(f.TryAcquire(ctx, k)) },
			func(k string) held { return &Lease{f: f, key: k, owner: "forged"} }
	}},
}

func wrapNaive(l *NaiveLease, err error) (held, error) {
	if err != nil {
		return nil, err
	}
	return l, nil
}

func wrapFenced(l *Lease, err error) (held, error) {
	if err != nil {
		return nil, err
	}
	return l, nil
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"naive default", DefaultNaiveConfig().Validate()},
		{"fenced default", DefaultFencedConfig().Validate()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.NoError(t, tt.err) })
	}
	bad := []struct {
		name string
		err  error
	}{
		{"naive lease 0", func() error { c := DefaultNaiveConfig(); c.Lease = 0; return c.Validate() }()},
		{"fenced lease 0", func() error { c := DefaultFencedConfig(); c.Lease = 0; return c.Validate() }()},
		{"fenced tries 0", func() error { c := DefaultFencedConfig(); c.Tries = 0; return c.Validate() }()},
		{"fenced backoff inverted", func() error { c := DefaultFencedConfig(); c.MaxBackoff = c.MinBackoff / 2; return c.Validate() }()},
		{"no addr", func() error { c := DefaultNaiveConfig(); c.Client.Addr = ""; return c.Validate() }()},
		{"pool 0", func() error { c := DefaultFencedConfig(); c.Client.PoolSize = 0; return c.Validate() }()},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) { assert.ErrorIs(t, tt.err, ErrInvalidConfig) })
	}
	_, err := NewFenced(FencedConfig{})
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

func TestAcquireRelease(t *testing.T) {
	srv := startRedis(t)
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			ctx := testCtx(t)
			acquire, try, _ := fl.open(t, srv, 10*time.Second)
			key := "acquire-" + fl.name
			l, err := acquire(ctx, key)
			require.NoError(t, err)
			_, err = try(ctx, key)
			require.ErrorIs(t, err, ErrNotAcquired)
			assert.True(t, IsDefinite(err))
			_, err = acquire(ctx, key) // spins or backs off, then gives up
			require.ErrorIs(t, err, ErrNotAcquired)
			require.NoError(t, l.Release(ctx))
			l2, err := try(ctx, key)
			require.NoError(t, err)
			require.NoError(t, l2.Release(ctx))
			assert.ErrorIs(t, l2.Release(ctx), ErrNotHeld, "a second release")
		})
	}
}

func TestContention(t *testing.T) {
	srv := startRedis(t)
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			ctx := testCtx(t)
			acquire, _, _ := fl.open(t, srv, 10*time.Second)
			key := "contended-" + fl.name
			var inside, maxInside, wins atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for range 10 {
						l, err := acquire(ctx, key)
						if errors.Is(err, ErrNotAcquired) {
							continue
						}
						if !assert.NoError(t, err) {
							return
						}
						n := inside.Add(1)
						for m := maxInside.Load(); n > m && !maxInside.CompareAndSwap(m, n); m = maxInside.Load() {
						}
						wins.Add(1)
						inside.Add(-1)
						assert.NoError(t, l.Release(ctx))
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int64(1), maxInside.Load(), "holders inside the critical section at once")
			assert.Positive(t, wins.Load())
		})
	}
}

func TestExpiry(t *testing.T) {
	srv := startRedis(t)
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			ctx := testCtx(t)
			_, try, _ := fl.open(t, srv, 100*time.Millisecond)
			key := "expiring-" + fl.name
			first, err := try(ctx, key)
			require.NoError(t, err)
			var second held
			require.Eventually(t, func() bool {
				second, err = try(ctx, key)
				return err == nil
			}, 3*time.Second, 10*time.Millisecond, "the lease should expire and let another owner in")
			assert.ErrorIs(t, first.Release(ctx), ErrNotHeld, "the expired holder must not release the new holder's lock")
			require.NoError(t, second.Release(ctx))
		})
	}
}

func TestReleaseByNonOwnerRefused(t *testing.T) {
	srv := startRedis(t)
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			ctx := testCtx(t)
			_, try, forge := fl.open(t, srv, 10*time.Second)
			key := "owned-" + fl.name
			l, err := try(ctx, key)
			require.NoError(t, err)
			assert.ErrorIs(t, forge(key).Release(ctx), ErrNotHeld)
			_, err = try(ctx, key)
			assert.ErrorIs(t, err, ErrNotAcquired, "the lock must still be held after a refused release")
			require.NoError(t, l.Release(ctx))
		})
	}
}

func TestExtend(t *testing.T) {
	srv := startRedis(t)
	ctx := testCtx(t)
	f := newFenced(t, srv, 200*time.Millisecond)
	l, err := f.TryAcquire(ctx, "extended")
	require.NoError(t, err)
	require.NoError(t, l.Extend(ctx, 5*time.Second))
	ttl, err := f.client.PTTL(ctx, "extended").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Second)
	forged := &Lease{f: f, key: "extended", owner: "forged"}
	assert.ErrorIs(t, forged.Extend(ctx, time.Minute), ErrNotHeld)
	assert.ErrorIs(t, l.Extend(ctx, 0), ErrInvalidConfig)
	require.NoError(t, l.Release(ctx))
	assert.ErrorIs(t, l.Extend(ctx, time.Second), ErrNotHeld, "extend after release")
}

func TestTokensStrictlyIncrease(t *testing.T) {
	srv := startRedis(t)
	ctx := testCtx(t)
	f := newFenced(t, srv, 10*time.Second)
	var last int64
	for i := range 20 {
		l, err := f.Acquire(ctx, "tokens")
		require.NoError(t, err)
		require.Greater(t, l.Token(), last, "acquire %d", i)
		last = l.Token()
		require.NoError(t, l.Release(ctx))
	}
	// Concurrent holders never share a token.
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				l, err := f.Acquire(ctx, "tokens")
				if err != nil {
					continue
				}
				mu.Lock()
				assert.False(t, seen[l.Token()], "token %d handed out twice", l.Token())
				assert.Greater(t, l.Token(), last)
				seen[l.Token()] = true
				mu.Unlock()
				assert.NoError(t, l.Release(ctx))
			}
		})
	}
	wg.Wait()
	assert.NotEmpty(t, seen)
}

// TestIndeterminate pauses redis-server so that a command is sent but never
// answered before the deadline: the outcome must be indeterminate, and the
// command does take effect once the server resumes.
func TestIndeterminate(t *testing.T) {
	srv := startRedis(t)
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			ctx := testCtx(t)
			_, try, _ := fl.open(t, srv, 10*time.Second)
			key := "indeterminate-" + fl.name
			_, err := try(ctx, key) // warm the pool so the next call does not dial
			require.NoError(t, err)
			key2 := key + "-2"
			require.NoError(t, srv.Pause())
			resumed := false
			defer func() {
				if !resumed {
					_ = srv.Resume()
				}
			}()
			short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
			_, err = try(short, key2)
			cancel()
			require.ErrorIs(t, err, ErrIndeterminate)
			assert.False(t, IsDefinite(err))
			require.NoError(t, srv.Resume())
			resumed = true
			raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer raw.Close()
			require.Eventually(t, func() bool {
				n, err := raw.Exists(ctx, key2).Result()
				return err == nil && n == 1
			}, 5*time.Second, 10*time.Millisecond, "the unanswered acquire took effect after the pause")
		})
	}
}

func TestUnavailableIsDefinite(t *testing.T) {
	srv := startRedis(t)
	addr := srv.Addr()
	require.NoError(t, srv.Stop()) // nothing listens there now
	cfg := DefaultFencedConfig()
	cfg.Client.Addr = addr
	f, err := NewFenced(cfg)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Acquire(testCtx(t), "nobody")
	require.ErrorIs(t, err, ErrUnavailable)
	assert.True(t, IsDefinite(err))
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.TryAcquire(done, "nobody")
	assert.ErrorIs(t, err, ErrUnavailable)
}

func TestBackoffBounds(t *testing.T) {
	b := newBackoff(time.Millisecond, 50*time.Millisecond, 7)
	for attempt := 1; attempt < 20; attempt++ {
		d := b.delay(attempt)
		assert.GreaterOrEqual(t, d, time.Millisecond)
		assert.LessOrEqual(t, d, 50*time.Millisecond)
	}
	again := newBackoff(time.Millisecond, 50*time.Millisecond, 7)
	b2 := newBackoff(time.Millisecond, 50*time.Millisecond, 7)
	assert.Equal(t, again.delay(5), b2.delay(5), "the same seed gives the same jitter")
}

func TestTokensRiseAcrossRestart(t *testing.T) {
	srv := startRedis(t)
	ctx := testCtx(t)
	f := newFenced(t, srv, 10*time.Second)
	before, err := f.Acquire(ctx, "restarted")
	require.NoError(t, err)
	require.NoError(t, srv.Kill(ctx)) // no persistence: the counter is gone
	var after *Lease
	require.Eventually(t, func() bool {
		after, err = f.TryAcquire(ctx, "restarted")
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	assert.Greater(t, after.Token(), before.Token())
}
