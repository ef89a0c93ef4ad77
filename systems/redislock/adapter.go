package redislock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	lock "github.com/faultline/faultline/impl/redislock"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// Settings are the redislock system's settings: the one type that the
// CLI's flags fill, run.json records under "settings", and Start reads.
type Settings struct {
	// LockOptions are the lock's kind, lease and timeouts.
	LockOptions
	// LockSettings are the workload's critical section and think time.
	workloads.LockSettings
	// Redis is the address of an external Redis to use instead of a
	// redis-server of the harness's own; the harness cannot kill or pause
	// it.
	Redis string `json:"redis,omitempty"`
	// RedisContainer is the container the external Redis runs in (a name,
	// or a service of the harness's Compose stack): with it, the harness
	// kills and pauses that Redis through the Docker API.
	RedisContainer string `json:"redis_container,omitempty"`
	// Persistence keeps the redis-server's snapshots on.
	Persistence bool `json:"persistence,omitempty"`
}

var (
	_ systems.Settings     = (*Settings)(nil)
	_ systems.NemesisTuner = (*Settings)(nil)
	_ systems.Preflighter  = (*Settings)(nil)
)

// DefaultSettings are chosen so that a default-length run (30 s, a fault
// every 5 s) shows the naive lock's flaw: a 300 ms lease that a holder keeps
// for 150 ms, so that a holder paused for a fault's 5 s, or whose grant
// reaches it over a link slower than 150 ms, still believes it holds the
// lock long after the lease has handed it to someone else.
func DefaultSettings() Settings {
	return Settings{
		LockOptions: LockOptions{
			Kind:           LockNaive,
			Lease:          300 * time.Millisecond,
			AcquireTimeout: 3 * time.Second,
			CallTimeout:    2 * time.Second,
		},
		LockSettings: workloads.DefaultLockSettings(),
	}
}

// opTimeout is the deadline of each recorded call: at least an acquire's
// whole time and one more command, so that a give-up is recorded as a
// failure the lock reported, not as an indeterminate timeout.
func (s Settings) opTimeout(common time.Duration) time.Duration {
	return max(common, s.AcquireTimeout+s.CallTimeout)
}

// AddFlags binds --lock, --lease, --hold, --think, --redis and
// --redis-persistence.
func (s *Settings) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.Kind, "lock", s.Kind, "the lock, naive (the seed's SET NX EX) or fenced (tokens)")
	fs.DurationVar(&s.Lease, "lease", s.Lease, "the lock's lease (time to live)")
	fs.DurationVar(&s.AcquireTimeout, "acquire-timeout", s.AcquireTimeout, "how long one acquire spins or backs off before it gives up")
	fs.DurationVar(&s.CallTimeout, "redis-timeout", s.CallTimeout, "deadline of each Redis command")
	systems.AddLockFlags(fs, &s.LockSettings)
	fs.StringVar(&s.Redis, "redis", s.Redis, "an external Redis ADDR instead of a redis-server of our own")
	fs.StringVar(&s.RedisContainer, "redis-container", s.RedisContainer,
		"the container (or Compose service) the external --redis runs in, so that kill and pause reach it through the Docker API")
	fs.BoolVar(&s.Persistence, "redis-persistence", s.Persistence, "keep our redis-server's persistence on")
	systems.AddBugFlag(fs, &s.Bugs, Adapter{}.Bugs())
}

// Bugs lists the catalog of deliberate bugs of the fenced lock.
func (Adapter) Bugs() []systems.Bug {
	// A holder slowed or paused past its lease is what both bugs need:
	// the next holder gets its lock while it still believes it holds it.
	// The latency is on the replies (a grant that arrives after its lease
	// ran out): latency on the requests only delays a SET, which then
	// finds the lock as it is.
	fenced := systems.Exposure{Workload: WorkloadFenced, Flags: []string{"--lock=" + LockFenced},
		Faults: []string{nemesis.FaultLatency, nemesis.FaultPause}, Time: 30 * time.Second, Interval: 4 * time.Second,
		Directions: nemesis.Downstream + "," + nemesis.Both}
	return systems.Catalog(lock.Bugs, map[lock.Bug]systems.Exposure{
		lock.BugTokenReuse:   fenced,
		lock.BugNoOwnerCheck: fenced,
	})
}

// Validate reports the first setting that cannot work for the run.
func (s *Settings) Validate(run systems.Run) error {
	if err := s.LockOptions.Validate(); err != nil {
		return err
	}
	if err := s.LockSettings.Validate(); err != nil {
		return err
	}
	switch {
	case run.Time > 0 && s.Hold >= run.Time:
		return fmt.Errorf("%w: hold %s is not shorter than the run's time %s: no holder would ever release the lock",
			history.ErrBadConfig, s.Hold, run.Time)
	case s.RedisContainer != "" && s.Redis == "":
		return fmt.Errorf("%w: --redis-container %s names the container of an external Redis: give its address with --redis too",
			history.ErrBadConfig, s.RedisContainer)
	case s.Redis != "" && s.RedisContainer == "" && slices.ContainsFunc(run.Nemesis, func(f string) bool {
		return f == nemesis.FaultKill || f == nemesis.FaultPause || f == nemesis.MixAll
	}):
		return fmt.Errorf("%w: the external Redis %s is not a process the harness started, so it cannot kill or pause it; leave kill and pause out of the faults, name its container with --redis-container, or let the harness start its own redis-server",
			history.ErrBadConfig, s.Redis)
	}
	return nil
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
func (s *Settings) TuneNemesis(nc *nemesis.Config, _ systems.Run) {
	nc.LatencyMin = s.Lease
	nc.LatencyMax = 3 * s.Lease
	nc.Jitter = s.Lease
	nc.Directions = []string{nemesis.Downstream, nemesis.Both}
	nc.Targets = []string{nemesis.TargetLeader, nemesis.TargetOne}
}

// Preflight refuses an unreachable external Redis before the run starts
// anything.
func (s *Settings) Preflight(ctx context.Context) error {
	if s.Redis == "" {
		return nil
	}
	if err := CheckReachable(ctx, s.Redis); err != nil {
		return fmt.Errorf("%w: %w", history.ErrBadConfig, err)
	}
	return nil
}

// Adapter is the Redis lock as a system under test: its clients contend for
// one lock on a real redis-server, each over its own proxied link.
type Adapter struct{}

var _ systems.System = Adapter{}

// Name is "redislock".
func (Adapter) Name() string { return "redislock" }

// Describe says what the system is.
func (Adapter) Describe() string {
	return "the Redis lock (naive SET NX EX, or fenced with tokens) on a real redis-server, every client behind Toxiproxy"
}

// Workloads: lock (mutual exclusion) and fenced (the protected resource).
func (Adapter) Workloads() []string { return []string{WorkloadLock, WorkloadFenced} }

// Faults are the ones that break a lock: latency, partitions, and process
// faults of the clients and of redis-server.
func (Adapter) Faults() []string {
	return []string{nemesis.FaultLatency, nemesis.FaultPartition, nemesis.FaultPause, nemesis.FaultKill}
}

// NewSettings returns the defaults.
func (Adapter) NewSettings() systems.Settings {
	s := DefaultSettings()
	return &s
}

// Checkers: for lock, mutual exclusion of the holders' beliefs and the
// porcupine mutex model; for fenced, the protected resource (linearizable
// in token order, no acknowledged update lost) — holders may overlap there
// by design, since fencing makes the overlap harmless.
func (Adapter) Checkers(workload string, timeLimit time.Duration) []checker.Checker {
	if workload == WorkloadFenced {
		return []checker.Checker{checker.FencedChecker{TimeLimit: timeLimit}, checker.LeaseChecker{}}
	}
	return []checker.Checker{checker.MutualExclusionChecker{}, checker.LockModelChecker{TimeLimit: timeLimit}, checker.LeaseChecker{}}
}

// Start starts Redis, the resource and the links, with redis-server's log
// in the run's logs directory.
func (Adapter) Start(ctx context.Context, env *systems.Env) (systems.Target, error) {
	s := env.Settings.(*Settings)
	cfg := DefaultConfig()
	cfg.Lock = s.LockOptions
	cfg.Workload = env.Run.Workload
	cfg.Common = env.Run.Common
	cfg.OpTimeout = s.opTimeout(env.Run.OpTimeout)
	cfg.LockSettings = s.LockSettings
	cfg.Redis.Addr, cfg.Redis.Container, cfg.Redis.Persistence = s.Redis, s.RedisContainer, s.Persistence
	cfg.Redis.Dir = filepath.Join(env.Dir, "redis")
	cfg.Links = env.Net
	cfg.Logger = env.Logger
	logFile, err := os.OpenFile(filepath.Join(env.LogDir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the redis-server log: %w", err)
	}
	cfg.Redis.Output = logFile
	sys, err := Start(ctx, cfg)
	if err != nil {
		// No Redis to be had, or an unreachable external one, is the
		// user's to fix (exit 254); anything else is the harness's (255).
		logFile.Close()
		if errors.Is(err, ErrNoRedis) || errors.Is(err, ErrUnreachable) {
			return nil, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
		return nil, err
	}
	return &target{System: sys, logFile: logFile}, nil
}

// target is a started Redis lock system that owns redis-server's log.
type target struct {
	*System
	logFile *os.File
}

func (t *target) Processes() nemesis.Processes { return t.System }

// Stop stops Redis and the resource, then closes the redis-server log.
func (t *target) Stop(ctx context.Context) error {
	err := t.System.Stop(ctx)
	t.logFile.Close()
	return err
}
