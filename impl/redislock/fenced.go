package redislock

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fenced is a lock that hands out fencing tokens. Acquire sets the lock and
// increments a per-lock counter in one Lua script, so tokens strictly
// increase across holders; a resource that refuses writes with a token lower
// than one it has seen cannot be corrupted by a holder whose lease expired
// while it was paused. Release and Extend compare the owner before they
// delete or expire.
type Fenced struct {
	cfg     FencedConfig
	client  *redis.Client
	backoff *backoff
	// acquire and release are the scripts, the correct ones unless
	// cfg.Bugs says otherwise.
	acquire, release *redis.Script
}

// Lease is a lock held through Fenced.
type Lease struct {
	f     *Fenced
	key   string
	owner string
	token int64
	sent  time.Time
}

// NewFenced opens a client for cfg.Client and returns the lock.
func NewFenced(cfg FencedConfig) (*Fenced, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	acquire, release := scriptsFor(cfg.Bugs)
	return &Fenced{
		acquire: acquire, release: release,
		cfg:     cfg,
		client:  cfg.Client.newClient(),
		backoff: newBackoff(cfg.MinBackoff, cfg.MaxBackoff, cfg.Seed),
	}, nil
}

// Close closes the client.
func (f *Fenced) Close() error { return f.client.Close() }

// Preload loads the scripts into Redis's script cache, so that the first
// calls go straight to EVALSHA. It is optional: a missing script is loaded
// on first use.
func (f *Fenced) Preload(ctx context.Context) error {
	for _, s := range []*redis.Script{f.acquire, f.release, extendScript} {
		if err := s.Load(ctx, f.client).Err(); err != nil {
			return classify("loading lock scripts", err)
		}
	}
	return nil
}

// CounterKey is the key of the lock's token counter.
func CounterKey(key string) string { return key + ":fence" }

// Acquire tries up to Tries times, with jittered exponential back-off in
// between, until it wins (the lease carries a fresh token), the lock stays
// held (ErrNotAcquired) or ctx ends. An attempt without a reply stops the
// loop with ErrIndeterminate: that attempt may have won.
func (f *Fenced) Acquire(ctx context.Context, key string) (*Lease, error) {
	var timer *time.Timer // made on the first back-off: most acquires need none
	for attempt := 1; ; attempt++ {
		l, err := f.TryAcquire(ctx, key)
		if err == nil || !isNotAcquired(err) {
			return l, err
		}
		if attempt >= f.cfg.Tries {
			return nil, fmt.Errorf("acquiring lock %q: %w (after %d tries)", key, ErrNotAcquired, attempt)
		}
		if timer == nil {
			timer = time.NewTimer(f.backoff.delay(attempt))
			defer timer.Stop()
		} else {
			timer.Reset(f.backoff.delay(attempt))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("acquiring lock %q: %w: %w", key, ErrNotAcquired, ctx.Err())
		case <-timer.C:
		}
	}
}

// TryAcquire makes one attempt.
func (f *Fenced) TryAcquire(ctx context.Context, key string) (*Lease, error) {
	if ctx.Err() != nil {
		return nil, checkCtx(ctx, "acquiring lock "+strconv.Quote(key))
	}
	owner := newOwner()
	sent := time.Now()
	token, err := f.acquire.Run(ctx, f.client, []string{key, CounterKey(key)}, owner, f.cfg.Lease.Milliseconds()).Int64()
	switch {
	case err != nil:
		return nil, classify("acquiring lock "+strconv.Quote(key), err)
	case token == 0:
		return nil, fmt.Errorf("acquiring lock %q: %w", key, ErrNotAcquired)
	}
	return &Lease{f: f, key: key, owner: owner, token: token, sent: sent}, nil
}

// Sent is when the attempt that won was sent. Redis set the key's time to
// live after that, so the lease surely runs until Sent plus the lease (by
// Redis's clock, which the holder can only trust as far as clocks agree):
// what Redlock calls the lock's validity time.
func (l *Lease) Sent() time.Time { return l.sent }

// Key is the lock's name.
func (l *Lease) Key() string { return l.key }

// Owner is the random value stored in the key while this lease holds it.
func (l *Lease) Owner() string { return l.owner }

// Token is the fencing token: strictly greater than that of every earlier
// lease of the same lock (as long as Redis keeps the counter key).
func (l *Lease) Token() int64 { return l.token }

// Release deletes the lock if this lease still holds it; ErrNotHeld if not.
func (l *Lease) Release(ctx context.Context) error {
	return l.compareAnd(ctx, "releasing", l.f.release)
}

// Extend sets the lock's remaining lease to ttl if this lease still holds
// it; ErrNotHeld if not.
func (l *Lease) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("%s: %w: ttl %v must be at least 1ms", l.doing("extending"), ErrInvalidConfig, ttl)
	}
	return l.compareAnd(ctx, "extending", extendScript, ttl.Milliseconds())
}

// compareAnd runs a compare-and-… script; verb names it in errors.
func (l *Lease) compareAnd(ctx context.Context, verb string, s *redis.Script, extra ...any) error {
	if ctx.Err() != nil {
		return checkCtx(ctx, l.doing(verb))
	}
	args := append([]any{l.owner}, extra...)
	n, err := s.Run(ctx, l.f.client, []string{l.key, CounterKey(l.key)}, args...).Int64()
	switch {
	case err != nil:
		return classify(l.doing(verb), err)
	case n == 0:
		return fmt.Errorf("%s: %w", l.doing(verb), ErrNotHeld)
	}
	return nil
}

// doing describes the operation for an error message; it is built only
// when there is an error to describe.
func (l *Lease) doing(verb string) string {
	return fmt.Sprintf("%s lock %q (token %d)", verb, l.key, l.token)
}

// String names the lease for logs.
func (l *Lease) String() string {
	return l.key + "#" + strconv.FormatInt(l.token, 10)
}
