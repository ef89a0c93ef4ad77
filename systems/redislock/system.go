package redislock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/workloads"
)

// The workloads this system runs.
const (
	WorkloadLock   = "lock"
	WorkloadFenced = "fenced"
)

// ResourceNode is the endpoint name of the fenced resource's links.
const ResourceNode = "resource"

// Linker puts a link behind a proxy and returns the address to dial;
// *nemesis.Net is one.
type Linker interface {
	AddLink(ctx context.Context, from, to, upstreamAddr string) (string, error)
}

// Config is one run of the Redis lock.
type Config struct {
	Lock     LockOptions
	Workload string
	// Common are the workload's shared settings; OpTimeout is the deadline
	// of each recorded call.
	workloads.Common
	// LockSettings are the critical section and the think time.
	workloads.LockSettings
	Redis RedisConfig
	// Links, if set, puts every client's link to Redis and to the resource
	// behind a proxy; nil dials directly.
	Links  Linker
	Logger *slog.Logger
}

// DefaultConfig is five clients of the naive lock with the default
// settings (DefaultSettings).
func DefaultConfig() Config {
	s := DefaultSettings()
	c := Config{
		Lock:         s.LockOptions,
		Workload:     WorkloadLock,
		Common:       workloads.DefaultCommon(),
		LockSettings: s.LockSettings,
		Redis:        DefaultRedisConfig(),
	}
	c.Concurrency, c.OpTimeout = 5, s.opTimeout(c.OpTimeout)
	return c
}

// Validate reports the first setting that cannot work; it wraps
// history.ErrBadConfig.
func (c Config) Validate() error {
	if err := c.Lock.Validate(); err != nil {
		return err
	}
	if c.Workload != WorkloadLock && c.Workload != WorkloadFenced {
		return fmt.Errorf("%w: unknown workload %q; valid workloads: %s, %s", history.ErrBadConfig, c.Workload, WorkloadLock, WorkloadFenced)
	}
	if err := c.lockConfig().Validate(); err != nil {
		return err
	}
	if c.OpTimeout <= c.Lock.AcquireTimeout {
		return fmt.Errorf("%w: the operation timeout (%s) must exceed the acquire timeout (%s), or every give-up would be recorded as unknown",
			history.ErrBadConfig, c.OpTimeout, c.Lock.AcquireTimeout)
	}
	return nil
}

func (c Config) lockConfig() workloads.LockConfig {
	return workloads.LockConfig{Common: c.Common, LockSettings: c.LockSettings, Key: "lock", Lease: c.Lock.Lease}
}

// ClientNode names client i, as a node of the nemesis.
func ClientNode(i int) string { return "c" + strconv.Itoa(i) }

// System is a started Redis lock under test: Redis, the fenced resource,
// and one proxied link per client to each.
type System struct {
	cfg      Config
	log      *slog.Logger
	redis    *Redis
	resource *Resource
	// per client: the addresses to dial (proxies, or direct)
	redisAddrs, resourceAddrs []string
	procs                     []*workloads.ClientProcess

	mu     sync.Mutex
	holder string // the client that last acquired and has not released
}

// Start starts Redis (see StartRedis), the fenced resource for the fenced
// workload, and the links. On error it stops what it started.
func Start(ctx context.Context, cfg Config) (*System, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &System{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	cfg.Redis.Logger = s.log
	r, err := StartRedis(ctx, cfg.Redis)
	if err != nil {
		return nil, err
	}
	s.redis = r
	if cfg.Workload == WorkloadFenced {
		if s.resource, err = StartResource(s.log); err != nil {
			_ = s.Stop(ctx)
			return nil, err
		}
	}
	if err := s.wire(ctx); err != nil {
		_ = s.Stop(ctx)
		return nil, err
	}
	return s, nil
}

// wire creates each client's links.
func (s *System) wire(ctx context.Context) error {
	for i := range s.cfg.Concurrency {
		s.procs = append(s.procs, workloads.NewClientProcess())
		addr, err := s.link(ctx, ClientNode(i), ServerNode, s.redis.Addr())
		if err != nil {
			return err
		}
		s.redisAddrs = append(s.redisAddrs, addr)
		if s.resource == nil {
			continue
		}
		addr, err = s.link(ctx, ClientNode(i), ResourceNode, s.resource.Addr())
		if err != nil {
			return err
		}
		s.resourceAddrs = append(s.resourceAddrs, addr)
	}
	return nil
}

func (s *System) link(ctx context.Context, from, to, upstream string) (string, error) {
	if s.cfg.Links == nil {
		return upstream, nil
	}
	addr, err := s.cfg.Links.AddLink(ctx, from, to, upstream)
	if err != nil {
		return "", fmt.Errorf("proxying %s->%s: %w", from, to, err)
	}
	return addr, nil
}

// Redis is the run's Redis.
func (s *System) Redis() *Redis { return s.redis }

// Resource is the fenced resource, or nil for the lock workload.
func (s *System) Resource() *Resource { return s.resource }

// Nodes names what the nemesis can fault: every client (its links and its
// simulated process) and, when the harness started it, the redis-server.
func (s *System) Nodes() []string {
	nodes := make([]string, 0, s.cfg.Concurrency+1)
	for i := range s.cfg.Concurrency {
		nodes = append(nodes, ClientNode(i))
	}
	return append(nodes, ServerNode)
}

// Leader is the client that holds the lock now (the one a pause of "the
// leader" should stop), or the redis-server when no client holds it.
func (s *System) Leader(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder != "" {
		return s.holder, nil
	}
	return ServerNode, nil
}

// Labels describe the run for run.json and the report.
func (s *System) Labels() map[string]string {
	labels := map[string]string{
		"redis":       s.redis.Label(),
		"redis.addr":  s.redis.Addr(),
		"backend":     string(s.redis.Backend()),
		"lock":        s.cfg.Lock.Kind,
		"lease":       s.cfg.Lock.Lease.String(),
		"hold":        s.cfg.Hold.String(),
		"concurrency": strconv.Itoa(s.cfg.Concurrency),
	}
	if s.redis.Fallback() {
		labels["fallback"] = FallbackLabel
	}
	if s.resource != nil {
		labels["resource.addr"] = s.resource.Addr()
	}
	return labels
}

// Run drives the configured workload until ctx is done.
func (s *System) Run(ctx context.Context, rec *workloads.Recorder) error {
	clients := make([]workloads.LockClient, s.cfg.Concurrency)
	for i := range clients {
		o := s.cfg.Lock
		o.Seed = uint64(s.cfg.Seed)<<8 | uint64(i) + 1
		c, err := NewLockClient(s.redisAddrs[i], o)
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = &trackedClient{LockClient: c, s: s, node: ClientNode(i)}
	}
	if s.cfg.Workload == WorkloadLock {
		return workloads.RunLock(ctx, s.cfg.lockConfig(), rec, clients, s.procs)
	}
	stores := make([]workloads.FencedStore, s.cfg.Concurrency)
	for i := range stores {
		rc := NewResourceClient(s.resourceAddrs[i])
		defer rc.Close()
		stores[i] = rc
	}
	return workloads.RunFenced(ctx, s.cfg.lockConfig(), rec, clients, stores, s.procs)
}

// Final reads the fenced resource once, directly, after the heal. The lock
// workload has no final phase.
func (s *System) Final(ctx context.Context, rec *workloads.Recorder) error {
	if s.resource == nil {
		return nil
	}
	rc := NewResourceClient(s.resource.Addr())
	defer rc.Close()
	return workloads.FinalRead(ctx, rec, rc, workloads.FinalProcess)
}

// Stop stops Redis (if started here) and the resource. Safe to call twice.
func (s *System) Stop(ctx context.Context) error {
	var errs []error
	for _, p := range s.procs {
		p.Resume()
		p.Restart()
	}
	if s.resource != nil {
		errs = append(errs, s.resource.Close(ctx))
	}
	if s.redis != nil {
		errs = append(errs, s.redis.Stop())
	}
	return errors.Join(errs...)
}

// client returns the simulated process of client node.
func (s *System) client(node string) (*workloads.ClientProcess, bool) {
	i := slices.Index(s.Nodes(), node)
	if i < 0 || i >= len(s.procs) {
		return nil, false
	}
	return s.procs[i], true
}

// Kill kills a node: SIGKILL for the redis-server (which loses its keys), a
// simulated crash for a client (its call in flight is abandoned and it stays
// down until Restart).
func (s *System) Kill(ctx context.Context, node string) error {
	if p, ok := s.client(node); ok {
		p.Kill()
		s.released(node)
		return nil
	}
	return s.redis.Kill(ctx, node)
}

// Restart brings a killed node back.
func (s *System) Restart(ctx context.Context, node string) error {
	if p, ok := s.client(node); ok {
		p.Restart()
		return nil
	}
	return s.redis.Restart(ctx, node)
}

// Pause stops a node: SIGSTOP for the redis-server; for a client, a
// stop-the-world pause at its next step, including inside its critical
// section — Kleppmann's garbage-collection pause.
func (s *System) Pause(ctx context.Context, node string) error {
	if p, ok := s.client(node); ok {
		p.Pause()
		return nil
	}
	return s.redis.Pause(ctx, node)
}

// Resume continues a paused node.
func (s *System) Resume(ctx context.Context, node string) error {
	if p, ok := s.client(node); ok {
		p.Resume()
		return nil
	}
	return s.redis.Resume(ctx, node)
}

func (s *System) acquired(node string) {
	s.mu.Lock()
	s.holder = node
	s.mu.Unlock()
}

func (s *System) released(node string) {
	s.mu.Lock()
	if s.holder == node {
		s.holder = ""
	}
	s.mu.Unlock()
}

// trackedClient tells the system who holds the lock, for Leader.
type trackedClient struct {
	LockClient
	s    *System
	node string
}

func (c *trackedClient) Acquire(ctx context.Context, key string) (int64, error) {
	t, err := c.LockClient.Acquire(ctx, key)
	if err == nil {
		c.s.acquired(c.node)
	}
	return t, err
}

func (c *trackedClient) Release(ctx context.Context, key string) error {
	c.s.released(c.node)
	return c.LockClient.Release(ctx, key)
}
