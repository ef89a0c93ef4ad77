package breaker

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds a breaker's Prometheus collectors: calls by outcome, the
// current state, and transitions by edge. Nothing is registered globally:
// register it yourself (it is a prometheus.Collector). The label children
// are resolved once, so counting a call allocates nothing.
type Metrics struct {
	calls       *prometheus.CounterVec
	state       prometheus.Gauge
	transitions *prometheus.CounterVec

	byOutcome            [Rejected]prometheus.Counter
	rejectedOpen, trials prometheus.Counter
}

// NewMetrics returns the collectors for the breaker called name, with names
// under namespace (e.g. "faultline"): <ns>_breaker_calls_total{outcome},
// <ns>_breaker_state (0 CLOSED, 1 OPEN, 2 HALF_OPEN) and
// <ns>_breaker_transitions_total{from,to}, each labelled breaker=name.
func NewMetrics(namespace, name string) *Metrics {
	labels := prometheus.Labels{"breaker": name}
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "breaker", Name: "calls_total", ConstLabels: labels,
			Help: "Calls by outcome: success, failure, slow, ignored, rejected_open, rejected_trials.",
		}, []string{"outcome"}),
		state: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "breaker", Name: "state", ConstLabels: labels,
			Help: "Current state: 0 CLOSED, 1 OPEN, 2 HALF_OPEN.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "breaker", Name: "transitions_total", ConstLabels: labels,
			Help: "State transitions by edge.",
		}, []string{"from", "to"}),
	}
	for o := Success; o < Rejected; o++ {
		m.byOutcome[o] = m.calls.WithLabelValues(o.String())
	}
	m.rejectedOpen = m.calls.WithLabelValues("rejected_open")
	m.trials = m.calls.WithLabelValues("rejected_trials")
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.calls.Describe(ch)
	m.state.Describe(ch)
	m.transitions.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.calls.Collect(ch)
	m.state.Collect(ch)
	m.transitions.Collect(ch)
}

var _ prometheus.Collector = (*Metrics)(nil)

// count records one call; a nil Metrics records nothing.
func (m *Metrics) count(o Outcome, rejection error) {
	switch {
	case m == nil:
	case o < Rejected:
		m.byOutcome[o].Inc()
	case errors.Is(rejection, ErrTooManyTrials):
		m.trials.Inc()
	default:
		m.rejectedOpen.Inc()
	}
}

func (m *Metrics) transition(from, to State) {
	if m == nil {
		return
	}
	m.transitions.WithLabelValues(from.String(), to.String()).Inc()
	m.setState(to)
}

func (m *Metrics) setState(s State) {
	if m != nil {
		m.state.Set(float64(s))
	}
}
