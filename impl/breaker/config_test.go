package breaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"zero threshold", func(c *Config) { c.FailureThreshold = 0 }, false},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, false},
		{"no trials", func(c *Config) { c.HalfOpenMaxCalls = 0 }, false},
		{"success threshold above trials", func(c *Config) { c.HalfOpenMaxCalls, c.SuccessThreshold = 2, 3 }, false},
		{"rate above 100", func(c *Config) { c.Policy, c.FailureRatePercent = CountWindow, 101 }, false},
		{"window below min calls", func(c *Config) { c.Policy, c.WindowSize, c.MinCalls = CountWindow, 5, 10 }, false},
		{"count window", func(c *Config) { c.Policy = CountWindow }, true},
		{"time window too short", func(c *Config) { c.Policy, c.WindowDuration, c.WindowBuckets = TimeWindow, 5, 10 }, false},
		{"time window", func(c *Config) { c.Policy = TimeWindow }, true},
		{"negative slow", func(c *Config) { c.SlowCallDuration = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrBadConfig)
			_, err = New(cfg)
			assert.ErrorIs(t, err, ErrBadConfig)
		})
	}
}

func TestParsePolicy(t *testing.T) {
	for _, p := range []Policy{ConsecutiveFailures, CountWindow, TimeWindow} {
		got, err := ParsePolicy(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	_, err := ParsePolicy("vibes")
	assert.ErrorIs(t, err, ErrBadConfig)
}
