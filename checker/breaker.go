package checker

import (
	"context"
	"fmt"

	"github.com/faultline/faultline/history"
)

// Names of the breaker workload's operations.
const (
	BreakerCallF       = "call"
	BreakerTransitionF = "transition"
	BreakerConfigF     = "breaker-config"
)

// The breaker's states, outcomes and rejection reasons as the history
// spells them.
const (
	BreakerClosed   = "CLOSED"
	BreakerOpen     = "OPEN"
	BreakerHalfOpen = "HALF_OPEN"

	BreakerSuccess  = "success"
	BreakerFailure  = "failure"
	BreakerSlow     = "slow"
	BreakerIgnored  = "ignored"
	BreakerRejected = "rejected"

	BreakerRejectOpen   = "open"
	BreakerRejectTrials = "trials"
)

// BreakerConfig is the value of the history's breaker-config op: the
// breaker's settings and its epoch, as the model needs them. It is declared
// once, in history, where the workload that writes it finds it too.
type BreakerConfig = history.BreakerConfig

// validateBreakerConfig reports the first setting the model cannot run
// with; it wraps both ErrOptions and history.ErrBadConfig.
func validateBreakerConfig(c *BreakerConfig) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}

// BreakerCall is the ok value of a "call".
type BreakerCall struct {
	Admitted bool   `json:"admitted"`
	State    string `json:"state,omitempty"`
	Gen      uint64 `json:"gen"`
	AdmitSeq uint64 `json:"admit_seq,omitempty"`
	Outcome  string `json:"outcome"`
	// Reason says why a call was rejected: open or trials.
	Reason string `json:"reason,omitempty"`
	// Late marks a result that came back after its generation ended.
	Late bool   `json:"late,omitempty"`
	Seq  uint64 `json:"seq,omitempty"`
	At   *int64 `json:"at,omitempty"`
	// Downstream says what the downstream did: ok, error or timeout
	// (empty when it was not called).
	Downstream string `json:"downstream,omitempty"`
	Error      string `json:"error,omitempty"`
}

// asked reports whether the breaker decided anything about the call (a
// caller that gave up before asking is not a decision).
func (c BreakerCall) asked() bool { return c.Admitted || c.Outcome == BreakerRejected }

// BreakerTransition is the ok value of a "transition".
type BreakerTransition struct {
	From string `json:"from"`
	To   string `json:"to"`
	Gen  uint64 `json:"gen"`
	At   int64  `json:"at"`
}

// BreakerChecker checks a breaker history against a sequential model of the
// breaker, and measures what the breaker bought ([BreakerProtection]).
//
// The breaker workload records three kinds of client operations, each an
// invoke followed by an ok:
//
//   - f "breaker-config", once, before any call, from a process no worker
//     uses: the invoke's value is null and the ok's value is the
//     [BreakerConfig] the breaker ran with, so that a stored run can be
//     re-checked from its history alone.
//   - f "call", by the workers: one call through the breaker. The invoke's
//     value is null; the completion is ok whenever the breaker decided
//     something (even if the downstream failed, or the call was rejected),
//     and its value is a [BreakerCall]:
//     {"admitted":true,"state":"CLOSED","gen":0,"outcome":"failure","seq":7,"downstream":"error","error":"…"}
//     {"admitted":false,"state":"OPEN","gen":1,"outcome":"rejected","reason":"open","at":1200000000}
//     A call that ended in fail or info never reached a decision, nor did
//     one whose value is {"admitted":false,"outcome":"ignored"} (its
//     caller gave up before asking the breaker).
//   - f "transition", from a dedicated process, written by the breaker's
//     state-change callback while the breaker holds its lock (so file
//     order is transition order): the ok's value is a [BreakerTransition]
//     {"from":"CLOSED","to":"OPEN","gen":1,"at":1100000000}.
//
// Times named "at" are the breaker's own clock, on the history's time base
// (ns since the run started). "gen" is the breaker's generation: 0 is the
// initial CLOSED and each transition starts the next. "seq" and
// "admit_seq" number the decisions the breaker took under its lock within
// one generation — results, and a half-open breaker's admissions and
// rejections — in the order it took them. That order is what makes the
// check exact under concurrency: the checker replays each generation's
// decisions in sequence through a sequential model of the breaker,
// instead of guessing an order from wall-clock times.
//
// The model checks that the breaker opens exactly when its policy says
// (at failure_threshold consecutive failures, or at the failure rate once
// the window holds min_calls results), rejects everything while OPEN,
// moves to HALF_OPEN only once timeout has passed (and rejects as OPEN
// only before), admits at most half_open_max_calls trial calls, closes
// after success_threshold trial successes and reopens at a trial failure,
// and that every transition is a legal edge entering the next generation.
// The first decision it does not allow is reported with its op index and
// why (BreakerDetails.First).
type BreakerChecker struct {
	// Config is the breaker's configuration. Nil means: take it from the
	// history's breaker-config op. Given, it wins over the history's —
	// which is how a run is checked against the settings it should have
	// had.
	Config *BreakerConfig
}

var _ Checker = BreakerChecker{}

// Name is "breaker".
func (BreakerChecker) Name() string { return "breaker" }

// BreakerDetails is the checker's evidence.
type BreakerDetails struct {
	Config *BreakerConfig `json:"config,omitempty"`
	// First is the first non-conforming decision, in history order.
	First *BreakerViolation `json:"first_violation,omitempty"`
	// Violations lists up to maxBreakerViolations of them; ViolationCount counts all.
	Violations     []BreakerViolation `json:"violations,omitempty"`
	ViolationCount int                `json:"violation_count"`
	Generations    int                `json:"generations"`
	// Undecided counts calls that never reached a decision (no ok).
	Undecided  int               `json:"undecided"`
	Protection BreakerProtection `json:"protection"`
}

// BreakerViolation is one decision the model does not allow.
type BreakerViolation struct {
	// Index is the op that shows it (a call's completion or a transition).
	Index int64  `json:"index"`
	Gen   uint64 `json:"gen"`
	Seq   uint64 `json:"seq,omitempty"`
	Why   string `json:"why"`
}

const maxBreakerViolations = 20

// Check replays the history through the model.
func (c BreakerChecker) Check(ctx context.Context, ops []history.Op) Result {
	res := Result{Checker: c.Name(), Valid: Unknown}
	h, err := parseBreakerHistory(ops)
	if err != nil {
		res.Explanation = err.Error()
		return res
	}
	cfg := c.Config
	if cfg == nil {
		cfg = h.config
	}
	details := BreakerDetails{Config: cfg, Undecided: h.undecided, Generations: len(h.transitions) + 1}
	details.Protection = breakerProtection(h, history.FaultWindows(ops))
	res.Details = &details
	if cfg == nil {
		res.Explanation = "no breaker configuration: the history has no breaker-config op and none was given"
		return res
	}
	if err := validateBreakerConfig(cfg); err != nil {
		res.Explanation = err.Error()
		return res
	}
	if ctx.Err() != nil {
		res.Explanation = "breaker check cancelled: " + ctx.Err().Error()
		return res
	}
	rep := replayBreaker(*cfg, h)
	details.ViolationCount = len(rep.violations)
	if len(rep.violations) > 0 {
		details.First = &rep.violations[0]
		details.Violations = rep.violations[:min(len(rep.violations), maxBreakerViolations)]
		res.Valid = Invalid
		res.Explanation = fmt.Sprintf("op %d: %s", details.First.Index, details.First.Why)
		return res
	}
	switch {
	case rep.unknown != "":
		res.Explanation = rep.unknown
	case h.decided == 0:
		res.Explanation = "too little work: no call through the breaker reached a decision"
	default:
		res.Valid = Valid
		res.Explanation = describeConforming(cfg, h, details.Protection)
	}
	return res
}

func describeConforming(cfg *BreakerConfig, h *breakerHistory, p BreakerProtection) string {
	if !cfg.Enabled {
		return fmt.Sprintf("no breaker: all %d calls went through", p.Calls)
	}
	return fmt.Sprintf("%d calls and %d transitions conform to the model; %d calls shed while open (%d during faults)",
		h.decided, len(h.transitions), p.RejectedOpen+p.RejectedTrials, p.ShedDuringFaults)
}
