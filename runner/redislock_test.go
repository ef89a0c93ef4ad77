package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRedisLockOptionsValidate(t *testing.T) {
	run := DefaultConfig()
	run.Time = 10 * time.Second
	tests := []struct {
		name string
		mod  func(*RedisLockOptions, *Config)
		ok   bool
	}{
		{"default", func(*RedisLockOptions, *Config) {}, true},
		{"lease 0", func(o *RedisLockOptions, _ *Config) { o.Lease = 0 }, false},
		{"unknown lock", func(o *RedisLockOptions, _ *Config) { o.Lock = "magic" }, false},
		{"hold longer than the run", func(o *RedisLockOptions, _ *Config) { o.Hold = time.Minute }, false},
		{"external redis with kill", func(o *RedisLockOptions, c *Config) { o.Redis = "127.0.0.1:6379"; c.Nemesis = []string{"kill"} }, false},
		{"external redis with all", func(o *RedisLockOptions, c *Config) { o.Redis = "127.0.0.1:6379"; c.Nemesis = []string{"all"} }, false},
		{"external redis with latency", func(o *RedisLockOptions, c *Config) { o.Redis = "127.0.0.1:6379"; c.Nemesis = []string{"latency"} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, c := DefaultRedisLockOptions(), run
			tt.mod(&o, &c)
			if tt.ok {
				assert.NoError(t, o.Validate(c))
			} else {
				assert.ErrorIs(t, o.Validate(c), ErrBadInput)
			}
		})
	}
}
