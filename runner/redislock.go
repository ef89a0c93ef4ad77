package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/nemesis"
	syslock "github.com/faultline/faultline/systems/redislock"
)

// RedisLockOptions are the redislock system's settings, as flags fill them
// (--lock, --lease, --hold, --redis). They go into run.json with the rest
// of the run's configuration.
type RedisLockOptions struct {
	// Lock is --lock: naive (the seed's SET NX EX lock) or fenced.
	Lock string `json:"lock"`
	// Lease is --lease, the lock's time to live.
	Lease time.Duration `json:"lease"`
	// Hold is --hold, the critical section: how long a holder keeps the lock.
	Hold time.Duration `json:"hold"`
	// Redis is --redis ADDR: an external Redis instead of our own.
	Redis string `json:"redis,omitempty"`
	// Persistence keeps our redis-server's snapshots on (--redis-persistence).
	Persistence bool `json:"persistence,omitempty"`
	// AcquireTimeout bounds one acquire (the naive lock's spin, the fenced
	// lock's tries); CallTimeout bounds each Redis command.
	AcquireTimeout time.Duration `json:"acquire_timeout"`
	CallTimeout    time.Duration `json:"call_timeout"`
}

// DefaultRedisLockOptions are chosen so that a default-length run (30 s,
// a fault every 5 s) shows the naive lock's flaw: a 300 ms lease that a
// holder keeps for 150 ms, so that a holder paused for a fault's 5 s, or
// whose grant reaches it over a link slower than 150 ms, still believes it
// holds the lock long after the lease has handed it to someone else.
func DefaultRedisLockOptions() RedisLockOptions {
	return RedisLockOptions{
		Lock:           syslock.LockNaive,
		Lease:          300 * time.Millisecond,
		Hold:           150 * time.Millisecond,
		AcquireTimeout: 3 * time.Second,
		CallTimeout:    2 * time.Second,
	}
}

// Validate reports the first setting that cannot work, for the run c; it
// wraps ErrBadInput.
func (o RedisLockOptions) Validate(c Config) error {
	switch {
	case !slices.Contains(syslock.LockNames(), o.Lock):
		return fmt.Errorf("%w: --lock %q: want naive or fenced", ErrBadInput, o.Lock)
	case o.Lease <= 0:
		return fmt.Errorf("%w: --lease must be positive, got %s (a lease of 0 never expires, and Redis refuses it)", ErrBadInput, o.Lease)
	case o.Lease < time.Millisecond:
		return fmt.Errorf("%w: --lease must be at least 1ms, got %s", ErrBadInput, o.Lease)
	case o.Hold < 0:
		return fmt.Errorf("%w: --hold must not be negative, got %s", ErrBadInput, o.Hold)
	case c.Time > 0 && o.Hold >= c.Time:
		return fmt.Errorf("%w: --hold %s is not shorter than the run (--time %s): no holder would ever release the lock", ErrBadInput, o.Hold, c.Time)
	case o.AcquireTimeout <= 0 || o.CallTimeout <= 0:
		return fmt.Errorf("%w: the acquire and call timeouts must be positive", ErrBadInput)
	case o.Redis != "" && slices.ContainsFunc(c.Nemesis, func(f string) bool {
		return f == nemesis.FaultKill || f == nemesis.FaultPause || f == nemesis.MixAll
	}):
		return fmt.Errorf("%w: --redis %s is not a process the harness started, so it cannot kill or pause it; name the faults without kill and pause (--nemesis latency,partition), or omit --redis",
			ErrBadInput, o.Redis)
	}
	return nil
}

// systemConfig is the systems adapter's configuration for run c.
func (o RedisLockOptions) systemConfig(env *Env) syslock.Config {
	c := env.Config
	cfg := syslock.DefaultConfig()
	cfg.Lock = syslock.LockOptions{
		Kind: o.Lock, Lease: o.Lease, AcquireTimeout: o.AcquireTimeout, CallTimeout: o.CallTimeout,
	}
	cfg.Workload = c.Workload
	cfg.Hold = o.Hold
	cfg.Concurrency = c.Concurrency
	cfg.Seed = c.Seed
	cfg.OpTimeout = max(c.OpTimeout, o.AcquireTimeout+o.CallTimeout)
	cfg.Redis.Addr, cfg.Redis.Persistence = o.Redis, o.Persistence
	cfg.Redis.Dir = filepath.Join(env.Dir, "redis")
	cfg.Links = env.Net
	cfg.Logger = env.Logger
	return cfg
}

// RedisLockSystem is the Redis lock (impl/redislock): its clients contend
// for one lock on a real redis-server, each over its own proxied link. Its
// settings are the run's Config.Lock.
type RedisLockSystem struct{}

var _ System = RedisLockSystem{}

func (RedisLockSystem) Name() string { return "redislock" }

func (RedisLockSystem) Describe() string {
	return "the Redis lock (naive SET NX EX, or fenced with tokens) on a real redis-server, every client behind Toxiproxy"
}

func (RedisLockSystem) Workloads() []string {
	return []string{syslock.WorkloadLock, syslock.WorkloadFenced}
}

func (RedisLockSystem) Faults() []string {
	return []string{nemesis.FaultLatency, nemesis.FaultPartition, nemesis.FaultPause, nemesis.FaultKill}
}

// TuneNemesis narrows the nemesis to the faults that matter for a lock:
// latency above the lease on the way back to a client, with a jitter as
// large as the lease so that clients' grants arrive unevenly (one whose
// grant comes late believes it holds a lock that has already run out and
// been handed to another), and process faults aimed at one node or at the
// holder — the "leader" of a lock — so that a pause is the holder's
// stop-the-world pause of Kleppmann's example. A minority would nearly
// always include redis-server, and a run whose every fault stops all clients
// proves nothing (the too-little-work rule makes it unknown).
func (RedisLockSystem) TuneNemesis(nc *nemesis.Config, c Config) {
	nc.LatencyMin = c.Lock.Lease
	nc.LatencyMax = 3 * c.Lock.Lease
	nc.Jitter = c.Lock.Lease
	nc.Directions = []string{nemesis.Downstream, nemesis.Both}
	nc.Targets = []string{nemesis.TargetLeader, nemesis.TargetOne}
}

// Preflight refuses an unreachable --redis before the run starts anything.
func (RedisLockSystem) Preflight(ctx context.Context, c Config) error {
	if c.Lock.Redis == "" {
		return nil
	}
	if err := syslock.CheckReachable(ctx, c.Lock.Redis); err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return nil
}

func (RedisLockSystem) Start(ctx context.Context, env *Env) (Target, error) {
	opts := env.Config.Lock
	if err := opts.Validate(env.Config); err != nil {
		return nil, err
	}
	cfg := opts.systemConfig(env)
	logFile, err := os.OpenFile(filepath.Join(env.LogDir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the redis-server log: %w", err)
	}
	cfg.Redis.Output = logFile
	sys, err := syslock.Start(ctx, cfg)
	if err != nil {
		// No Redis to be had, or an unreachable --redis, is the user's to
		// fix (exit 254); anything else is the harness's (255).
		logFile.Close()
		if errors.Is(err, syslock.ErrNoRedis) || errors.Is(err, syslock.ErrUnreachable) || errors.Is(err, syslock.ErrBadConfig) {
			return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		return nil, err
	}
	return &redislockTarget{System: sys, logFile: logFile}, nil
}

// redislockTarget is a started Redis lock system.
type redislockTarget struct {
	*syslock.System
	logFile *os.File
}

func (t *redislockTarget) Processes() nemesis.Processes { return t.System }

// Stop stops Redis and the resource, then closes the redis-server log.
func (t *redislockTarget) Stop(ctx context.Context) error {
	err := t.System.Stop(ctx)
	t.logFile.Close()
	return err
}

// RedisLockCheckers are the checkers of the lock and fenced workloads: for
// lock, mutual exclusion of the holders' beliefs and the porcupine mutex
// model; for fenced, the protected resource (linearizable in token order,
// no acknowledged update lost) — holders may overlap there by design, since
// fencing makes the overlap harmless.
func RedisLockCheckers(cfg Config) []checker.Checker {
	if cfg.Workload == syslock.WorkloadFenced {
		return []checker.Checker{checker.FencedChecker{TimeLimit: cfg.CheckTimeout}}
	}
	return []checker.Checker{checker.MutualExclusionChecker{}, checker.LockModelChecker{TimeLimit: cfg.CheckTimeout}}
}
