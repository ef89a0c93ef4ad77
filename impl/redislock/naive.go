package redislock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Naive is the seed's lock, kept faithful so that Faultline can show its
// flaw: SET key owner NX EX lease, tried every Spin until AcquireTimeout,
// and released with WATCH / GET / MULTI / DEL / EXEC. Nothing stops a holder
// whose lease has expired from carrying on as if it still held the lock.
type Naive struct {
	cfg    NaiveConfig
	client *redis.Client
}

// NaiveLease is a lock held through Naive.
type NaiveLease struct {
	n     *Naive
	key   string
	owner string
	sent  time.Time
}

// NewNaive opens a client for cfg.Client and returns the lock.
func NewNaive(cfg NaiveConfig) (*Naive, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Naive{cfg: cfg, client: cfg.Client.newClient()}, nil
}

// Close closes the client.
func (n *Naive) Close() error { return n.client.Close() }

// Acquire spins on SET NX until it wins, AcquireTimeout passes (ErrNotAcquired)
// or ctx ends. An attempt without a reply ends the spin with ErrIndeterminate:
// that SET may have won.
func (n *Naive) Acquire(ctx context.Context, key string) (*NaiveLease, error) {
	what := fmt.Sprintf("acquiring lock %q", key)
	if err := checkCtx(ctx, what); err != nil {
		return nil, err
	}
	owner := newOwner()
	deadline := time.Now().Add(n.cfg.AcquireTimeout)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		sent := time.Now()
		won, err := n.client.SetNX(ctx, key, owner, n.cfg.Lease).Result()
		if err != nil {
			return nil, classify(what, err)
		}
		if won {
			return &NaiveLease{n: n, key: key, owner: owner, sent: sent}, nil
		}
		if !time.Now().Add(n.cfg.Spin).Before(deadline) {
			return nil, fmt.Errorf("%s: %w (gave up after %v)", what, ErrNotAcquired, n.cfg.AcquireTimeout)
		}
		timer.Reset(n.cfg.Spin)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w: %w", what, ErrNotAcquired, ctx.Err())
		case <-timer.C:
		}
	}
}

// TryAcquire makes one SET NX attempt.
func (n *Naive) TryAcquire(ctx context.Context, key string) (*NaiveLease, error) {
	what := fmt.Sprintf("acquiring lock %q", key)
	if err := checkCtx(ctx, what); err != nil {
		return nil, err
	}
	owner := newOwner()
	sent := time.Now()
	won, err := n.client.SetNX(ctx, key, owner, n.cfg.Lease).Result()
	switch {
	case err != nil:
		return nil, classify(what, err)
	case !won:
		return nil, fmt.Errorf("%s: %w", what, ErrNotAcquired)
	}
	return &NaiveLease{n: n, key: key, owner: owner, sent: sent}, nil
}

// Sent is when the SET NX that won was sent: the lease surely runs until
// Sent plus the lease (see Lease.Sent).
func (l *NaiveLease) Sent() time.Time { return l.sent }

// Key is the lock's name.
func (l *NaiveLease) Key() string { return l.key }

// Owner is the random value stored in the key while this lease holds it.
func (l *NaiveLease) Owner() string { return l.owner }

// Release deletes the key if it still holds this lease's owner: WATCH the
// key, GET it, and DEL it in MULTI/EXEC. A nil EXEC reply (the key changed
// in between, e.g. it expired) means it was not released: ErrNotHeld.
func (l *NaiveLease) Release(ctx context.Context) error {
	what := fmt.Sprintf("releasing lock %q", l.key)
	if err := checkCtx(ctx, what); err != nil {
		return err
	}
	err := l.n.client.Watch(ctx, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, l.key).Result()
		if errors.Is(err, redis.Nil) || (err == nil && v != l.owner) {
			return ErrNotHeld
		}
		if err != nil {
			// Only the GET was sent: the key is certainly still there.
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, l.key)
			return nil
		})
		return err
	}, l.key)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotHeld):
		return fmt.Errorf("%s: %w", what, ErrNotHeld)
	case errors.Is(err, ErrUnavailable):
		return fmt.Errorf("%s: %w", what, err)
	case errors.Is(err, redis.TxFailedErr):
		return fmt.Errorf("%s: %w (EXEC returned nil: the key changed under WATCH)", what, ErrNotHeld)
	}
	return classify(what, err)
}
