package breaker

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
	impl "github.com/faultline/faultline/impl/breaker"
	"github.com/faultline/faultline/systems"
)

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	require.NoError(t, s.Validate(systems.Run{}))
	assert.True(t, s.Enabled)
	assert.Equal(t, history.BreakerPolicyConsecutive, s.Policy)
	assert.Equal(t, 250*time.Millisecond, s.CallTimeout)

	// The breaker that runs is the reference breaker's default, but for
	// what the harness changes.
	want := impl.DefaultConfig()
	want.Name = "downstream"
	want.Timeout, want.HalfOpenMaxCalls, want.SuccessThreshold = time.Second, 3, 2
	got, err := breakerConfig(s.BreakerSettings)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, s.BreakerSettings, DefaultConfig().Breaker)
}

// TestPolicyNamesAgree holds history's policy names to the reference
// breaker's, which the conversion parses.
func TestPolicyNamesAgree(t *testing.T) {
	for _, name := range []string{history.BreakerPolicyConsecutive, history.BreakerPolicyCountWindow, history.BreakerPolicyTimeWindow} {
		p, err := impl.ParsePolicy(name)
		require.NoError(t, err)
		assert.Equal(t, name, p.String())
	}
}

func TestSettingsFlags(t *testing.T) {
	tests := []struct {
		args string
		want func(*Settings)
	}{
		{"", func(*Settings) {}},
		{"--breaker off", func(s *Settings) { s.Enabled = false }},
		{"--breaker=on", func(s *Settings) { s.Enabled = true }},
		{"--breaker-policy time-window", func(s *Settings) { s.Policy = history.BreakerPolicyTimeWindow }},
		{"--failure-threshold 7", func(s *Settings) { s.FailureThreshold = 7 }},
		{"--failure-rate 30", func(s *Settings) { s.FailureRatePercent = 30 }},
		{"--min-calls 4", func(s *Settings) { s.MinCalls = 4 }},
		{"--window-size 8", func(s *Settings) { s.WindowSize = 8 }},
		{"--window 3s", func(s *Settings) { s.WindowDuration = 3 * time.Second }},
		{"--window-buckets 6", func(s *Settings) { s.WindowBuckets = 6 }},
		{"--slow-call 90ms", func(s *Settings) { s.SlowCallDuration = 90 * time.Millisecond }},
		{"--breaker-timeout 2s", func(s *Settings) { s.Timeout = 2 * time.Second }},
		{"--half-open-trials=5 --breaker off", func(s *Settings) { s.HalfOpenMaxCalls, s.Enabled = 5, false }},
		{"--half-open-successes 1", func(s *Settings) { s.SuccessThreshold = 1 }},
		{"--call-timeout 1s", func(s *Settings) { s.CallTimeout = time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got := DefaultSettings()
			fs := pflag.NewFlagSet("breaker", pflag.ContinueOnError)
			got.AddFlags(fs)
			require.NoError(t, fs.Parse(strings.Fields(tt.args)))
			want := DefaultSettings()
			tt.want(&want)
			assert.Equal(t, want, got)
		})
	}
}

func TestSettingsFlagsHelp(t *testing.T) {
	s := DefaultSettings()
	fs := pflag.NewFlagSet("breaker", pflag.ContinueOnError)
	s.AddFlags(fs)
	f := fs.Lookup("breaker")
	require.NotNil(t, f)
	assert.Equal(t, "on|off", f.Value.Type())
	assert.Equal(t, "on", f.DefValue)
	fs.VisitAll(func(f *pflag.Flag) {
		assert.NotContains(t, f.Usage, "breaker:", "--%s: the CLI groups the flags per system", f.Name)
	})
	require.Error(t, fs.Parse([]string{"--breaker", "maybe"}))
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Settings)
		ok   bool
	}{
		{"default", func(*Settings) {}, true},
		{"unknown policy", func(s *Settings) { s.Policy = "sometimes" }, false},
		{"no call timeout", func(s *Settings) { s.CallTimeout = 0 }, false},
		{"no call timeout, breaker off", func(s *Settings) { s.CallTimeout, s.Enabled = 0, false }, false},
		{"refused by the reference breaker", func(s *Settings) { s.Policy, s.WindowSize = history.BreakerPolicyCountWindow, 2 }, false},
		{"a bad breaker that is off", func(s *Settings) { s.Policy, s.Enabled = "sometimes", false }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.edit(&s)
			err := s.Validate(systems.Run{})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, history.ErrBadConfig)
			assert.NotContains(t, err.Error(), "--", "the message names the setting, not a flag")
		})
	}
}

func TestSettingsJSON(t *testing.T) {
	s := DefaultSettings()
	s.Policy, s.SlowCallDuration, s.Enabled = history.BreakerPolicyCountWindow, 80*time.Millisecond, false
	b, err := json.Marshal(s)
	require.NoError(t, err)
	for _, name := range []string{"enabled", "policy", "failure_threshold", "failure_rate_percent", "min_calls", "window_size",
		"window_duration", "window_buckets", "slow_call_duration", "timeout", "half_open_max_calls", "success_threshold", "call_timeout"} {
		assert.Contains(t, string(b), `"`+name+`":`, "run.json names the setting as the history does")
	}
	var back Settings
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, s, back)
}
