package redislock

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/workloads"
)

func quickConfig(lock, workload string) Config {
	cfg := DefaultConfig()
	cfg.Lock.Kind = lock
	cfg.Lock.Lease = 200 * time.Millisecond
	cfg.Lock.AcquireTimeout = 500 * time.Millisecond
	cfg.OpTimeout = time.Second
	cfg.Workload = workload
	cfg.Concurrency = 3
	cfg.Hold = 30 * time.Millisecond
	cfg.Think = 5 * time.Millisecond
	cfg.Seed = 1
	return cfg
}

// runFor runs the system's workload for d while fault runs alongside.
func runFor(t *testing.T, s *System, d time.Duration, fault func(ctx context.Context)) []history.Op {
	return record(t, func(rec *workloads.Recorder) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			if fault != nil {
				fault(ctx)
			}
		}()
		require.NoError(t, s.Run(ctx, rec))
		<-done
		require.NoError(t, s.Final(testCtx(t, 10*time.Second), rec))
	})
}

func TestSystemRunsBothWorkloads(t *testing.T) {
	needRedis(t)
	for _, lock := range LockNames() {
		for _, wl := range []string{WorkloadLock, WorkloadFenced} {
			t.Run(lock+"/"+wl, func(t *testing.T) {
				ctx := testCtx(t, 30*time.Second)
				cfg := quickConfig(lock, wl)
				cfg.Logger = testLogger(t)
				s, err := Start(ctx, cfg)
				require.NoError(t, err)
				defer s.Stop(ctx)
				ops := runFor(t, s, 400*time.Millisecond, nil)
				var acquired, wrote int
				for _, op := range ops {
					switch {
					case op.F == workloads.FAcquire && op.Type == history.Ok:
						acquired++
					case op.F == workloads.FWrite && op.Type == history.Ok:
						wrote++
					}
				}
				assert.Positive(t, acquired)
				assert.Zero(t, overlaps(ops), "no fault, no overlap")
				if wl == WorkloadFenced {
					assert.Positive(t, wrote)
					assert.Equal(t, workloads.FRead, ops[len(ops)-1].F, "the final read")
				}
				assert.Equal(t, lock, s.Labels()["lock"])
			})
		}
	}
}

// TestPausedHolderBreaksTheNaiveLock is Kleppmann's scenario: the holder
// stops for longer than its lease; another client takes the lock; the
// first resumes still believing it holds it.
func TestPausedHolderBreaksTheNaiveLock(t *testing.T) {
	needRedis(t)
	ctx := testCtx(t, 30*time.Second)
	cfg := quickConfig(LockNaive, WorkloadLock)
	s, err := Start(ctx, cfg)
	require.NoError(t, err)
	defer s.Stop(ctx)
	ops := runFor(t, s, 1500*time.Millisecond, func(ctx context.Context) {
		// (assert, not require: this runs outside the test goroutine)
		var holder string
		if !assert.Eventually(t, func() bool {
			holder, _ = s.Leader(ctx)
			return holder != ServerNode
		}, 5*time.Second, time.Millisecond) {
			return
		}
		assert.NoError(t, s.Pause(ctx, holder))
		pause := time.NewTimer(600 * time.Millisecond) // three leases
		defer pause.Stop()
		<-pause.C
		assert.NoError(t, s.Resume(ctx, holder))
	})
	assert.Positive(t, overlaps(ops), "a holder paused past its lease overlaps the next holder")
}

func TestKilledServerGrantsTheLockTwice(t *testing.T) {
	needRedis(t)
	ctx := testCtx(t, 30*time.Second)
	cfg := quickConfig(LockNaive, WorkloadLock)
	cfg.Lock.Lease = 10 * time.Second // no expiry: only the kill frees the lock
	cfg.Hold = time.Second            // long enough to outlast the restart
	s, err := Start(ctx, cfg)
	require.NoError(t, err)
	defer s.Stop(ctx)
	ops := runFor(t, s, 2*time.Second, func(ctx context.Context) {
		if !assert.Eventually(t, func() bool { h, _ := s.Leader(ctx); return h != ServerNode }, 5*time.Second, time.Millisecond) {
			return
		}
		assert.NoError(t, s.Kill(ctx, ServerNode))
		assert.NoError(t, s.Restart(ctx, ServerNode))
	})
	assert.Positive(t, overlaps(ops), "a restarted Redis without persistence forgets the lock")
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"lease 0", func(c *Config) { c.Lock.Lease = 0 }, false},
		{"unknown lock", func(c *Config) { c.Lock.Kind = "magic" }, false},
		{"unknown workload", func(c *Config) { c.Workload = "register" }, false},
		{"no clients", func(c *Config) { c.Concurrency = 0 }, false},
		{"op timeout below acquire timeout", func(c *Config) { c.OpTimeout = c.Lock.AcquireTimeout }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			if tt.ok {
				assert.NoError(t, c.Validate())
			} else {
				assert.ErrorIs(t, c.Validate(), history.ErrBadConfig)
			}
		})
	}
}

func TestSystemOnTheMiniredisFallback(t *testing.T) {
	for _, lock := range LockNames() {
		t.Run(lock, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			cfg := quickConfig(lock, WorkloadFenced)
			cfg.Redis = RedisConfig{Binary: "no-such-redis-server"}
			s, err := Start(ctx, cfg)
			require.NoError(t, err)
			defer s.Stop(ctx)
			assert.Equal(t, FallbackLabel, s.Labels()["fallback"])
			ops := runFor(t, s, 300*time.Millisecond, nil)
			var wrote int
			for _, op := range ops {
				// The run's end cuts calls short (info, whose error may
				// say the request was not accepted in time); a refusal by
				// miniredis (a script it cannot run) would be a fail.
				// An acquire that ran out of its own time on a loaded
				// machine is a fail too, and says so.
				if op.Type == history.Fail && !strings.Contains(op.Error, "deadline exceeded") {
					assert.NotContains(t, op.Error, "did not accept", "op %d", op.Index)
				}
				if op.F == workloads.FWrite && op.Type == history.Ok {
					wrote++
				}
			}
			assert.Positive(t, wrote)
		})
	}
}
