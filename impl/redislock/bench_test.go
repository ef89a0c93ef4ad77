package redislock

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	bsm "github.com/bsm/redislock"
	"github.com/go-redsync/redsync/v4"
	rsgoredis "github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"
)

// pairer is one acquire+release pair of a lock under benchmark; it retries
// its acquire until it wins, so that each call is one successful pair.
type pairer func(ctx context.Context, key string) error

// benchLocks builds each lock under benchmark on the server at addr: ours
// and the two peers, each on its own go-redis client (pool sized for the
// 16 contending clients), with a 10 s lease.
func benchLocks(b *testing.B, addr string) map[string]pairer {
	b.Helper()
	ctx := context.Background()
	cc := DefaultClientConfig()
	cc.Addr, cc.PoolSize = addr, 32

	ncfg := DefaultNaiveConfig()
	ncfg.Client = cc
	naive, err := NewNaive(ncfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = naive.Close() })

	fcfg := DefaultFencedConfig()
	fcfg.Client, fcfg.Seed = cc, 1
	fenced, err := NewFenced(fcfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = fenced.Close() })
	if err := fenced.Preload(ctx); err != nil {
		b.Fatal(err)
	}

	peer := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 32})
	b.Cleanup(func() { _ = peer.Close() })
	rs := redsync.New(rsgoredis.NewPool(peer))
	locker := bsm.New(peer)

	return map[string]pairer{
		"naive": func(ctx context.Context, key string) error {
			for {
				l, err := naive.Acquire(ctx, key)
				if errors.Is(err, ErrNotAcquired) {
					continue
				}
				if err != nil {
					return err
				}
				return l.Release(ctx)
			}
		},
		"fenced": func(ctx context.Context, key string) error {
			for {
				l, err := fenced.Acquire(ctx, key)
				if isNotAcquired(err) {
					continue
				}
				if err != nil {
					return err
				}
				return l.Release(ctx)
			}
		},
		"redsync": func(ctx context.Context, key string) error {
			m := rs.NewMutex(key, redsync.WithExpiry(10*time.Second))
			for {
				err := m.LockContext(ctx)
				var taken *redsync.ErrTaken
				if errors.Is(err, redsync.ErrFailed) || errors.As(err, &taken) {
					continue
				}
				if err != nil {
					return err
				}
				_, err = m.UnlockContext(ctx)
				return err
			}
		},
		"bsm": func(ctx context.Context, key string) error {
			// A retry strategy counts its tries, so each Obtain gets its own.
			opts := &bsm.Options{RetryStrategy: bsm.ExponentialBackoff(time.Millisecond, 100*time.Millisecond)}
			for {
				l, err := locker.Obtain(ctx, key, 10*time.Second, opts)
				if errors.Is(err, bsm.ErrNotObtained) {
					continue
				}
				if err != nil {
					return err
				}
				return l.Release(ctx)
			}
		},
	}
}

// BenchmarkAcquireRelease measures acquire+release pairs on one real
// redis-server, for our two locks and the two peers in the same run:
// uncontended (one client, its own key) and with 16 clients contending for
// one key. Each op is one successful pair; pairs/s is reported.
func BenchmarkAcquireRelease(b *testing.B) {
	srv := startRedis(b)
	locks := benchLocks(b, srv.Addr())
	for _, name := range []string{"naive", "fenced", "redsync", "bsm"} {
		pair := locks[name]
		b.Run(name+"/uncontended", func(b *testing.B) {
			ctx := context.Background()
			key := "bench-uncontended-" + name
			b.ResetTimer()
			for b.Loop() {
				if err := pair(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
		b.Run(name+"/contended16", func(b *testing.B) {
			ctx := context.Background()
			key := "bench-contended-" + name
			var failed atomic.Value
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((16 + procs - 1) / procs) // 16 goroutines (more if 16 is not a multiple)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := pair(ctx, key); err != nil {
						failed.Store(fmt.Sprint(err))
						return
					}
				}
			})
			if f := failed.Load(); f != nil {
				b.Fatal(f)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}
