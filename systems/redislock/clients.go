package redislock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faultline/faultline/history"
	lock "github.com/faultline/faultline/impl/redislock"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// The lock flavours a run can test.
const (
	LockNaive  = "naive"
	LockFenced = "fenced"
)

// LockNames lists the flavours.
func LockNames() []string { return []string{LockNaive, LockFenced} }

// ErrNotHolding is a release by a client that holds no lease.
var ErrNotHolding = errors.New("this client holds no lease of the lock")

// LockOptions shape the lock clients of a run; they are part of the
// system's Settings, under these JSON names in run.json.
type LockOptions struct {
	// Kind is LockNaive or LockFenced.
	Kind string `json:"lock"`
	// Lease is the lock's time to live.
	Lease time.Duration `json:"lease"`
	// AcquireTimeout bounds one acquire (the naive lock's spin, the fenced
	// lock's tries).
	AcquireTimeout time.Duration `json:"acquire_timeout"`
	// CallTimeout bounds each Redis command (go-redis's read, write and
	// dial timeouts).
	CallTimeout time.Duration `json:"call_timeout"`
	// Seed drives the fenced lock's jitter; each client gets its own.
	Seed uint64 `json:"-"`
	// Bugs are deliberate bugs of the fenced lock's catalog (impl/redislock)
	// the clients are built with; none by default.
	Bugs []string `json:"bugs,omitempty"`
}

// Validate reports options that cannot work; it wraps history.ErrBadConfig.
func (o LockOptions) Validate() error {
	switch {
	case o.Kind != LockNaive && o.Kind != LockFenced:
		return fmt.Errorf("%w: unknown lock %q; valid locks: %s, %s", history.ErrBadConfig, o.Kind, LockNaive, LockFenced)
	case o.Lease < time.Millisecond:
		return fmt.Errorf("%w: the lease must be at least 1ms, got %s (a lease of 0 never expires, and Redis refuses it)", history.ErrBadConfig, o.Lease)
	case o.AcquireTimeout <= 0 || o.CallTimeout <= 0:
		return fmt.Errorf("%w: acquire_timeout and call_timeout must be positive", history.ErrBadConfig)
	case len(o.Bugs) > 0 && o.Kind != LockFenced:
		return fmt.Errorf("%w: bugs %v are bugs of the %s lock, and the lock is %s", history.ErrBadConfig, o.Bugs, LockFenced, o.Kind)
	}
	for _, b := range o.Bugs {
		if err := systems.CheckBug(b, Adapter{}.Bugs()); err != nil {
			return err
		}
	}
	return nil
}

// NewLockClient opens one worker's lock client on the Redis at addr.
func NewLockClient(addr string, o LockOptions) (LockClient, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cc := lock.DefaultClientConfig()
	cc.Addr, cc.PoolSize = addr, 2
	cc.ReadTimeout, cc.WriteTimeout, cc.DialTimeout = o.CallTimeout, o.CallTimeout, o.CallTimeout
	if o.Kind == LockNaive {
		cfg := lock.DefaultNaiveConfig()
		cfg.Client, cfg.Lease, cfg.AcquireTimeout = cc, o.Lease, o.AcquireTimeout
		n, err := lock.NewNaive(cfg)
		if err != nil {
			return nil, err
		}
		return &naiveClient{n: n, held: map[string]*lock.NaiveLease{}}, nil
	}
	cfg := lock.DefaultFencedConfig()
	cfg.Client, cfg.Lease, cfg.Seed = cc, o.Lease, o.Seed
	for _, b := range o.Bugs {
		cfg.Bugs = append(cfg.Bugs, lock.Bug(b))
	}
	cfg.MaxBackoff = min(cfg.MaxBackoff, o.Lease/4+time.Millisecond)
	cfg.Tries = max(1, int(o.AcquireTimeout/cfg.MaxBackoff)*2)
	f, err := lock.NewFenced(cfg)
	if err != nil {
		return nil, err
	}
	return &fencedClient{f: f, held: map[string]*lock.Lease{}}, nil
}

// LockClient is a workloads.LockClient that must be closed and that says
// when the attempt that won its last acquire was sent.
type LockClient interface {
	workloads.LockClient
	workloads.GrantReporter
	Close() error
}

// outcome marks the lock's definite errors for the recorder.
func outcome(err error) error {
	if lock.IsDefinite(err) {
		return workloads.Definite(err)
	}
	return err
}

type naiveClient struct {
	n    *lock.Naive
	held map[string]*lock.NaiveLease
	last time.Time // when the last acquire's winning attempt was sent
}

func (c *naiveClient) LastGrantSent() time.Time { return c.last }

func (c *naiveClient) Acquire(ctx context.Context, key string) (int64, error) {
	l, err := c.n.Acquire(ctx, key)
	if err != nil {
		return 0, outcome(err)
	}
	c.held[key], c.last = l, l.Sent()
	return 0, nil
}

func (c *naiveClient) Release(ctx context.Context, key string) error {
	l, ok := c.held[key]
	if !ok {
		return workloads.Definite(ErrNotHolding)
	}
	delete(c.held, key)
	return outcome(l.Release(ctx))
}

func (c *naiveClient) Close() error { return c.n.Close() }

type fencedClient struct {
	f    *lock.Fenced
	held map[string]*lock.Lease
	last time.Time // when the last acquire's winning attempt was sent
}

func (c *fencedClient) Acquire(ctx context.Context, key string) (int64, error) {
	l, err := c.f.Acquire(ctx, key)
	if err != nil {
		return 0, outcome(err)
	}
	c.held[key], c.last = l, l.Sent()
	return l.Token(), nil
}

func (c *fencedClient) LastGrantSent() time.Time { return c.last }

func (c *fencedClient) Release(ctx context.Context, key string) error {
	l, ok := c.held[key]
	if !ok {
		return workloads.Definite(ErrNotHolding)
	}
	delete(c.held, key)
	return outcome(l.Release(ctx))
}

func (c *fencedClient) Close() error { return c.f.Close() }
