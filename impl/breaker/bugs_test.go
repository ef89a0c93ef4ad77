package breaker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBugKnowsTheCatalog(t *testing.T) {
	for _, b := range Bugs {
		got, err := ParseBug(string(b.Bug))
		require.NoError(t, err)
		assert.Equal(t, b.Bug, got)
	}
	_, err := ParseBug("half-open")
	assert.ErrorIs(t, err, ErrBadConfig)
	cfg := DefaultConfig()
	cfg.Bugs = []Bug{"typo"}
	assert.ErrorIs(t, cfg.Validate(), ErrBadConfig)
}

// TestUnboundedHalfOpenAdmitsMoreThanTheTrials: the bug is real — the
// breaker lets a fourth call through while three trials are out.
func TestUnboundedHalfOpenAdmitsMoreThanTheTrials(t *testing.T) {
	for _, bug := range []bool{false, true} {
		b, clock, _ := newTestBreaker(t, func(c *Config) {
			c.FailureThreshold, c.HalfOpenMaxCalls, c.SuccessThreshold = 1, 3, 3
			if bug {
				c.Bugs = []Bug{BugUnboundedHalfOpen}
			}
		})
		_, _ = run(b, fail)
		clock.Advance(c5s)
		var out []*held
		for range 3 {
			h := hold(b)
			ok, _ := h.admitted(t)
			require.True(t, ok)
			out = append(out, h)
		}
		h := hold(b)
		ok, res := h.admitted(t)
		assert.Equal(t, bug, ok, "bug=%t: a fourth call while three trials are out", bug)
		if !bug {
			assert.ErrorIs(t, res.err, ErrTooManyTrials)
		} else {
			out = append(out, h)
		}
		for _, h := range out {
			h.finish(t, nil)
		}
	}
}
