package redislock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/faultline/faultline/systems/dockerctl"
	"github.com/faultline/faultline/systems/redislock/redisserver"
)

// Backend says which Redis a run talks to.
type Backend string

// The three backends, in order of preference.
const (
	BackendServer    Backend = "redis-server"       // a real redis-server started by the harness
	BackendExternal  Backend = "external"           // a Redis at an address the user gave
	BackendMiniredis Backend = "embedded-miniredis" // the last fallback
)

// FallbackLabel is what the summary and report say when the run used the
// embedded miniredis.
const FallbackLabel = "embedded miniredis fallback"

// ServerNode is the node name of the Redis server, for process faults.
const ServerNode = "redis"

// EnvRequireRedis names the environment variable that, set to 1, turns the
// miniredis fallback into an error (for CI machines that must test the real
// thing).
const EnvRequireRedis = "FAULTLINE_REQUIRE_REDIS"

// Errors of the Redis backends.
var (
	ErrNoRedis         = errors.New("redis-server not found on PATH and no external Redis given; install redis-server or name an external Redis address")
	ErrUnreachable     = errors.New("redis is unreachable")
	ErrNoProcessFaults = errors.New("this Redis is not a process the harness started, so it cannot be killed or paused; drop kill and pause from --nemesis")
	ErrUnknownNode     = errors.New("unknown node")
)

// RedisConfig says which Redis to use.
type RedisConfig struct {
	// Addr is an external Redis; empty starts our own.
	Addr string
	// Container, with Addr, is the container the external Redis runs in
	// (a name, or a service of the harness's Compose stack): kill and
	// pause then go to it through the Docker API.
	Container string
	// Binary is the redis-server to start, looked up on PATH.
	Binary string
	// Persistence keeps redis-server's snapshots on (off by default, so a
	// kill loses the keys).
	Persistence bool
	// RequireReal refuses the miniredis fallback.
	RequireReal bool
	// Dir is the server's working directory; empty for a temporary one.
	Dir string
	// Output receives the server's log; nil discards it.
	Output io.Writer
	Logger *slog.Logger
}

// DefaultRedisConfig starts redis-server from PATH without persistence, and
// reads RequireReal from FAULTLINE_REQUIRE_REDIS.
func DefaultRedisConfig() RedisConfig {
	return RedisConfig{Binary: "redis-server", RequireReal: os.Getenv(EnvRequireRedis) == "1"}
}

// Redis is the Redis of a run: a redis-server we started, an external one,
// or the embedded miniredis.
type Redis struct {
	backend Backend
	addr    string
	server  *redisserver.Server
	mini    *miniredis.Miniredis
	faults  *miniFaults           // the miniredis's simulated process faults
	ctl     *dockerctl.Containers // an external Redis's container, if named
	log     *slog.Logger
}

// StartRedis starts or connects to the Redis cfg names: the external one at
// cfg.Addr (checked with PING), else a redis-server from PATH, else —
// unless cfg.RequireReal — the embedded miniredis with real-time TTLs.
func StartRedis(ctx context.Context, cfg RedisConfig) (*Redis, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Addr != "" {
		if err := pingRedis(ctx, cfg.Addr); err != nil {
			return nil, fmt.Errorf("%w: %s: %w; check the address and that Redis is running", ErrUnreachable, cfg.Addr, err)
		}
		r := &Redis{backend: BackendExternal, addr: cfg.Addr, log: log}
		if cfg.Container != "" {
			ctl, err := dockerctl.Connect(ctx, map[string]string{ServerNode: cfg.Container}, "", log)
			if err != nil {
				return nil, fmt.Errorf("%w: the container of the external Redis: %w", ErrUnreachable, err)
			}
			r.ctl = ctl
		}
		return r, nil
	}
	if redisserver.Available(cfg.Binary) {
		sc := redisserver.DefaultConfig()
		sc.Binary, sc.Persistence, sc.Dir, sc.Output, sc.Logger = cfg.Binary, cfg.Persistence, cfg.Dir, cfg.Output, log
		srv, err := redisserver.Start(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("starting redis-server: %w", err)
		}
		return &Redis{backend: BackendServer, addr: srv.Addr(), server: srv, log: log}, nil
	}
	if cfg.RequireReal {
		return nil, fmt.Errorf("%w (%s=1 forbids the embedded miniredis fallback)", ErrNoRedis, EnvRequireRedis)
	}
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true) // TTLs run on the wall clock, as in a real Redis
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the embedded miniredis: %w", err)
	}
	log.Warn("redis-server not found on PATH; using the " + FallbackLabel)
	return &Redis{backend: BackendMiniredis, addr: m.Addr(), mini: m, faults: newMiniFaults(m), log: log}, nil
}

// Addr is the address clients reach Redis at (directly, without a proxy).
func (r *Redis) Addr() string { return r.addr }

// Backend says which Redis this is.
func (r *Redis) Backend() Backend { return r.backend }

// Fallback reports whether this is the embedded miniredis fallback.
func (r *Redis) Fallback() bool { return r.backend == BackendMiniredis }

// Label describes the backend for run.json and the report.
func (r *Redis) Label() string {
	switch r.backend {
	case BackendServer:
		return "redis-server started by the harness at " + r.addr
	case BackendExternal:
		if r.ctl != nil {
			return "external redis at " + r.addr + " in a container the harness faults through the Docker API"
		}
		return "external redis at " + r.addr
	}
	return FallbackLabel + " at " + r.addr
}

// CanFault reports whether the process faults (kill, pause) of the server
// are possible: for a redis-server the harness started (real signals) and
// for the embedded miniredis (simulated), not for an external Redis.
func (r *Redis) CanFault() bool { return r.server != nil || r.faults != nil || r.ctl != nil }

func (r *Redis) check(node string) error {
	switch {
	case node != ServerNode:
		return fmt.Errorf("%w %q: the only server process is %q", ErrUnknownNode, node, ServerNode)
	case !r.CanFault():
		return ErrNoProcessFaults
	}
	return nil
}

// Kill crashes the server: SIGKILL for redis-server. Without persistence,
// every key — the locks and the fencing counters — is lost.
func (r *Redis) Kill(ctx context.Context, node string) error {
	if err := r.check(node); err != nil {
		return err
	}
	switch {
	case r.faults != nil:
		r.faults.kill()
		return nil
	case r.ctl != nil:
		return r.ctl.Kill(ctx, node)
	}
	return r.server.Crash(ctx)
}

// Restart starts a killed server again on the same port.
func (r *Redis) Restart(ctx context.Context, node string) error {
	if err := r.check(node); err != nil {
		return err
	}
	switch {
	case r.faults != nil:
		return r.faults.restart()
	case r.ctl != nil:
		if r.ctl.Up(node) {
			return nil
		}
		if err := r.ctl.Restart(ctx, node); err != nil {
			return err
		}
		return r.waitUp(ctx)
	}
	return r.server.Restart(ctx)
}

// Pause stops the server: SIGSTOP for redis-server.
func (r *Redis) Pause(ctx context.Context, node string) error {
	if err := r.check(node); err != nil {
		return err
	}
	switch {
	case r.faults != nil:
		r.faults.pause()
		return nil
	case r.ctl != nil:
		return r.ctl.Pause(ctx, node)
	}
	return r.server.Pause()
}

// Resume continues a paused server.
func (r *Redis) Resume(ctx context.Context, node string) error {
	if err := r.check(node); err != nil {
		return err
	}
	switch {
	case r.faults != nil:
		r.faults.resume()
		return nil
	case r.ctl != nil:
		return r.ctl.Resume(ctx, node)
	}
	return r.server.Resume()
}

// Stop stops whatever StartRedis started; an external Redis is left
// running (its container resumed or started again, if the run left it
// down).
func (r *Redis) Stop() error {
	switch {
	case r.ctl != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return errors.Join(r.ctl.Heal(ctx), r.ctl.Close())
	case r.server != nil:
		return r.server.Stop()
	case r.mini != nil:
		r.faults.resume()
		r.mini.Close()
	}
	return nil
}

// waitUp polls the external Redis until it answers PING (after its
// container is started again), for up to 30 s.
func (r *Redis) waitUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		err := pingRedis(ctx, r.addr)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the external Redis at %s did not answer after its container was started again: %w", r.addr, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pingRedis checks that a Redis answers at addr within two seconds.
func pingRedis(ctx context.Context, addr string) error {
	return redisserver.Ping(ctx, addr, 2*time.Second)
}

// CheckReachable tells whether an external Redis answers PING at addr,
// within two seconds, so that a run can refuse an unreachable --redis
// before it starts anything.
func CheckReachable(ctx context.Context, addr string) error {
	if err := pingRedis(ctx, addr); err != nil {
		return fmt.Errorf("%w: %s: %w; check the address and that Redis is running", ErrUnreachable, addr, err)
	}
	return nil
}
