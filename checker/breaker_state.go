package checker

import (
	"fmt"

	"github.com/faultline/faultline/history"
)

// breakerModel is the sequential model of one generation of the breaker:
// it takes the generation's decisions one at a time, in the breaker's
// order, and says which are allowed and when the generation must end.
type breakerModel struct {
	cfg   BreakerConfig
	state string

	// CLOSED: the trip policy's memory.
	failRun        int
	recent         []bool         // count window: the last WindowSize results
	timed          []breakerTimed // time window: results still in the window
	calls, failing int            // what the window holds now

	// HALF_OPEN.
	trials, successes int

	next    string // the state the model moves to, once it must
	why     string // why it must
	unknown string // set when the history lacks what the model needs
}

type breakerTimed struct {
	bucket int64
	failed bool
}

func newBreakerModel(cfg BreakerConfig, state string) *breakerModel {
	return &breakerModel{cfg: cfg, state: state}
}

// step applies one decision; bad is true when the model does not allow it.
func (m *breakerModel) step(e breakerEvent) (why string, bad bool) {
	if m.state == BreakerHalfOpen {
		return m.stepHalfOpen(e)
	}
	if e.kind != breakerResult {
		return fmt.Sprintf("a sequenced %s while CLOSED", breakerKindName(e.kind)), true
	}
	o := e.call.Outcome
	if o == BreakerIgnored {
		return "", false
	}
	failed := o == BreakerFailure || o == BreakerSlow
	if m.record(failed, e.call.At) {
		m.next, m.why = BreakerOpen, m.status()
	}
	return "", false
}

func (m *breakerModel) stepHalfOpen(e breakerEvent) (string, bool) {
	max := m.cfg.HalfOpenMaxCalls
	switch {
	case e.kind == breakerAdmit && m.trials >= max:
		return fmt.Sprintf("admitted a trial call while %d of %d were already in use (half_open_max_calls is %d)", m.trials, max, max), true
	case e.kind == breakerAdmit:
		m.trials++
	case e.kind == breakerReject && m.trials < max:
		return fmt.Sprintf("rejected for too many trials while only %d of %d were in use", m.trials, max), true
	case e.kind == breakerReject:
	case e.call.Outcome == BreakerIgnored:
		m.trials--
	case e.call.Outcome == BreakerFailure || e.call.Outcome == BreakerSlow:
		m.next, m.why = BreakerOpen, "a trial call failed"
	default:
		m.successes++
		if m.successes >= m.cfg.SuccessThreshold {
			m.next, m.why = BreakerClosed, fmt.Sprintf("%d trial successes, success_threshold %d", m.successes, m.cfg.SuccessThreshold)
		}
	}
	return "", false
}

// record adds a counted result and reports whether the breaker must trip.
func (m *breakerModel) record(failed bool, atNs *int64) bool {
	switch m.cfg.Policy {
	case history.BreakerPolicyConsecutive:
		m.failRun++
		if !failed {
			m.failRun = 0
		}
		return m.failRun >= m.cfg.FailureThreshold
	case history.BreakerPolicyCountWindow:
		m.recent = append(m.recent, failed)
		if len(m.recent) > m.cfg.WindowSize {
			m.recent = m.recent[1:]
		}
		m.calls, m.failing = 0, 0
		for _, f := range m.recent {
			m.count(f)
		}
	case history.BreakerPolicyTimeWindow:
		if atNs == nil {
			m.unknown = "a time-window breaker's result carries no time (\"at\"), so the window cannot be replayed"
			return false
		}
		width := int64(m.cfg.WindowDuration) / int64(m.cfg.WindowBuckets)
		cur := (*atNs - m.cfg.Epoch) / width
		m.timed = append(m.timed, breakerTimed{cur, failed})
		kept := m.timed[:0]
		m.calls, m.failing = 0, 0
		for _, t := range m.timed {
			if t.bucket > cur-int64(m.cfg.WindowBuckets) {
				kept = append(kept, t)
				m.count(t.failed)
			}
		}
		m.timed = kept
	}
	return failed && m.calls >= m.cfg.MinCalls && 100*m.failing >= m.cfg.FailureRatePercent*m.calls
}

func (m *breakerModel) count(failed bool) {
	m.calls++
	if failed {
		m.failing++
	}
}

// status describes the model's state in words.
func (m *breakerModel) status() string {
	switch {
	case m.state == BreakerHalfOpen:
		return fmt.Sprintf("%d of %d trial calls in use, %d of %d successes needed", m.trials, m.cfg.HalfOpenMaxCalls, m.successes, m.cfg.SuccessThreshold)
	case m.cfg.Policy == history.BreakerPolicyConsecutive:
		return fmt.Sprintf("%d consecutive failures, failure_threshold %d", m.failRun, m.cfg.FailureThreshold)
	}
	return fmt.Sprintf("%d of %d results in the window failed, trips at %d%% with at least %d results",
		m.failing, m.calls, m.cfg.FailureRatePercent, m.cfg.MinCalls)
}

func breakerKindName(k breakerEventKind) string {
	switch k {
	case breakerAdmit:
		return "admission"
	case breakerReject:
		return "rejection"
	}
	return "result"
}
