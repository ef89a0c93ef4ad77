package breaker

import (
	"sync"
	"time"
)

// Clock is where the breaker reads the time. Tests hand in a FakeClock so
// that the open delay and time windows pass without sleeping.
type Clock interface {
	Now() time.Time
}

// systemClock reads time.Now, whose monotonic reading makes the breaker
// immune to wall-clock steps.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// SystemClock is the real clock, the default.
var SystemClock Clock = systemClock{}

// FakeClock is a Clock that moves only when told to. It is safe for
// concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock showing start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the fake time forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var _ Clock = (*FakeClock)(nil)
