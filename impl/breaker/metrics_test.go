package breaker

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// value reads a counter or gauge.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	require.NoError(t, c.Write(&out))
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}

func counterValue(t *testing.T, m *Metrics, outcome string) float64 {
	t.Helper()
	return value(t, m.calls.WithLabelValues(outcome))
}

func TestMetrics(t *testing.T) {
	m := NewMetrics("test", "m")
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	b, clock, _ := newTestBreaker(t, func(c *Config) { c.FailureThreshold, c.Metrics = 1, m })
	_, _ = run(b, succeed)
	_, _ = run(b, fail)
	_, _ = run(b, succeed)
	assert.Equal(t, 1.0, counterValue(t, m, "success"))
	assert.Equal(t, 1.0, counterValue(t, m, "failure"))
	assert.Equal(t, 1.0, counterValue(t, m, "rejected_open"))
	assert.Equal(t, float64(Open), value(t, m.state))
	clock.Advance(5 * time.Second)
	_, _ = run(b, succeed)
	assert.Equal(t, float64(Closed), value(t, m.state))
	assert.Equal(t, 1.0, value(t, m.transitions.WithLabelValues("HALF_OPEN", "CLOSED")))
	families, err := reg.Gather()
	require.NoError(t, err)
	assert.Len(t, families, 3)
}
