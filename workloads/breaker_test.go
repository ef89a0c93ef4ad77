package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// countingBreakerClient says every call was admitted while CLOSED, with a
// rising sequence number.
type countingBreakerClient struct{ seq *atomic.Uint64 }

func (c countingBreakerClient) Call(ctx context.Context) BreakerObservation {
	return BreakerObservation{Admitted: true, State: "CLOSED", Outcome: "success", Seq: c.seq.Add(1), Downstream: "ok", At: time.Now()}
}

func TestRunBreakerRecordsSettingsCallsAndTransitions(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	rec := NewRecorder(w)
	epoch := time.Now()
	settings := history.BreakerSettings{
		Enabled: true, Policy: history.BreakerPolicyConsecutive, FailureThreshold: 3, Timeout: time.Second,
		HalfOpenMaxCalls: 1, SuccessThreshold: 1,
	}
	br, err := RecordBreakerSettings(context.Background(), rec, settings, epoch)
	require.NoError(t, err)
	br.Transition(BreakerTransition{From: "CLOSED", To: "OPEN", Gen: 1, At: time.Now()})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var seq atomic.Uint64
	cfg := BreakerConfig{Common: Common{Concurrency: 3, Rate: 300, OpTimeout: time.Second}}
	clients := []BreakerClient{countingBreakerClient{&seq}, countingBreakerClient{&seq}, countingBreakerClient{&seq}}
	require.NoError(t, RunBreaker(ctx, cfg, br, clients))
	br.Stop()
	br.Transition(BreakerTransition{From: "OPEN", To: "HALF_OPEN", Gen: 2, At: time.Now()}) // after Stop: not recorded
	require.NoError(t, w.Close())

	h, err := history.Read(&buf)
	require.NoError(t, err)
	var calls, transitions int
	var recorded history.BreakerConfig
	for _, op := range h.Ops {
		if op.Type != history.Ok {
			continue
		}
		switch op.F {
		case BreakerConfigF:
			require.NoError(t, json.Unmarshal(op.Value, &recorded))
			require.NotNil(t, recorded.EpochOffset)
			assert.LessOrEqual(t, *recorded.EpochOffset, int64(0), "the epoch is before the settings were recorded")
		case BreakerTransitionF:
			transitions++
			assert.Equal(t, BreakerTransitionProcess, op.Process)
			var v map[string]any
			require.NoError(t, json.Unmarshal(op.Value, &v))
			assert.InDelta(t, float64(op.Time), v["at"].(float64), float64(50*time.Millisecond),
				"a transition's time is on the history's time base")
		case BreakerCallF:
			calls++
			assert.Less(t, op.Process, cfg.Concurrency)
			var v map[string]any
			require.NoError(t, json.Unmarshal(op.Value, &v))
			assert.Equal(t, true, v["admitted"])
			assert.Equal(t, "CLOSED", v["state"])
			assert.InDelta(t, float64(op.Time), v["at"].(float64), float64(50*time.Millisecond))
		}
	}
	assert.Equal(t, settings, recorded.BreakerSettings)
	assert.Equal(t, 1, transitions)
	assert.Equal(t, int(seq.Load()), calls)
	assert.Positive(t, calls)
}

func TestBreakerConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*BreakerConfig)
		ok   bool
	}{
		{"default", func(*BreakerConfig) {}, true},
		{"no callers", func(c *BreakerConfig) { c.Concurrency = 0 }, false},
		{"negative rate", func(c *BreakerConfig) { c.Rate = -1 }, false},
		{"no timeout", func(c *BreakerConfig) { c.OpTimeout = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultBreakerConfig()
			tt.edit(&c)
			if tt.ok {
				assert.NoError(t, c.Validate())
			} else {
				assert.ErrorIs(t, c.Validate(), history.ErrBadConfig)
				assert.NotContains(t, c.Validate().Error(), "--", "the message names the setting, not a flag")
			}
		})
	}
}

func TestRecordBreakerSettingsWithoutABreaker(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	_, err := RecordBreakerSettings(context.Background(), NewRecorder(w), history.BreakerSettings{}, time.Time{})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	h, err := history.Read(&buf)
	require.NoError(t, err)
	require.Len(t, h.Ops, 2)
	var recorded history.BreakerConfig
	require.NoError(t, json.Unmarshal(h.Ops[1].Value, &recorded))
	assert.False(t, recorded.Enabled)
	assert.Nil(t, recorded.EpochOffset, "no breaker, no clock")
}
