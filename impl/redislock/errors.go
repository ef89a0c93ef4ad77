package redislock

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/redis/go-redis/v9"
)

// Outcomes other than success. Each is definite or indeterminate, so that a
// caller can tell "certainly did not happen" from "may have happened".
var (
	// ErrNotAcquired: the lock is held by another owner (definite: nothing
	// was changed).
	ErrNotAcquired = errors.New("lock is held by another owner")
	// ErrNotHeld: a release or extend by an owner that no longer holds the
	// lock — it expired, or someone else took it (definite).
	ErrNotHeld = errors.New("lock is not held by this owner (it expired or was taken over)")
	// ErrIndeterminate: the request may have reached Redis and taken effect,
	// but no reply came (timeout, connection lost after sending).
	ErrIndeterminate = errors.New("outcome unknown: the request may or may not have taken effect")
	// ErrUnavailable: Redis did not take the request — it could not be sent
	// (dial failed, pool exhausted, client closed) or Redis answered with an
	// error (LOADING, BUSY, OOM …). Definite.
	ErrUnavailable = errors.New("redis did not accept the request")
	// ErrInvalidConfig is wrapped by every Validate error.
	ErrInvalidConfig = errors.New("invalid redislock config")
)

// IsDefinite reports whether err certainly means the operation did not take
// effect.
func IsDefinite(err error) bool {
	return errors.Is(err, ErrNotAcquired) || errors.Is(err, ErrNotHeld) || errors.Is(err, ErrUnavailable)
}

// classify sorts an error from go-redis into ErrUnavailable (the request was
// not sent, or Redis refused it with an error reply) and ErrIndeterminate
// (everything else: when in doubt, indeterminate).
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	if notSent(err) {
		return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrIndeterminate, err)
}

// notSent reports errors that prove the command did not take effect.
func notSent(err error) bool {
	var opErr *net.OpError
	switch {
	case errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted):
		return true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // may have been cancelled after the write
	}
	var rerr redis.Error
	return errors.As(err, &rerr) // an error reply: the server refused the command
}

// checkCtx refuses to start when ctx is already done: nothing was sent.
func checkCtx(ctx context.Context, what string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
	}
	return nil
}

func isNotAcquired(err error) bool {
	return errors.Is(err, ErrNotAcquired) && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrIndeterminate)
}
