package redislock

import (
	"context"
	"errors"
	"fmt"
	"time"

	lock "github.com/faultline/faultline/impl/redislock"
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

// LockOptions shape the lock clients of a run.
type LockOptions struct {
	Kind           string        // LockNaive or LockFenced
	Lease          time.Duration // the lock's time to live
	AcquireTimeout time.Duration // how long one acquire spins or backs off
	CallTimeout    time.Duration // go-redis's read and write timeouts
	Seed           uint64        // the fenced lock's jitter
}

// Validate reports options that cannot work.
func (o LockOptions) Validate() error {
	switch {
	case o.Kind != LockNaive && o.Kind != LockFenced:
		return fmt.Errorf("unknown lock %q; valid locks: %s, %s", o.Kind, LockNaive, LockFenced)
	case o.Lease < time.Millisecond:
		return fmt.Errorf("the lease must be at least 1ms, got %s (a lease of 0 never expires)", o.Lease)
	case o.AcquireTimeout <= 0 || o.CallTimeout <= 0:
		return fmt.Errorf("the acquire and call timeouts must be positive")
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
	cfg.MaxBackoff = min(cfg.MaxBackoff, o.Lease/4+time.Millisecond)
	cfg.Tries = max(1, int(o.AcquireTimeout/cfg.MaxBackoff)*2)
	f, err := lock.NewFenced(cfg)
	if err != nil {
		return nil, err
	}
	return &fencedClient{f: f, held: map[string]*lock.Lease{}}, nil
}

// LockClient is a workloads.LockClient that must be closed.
type LockClient interface {
	workloads.LockClient
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
}

func (c *naiveClient) Acquire(ctx context.Context, key string) (int64, error) {
	l, err := c.n.Acquire(ctx, key)
	if err != nil {
		return 0, outcome(err)
	}
	c.held[key] = l
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
}

func (c *fencedClient) Acquire(ctx context.Context, key string) (int64, error) {
	l, err := c.f.Acquire(ctx, key)
	if err != nil {
		return 0, outcome(err)
	}
	c.held[key] = l
	return l.Token(), nil
}

func (c *fencedClient) Release(ctx context.Context, key string) error {
	l, ok := c.held[key]
	if !ok {
		return workloads.Definite(ErrNotHolding)
	}
	delete(c.held, key)
	return outcome(l.Release(ctx))
}

func (c *fencedClient) Close() error { return c.f.Close() }
