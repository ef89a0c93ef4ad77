package redislock

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClientConfig is the connection to Redis that a lock opens for itself. The
// lock builds its own go-redis client so that it can switch go-redis's
// retries off (MaxRetries -1): a command retried underneath could take
// effect twice, or turn a lost reply into a silent success or failure.
type ClientConfig struct {
	// Addr is host:port of the Redis server.
	Addr string
	// PoolSize is the number of connections kept; size it for the number of
	// goroutines that use the lock at once.
	PoolSize int
	// DialTimeout bounds connecting; ReadTimeout and WriteTimeout bound each
	// command when the caller's context has no earlier deadline.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// DefaultClientConfig talks to Redis on its default local port.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{
		Addr:         "127.0.0.1:6379",
		PoolSize:     16,
		DialTimeout:  time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
	}
}

// Validate reports a client configuration that cannot work.
func (c ClientConfig) Validate() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("%w: Addr is empty", ErrInvalidConfig)
	case c.PoolSize <= 0:
		return fmt.Errorf("%w: PoolSize %d must be positive", ErrInvalidConfig, c.PoolSize)
	case c.DialTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0:
		return fmt.Errorf("%w: DialTimeout, ReadTimeout and WriteTimeout must be positive", ErrInvalidConfig)
	}
	return nil
}

// newClient opens a go-redis client that never retries and honours context
// deadlines on every socket read and write.
func (c ClientConfig) newClient() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                  c.Addr,
		PoolSize:              c.PoolSize,
		MaxRetries:            -1,
		DialTimeout:           c.DialTimeout,
		ReadTimeout:           c.ReadTimeout,
		WriteTimeout:          c.WriteTimeout,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
	})
}

// NaiveConfig configures the seed's lock.
type NaiveConfig struct {
	Client ClientConfig
	// Lease is the key's time to live (SET … EX; whole seconds use EX, any
	// other duration PX).
	Lease time.Duration
	// AcquireTimeout is how long Acquire spins before giving up.
	AcquireTimeout time.Duration
	// Spin is the pause between attempts (the seed's 1 ms).
	Spin time.Duration
}

// DefaultNaiveConfig is the seed's lock: a 10 s lease, acquired by spinning
// every millisecond for up to 10 s.
func DefaultNaiveConfig() NaiveConfig {
	return NaiveConfig{
		Client:         DefaultClientConfig(),
		Lease:          10 * time.Second,
		AcquireTimeout: 10 * time.Second,
		Spin:           time.Millisecond,
	}
}

// Validate reports a configuration that cannot work.
func (c NaiveConfig) Validate() error {
	if err := c.Client.Validate(); err != nil {
		return err
	}
	switch {
	case c.Lease < time.Millisecond:
		return fmt.Errorf("%w: lease %v must be at least 1ms (a lease of 0 would never expire)", ErrInvalidConfig, c.Lease)
	case c.AcquireTimeout <= 0:
		return fmt.Errorf("%w: AcquireTimeout %v must be positive", ErrInvalidConfig, c.AcquireTimeout)
	case c.Spin <= 0:
		return fmt.Errorf("%w: Spin %v must be positive", ErrInvalidConfig, c.Spin)
	}
	return nil
}

// FencedConfig configures the fenced lock.
type FencedConfig struct {
	Client ClientConfig
	// Lease is the lock's time to live, in milliseconds precision (PX).
	Lease time.Duration
	// Tries bounds the attempts of one Acquire (1 = try once).
	Tries int
	// MinBackoff and MaxBackoff bound the pause between attempts: it doubles
	// from MinBackoff up to MaxBackoff, with full jitter.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Seed seeds the jitter; 0 seeds it from the clock.
	Seed uint64
	// Bugs are deliberate defects from the catalog (see Bug); none by
	// default. Only a test of a test harness wants any.
	Bugs []Bug
}

// DefaultFencedConfig is a 10 s lease, up to 100 tries with back-off
// between 1 ms and 100 ms.
func DefaultFencedConfig() FencedConfig {
	return FencedConfig{
		Client:     DefaultClientConfig(),
		Lease:      10 * time.Second,
		Tries:      100,
		MinBackoff: time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
	}
}

// Validate reports a configuration that cannot work.
func (c FencedConfig) Validate() error {
	if err := c.Client.Validate(); err != nil {
		return err
	}
	for _, b := range c.Bugs {
		if _, err := ParseBug(string(b)); err != nil {
			return err
		}
	}
	switch {
	case c.Lease < time.Millisecond:
		return fmt.Errorf("%w: lease %v must be at least 1ms (a lease of 0 would never expire)", ErrInvalidConfig, c.Lease)
	case c.Tries < 1:
		return fmt.Errorf("%w: Tries %d must be at least 1", ErrInvalidConfig, c.Tries)
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("%w: back-off must satisfy 0 < MinBackoff (%v) <= MaxBackoff (%v)", ErrInvalidConfig, c.MinBackoff, c.MaxBackoff)
	}
	return nil
}
