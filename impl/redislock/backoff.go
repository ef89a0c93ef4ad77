package redislock

import (
	"math/rand/v2"
	"sync"
	"time"
)

// backoff draws the pause before attempt n (1-based): full jitter over an
// exponentially growing ceiling, so that contending clients spread out
// instead of retrying in lock-step.
type backoff struct {
	min, max time.Duration
	mu       sync.Mutex
	rnd      *rand.Rand
}

func newBackoff(min, max time.Duration, seed uint64) *backoff {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &backoff{min: min, max: max, rnd: rand.New(rand.NewPCG(seed, 0x6c6f636b))}
}

func (b *backoff) delay(attempt int) time.Duration {
	ceil := b.min
	for i := 1; i < attempt && ceil < b.max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, b.max)
	b.mu.Lock()
	d := b.min + time.Duration(b.rnd.Int64N(int64(ceil-b.min)+1))
	b.mu.Unlock()
	return d
}
