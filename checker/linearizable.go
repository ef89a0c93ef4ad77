package checker

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

// DefaultTimeLimit bounds a linearizability check when the caller sets no
// limit of its own. Checking is NP-hard; a check that runs out of time says
// Unknown.
const DefaultTimeLimit = 5 * time.Minute

// LinearizableChecker checks a register history for linearizability with
// porcupine, key by key.
type LinearizableChecker struct {
	// TimeLimit bounds the check; 0 means DefaultTimeLimit. A check that
	// runs out of time (or whose ctx ends) is Unknown, never Valid.
	TimeLimit time.Duration
}

var _ Checker = LinearizableChecker{}

// Name is "linearizability".
func (LinearizableChecker) Name() string { return "linearizability" }

// LinearizabilityDetails is the evidence of a linearizability result.
type LinearizabilityDetails struct {
	// Porcupine is porcupine's own verdict: Ok, Illegal or Unknown.
	Porcupine string `json:"porcupine"`
	// Ops is the number of operations checked (after dropping fails that
	// observed nothing and reads of unknown outcome).
	Ops  int `json:"ops"`
	Keys int `json:"keys"`
	// PerKey is each key's verdict.
	PerKey map[string]Validity `json:"per_key"`
	// FailedKeys are the keys that are not linearizable; UnknownKeys those
	// whose check did not finish in time.
	FailedKeys  []string `json:"failed_keys,omitempty"`
	UnknownKeys []string `json:"unknown_keys,omitempty"`
	// FirstIllegal is the operation that could not be linearized on the
	// failed key where it happened earliest.
	FirstIllegal *IllegalOp `json:"first_illegal,omitempty"`
	Elapsed      string     `json:"elapsed"`
}

// Check runs the check; see LinearizabilityDetails for what it reports.
func (c LinearizableChecker) Check(ctx context.Context, ops []history.Op) Result {
	lin, err := c.check(ctx, ops)
	if err != nil {
		return Result{Checker: c.Name(), Valid: Unknown, Explanation: err.Error()}
	}
	return lin.result
}

// linearization is a finished check with what the visualization needs.
type linearization struct {
	result  Result
	details *LinearizabilityDetails
	ops     []porcupine.Operation
	parts   [][]porcupine.Operation // by key, as partitionByKey orders them
	keys    []string                // parts[i] is keys[i]
	verdict []Validity              // verdict[i] is keys[i]'s
	info    porcupine.LinearizationInfo
	verbose bool // info holds porcupine's partial linearizations
	lanes   bool // the operations were laid out on lanes before the check
}

func (c LinearizableChecker) check(ctx context.Context, ops []history.Op) (*linearization, error) {
	pairs, err := Pairs(ops)
	if err != nil {
		return nil, err
	}
	pops, err := RegisterOperations(pairs)
	if err != nil {
		return nil, err
	}
	return c.checkOperations(ctx, pops, len(pops) <= defaultMaxVisualizedOps), nil
}

func (c LinearizableChecker) limit(ctx context.Context) time.Duration {
	limit := c.TimeLimit
	if limit <= 0 {
		limit = DefaultTimeLimit
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < limit {
		limit = max(time.Until(dl), time.Millisecond)
	}
	return limit
}

// porcupineOutcome is what the porcupine runs of one check found.
type porcupineOutcome struct {
	res porcupine.CheckResult
	// info is set when verbose: the partial linearizations of a verbose
	// run, which decided every key unless decided is false.
	info    porcupine.LinearizationInfo
	verbose bool
	decided bool
	parts   [][]porcupine.Operation
}

// runPorcupine checks pops in two steps. The plain check is porcupine at
// full speed, and for a valid history all that is needed. Only when it
// finds an illegal key does a verbose run (in the time left) compute the
// partial linearizations that name the failed keys and the illegal
// operation; the visualization computes its own.
func runPorcupine(ctx context.Context, pops []porcupine.Operation, limit time.Duration) porcupineOutcome {
	var stop atomic.Bool
	defer context.AfterFunc(ctx, func() { stop.Store(true) })()
	var out porcupineOutcome
	model := registerModel(&stop, regValue{})
	model.Partition = func(ops []porcupine.Operation) [][]porcupine.Operation {
		out.parts = partitionByKey(ops) // reused to name the keys
		return out.parts
	}
	start := time.Now()
	out.res = porcupine.CheckOperationsTimeout(model, pops, limit)
	if out.res == porcupine.Illegal && ctx.Err() == nil {
		if left := limit - time.Since(start); left > 0 {
			var res porcupine.CheckResult
			res, out.info = porcupine.CheckOperationsVerbose(model, pops, left)
			out.verbose = true
			out.decided = res == porcupine.Illegal && time.Since(start) < limit && ctx.Err() == nil
		}
	}
	if ctx.Err() != nil && out.res != porcupine.Ok {
		out.res = porcupine.Unknown // steps failed on purpose: only a complete linearization counts
	}
	return out
}

// checkOperations checks pops. lanes asks for the operations to be laid
// out on lanes first (see assignLanes), for a page drawn from this check's
// own linearizations; a large history skips it, since its page is drawn
// from a check of its own.
func (c LinearizableChecker) checkOperations(ctx context.Context, pops []porcupine.Operation, lanes bool) *linearization {
	limit := c.limit(ctx)
	if lanes {
		assignLanes(pops)
	}
	start := time.Now()
	out := runPorcupine(ctx, pops, limit)
	elapsed := time.Since(start)
	stopped := ctx.Err() != nil

	lin := &linearization{ops: pops, parts: out.parts, info: out.info, verbose: out.verbose, lanes: lanes}
	if lin.parts == nil {
		lin.parts = partitionByKey(pops)
	}
	for _, p := range lin.parts {
		lin.keys = append(lin.keys, p[0].Input.(*regInput).Key)
	}
	lin.verdict = keyVerdicts(lin.parts, out)
	d := &LinearizabilityDetails{
		Porcupine: string(out.res), Ops: len(pops), Keys: len(lin.keys),
		PerKey: map[string]Validity{}, Elapsed: elapsed.Round(time.Millisecond).String(),
	}
	for i, k := range lin.keys {
		d.PerKey[k] = lin.verdict[i]
		switch lin.verdict[i] {
		case Invalid:
			d.FailedKeys = append(d.FailedKeys, k)
		case Unknown:
			d.UnknownKeys = append(d.UnknownKeys, k)
		}
	}
	lin.details = d
	lin.result = Result{Checker: c.Name(), Details: d}
	switch out.res {
	case porcupine.Ok:
		lin.result.Valid = Valid
		lin.result.Explanation = fmt.Sprintf("%s operations on %s keys are linearizable", thousands(len(pops)), thousands(len(lin.keys)))
	case porcupine.Illegal:
		lin.result.Valid = Invalid
		d.FirstIllegal = firstIllegal(lin)
		lin.result.Explanation = fmt.Sprintf("not linearizable, but the time limit stopped the search on %d keys before the failing one could be named; raise the time limit (--check-timeout) to see it",
			len(d.UnknownKeys))
		if d.FirstIllegal != nil {
			lin.result.Explanation = d.FirstIllegal.Explanation
		}
	default:
		lin.result.Valid = Unknown
		lin.result.Explanation = fmt.Sprintf("linearizability check timed out after %s (%s operations on %s keys); raise the time limit (--check-timeout) to decide",
			limit.Round(time.Millisecond), thousands(len(pops)), thousands(len(lin.keys)))
		if stopped {
			lin.result.Explanation = fmt.Sprintf("linearizability check stopped after %s: %v", elapsed.Round(time.Millisecond), context.Cause(ctx))
		}
	}
	return lin
}

// keyVerdicts says each key's verdict. After a valid check every key is
// valid. After a verbose run, a key with a complete linearization is
// valid, and one without is invalid if the run decided, unknown if the
// time limit may have cut its search short. Otherwise nothing is known.
func keyVerdicts(parts [][]porcupine.Operation, out porcupineOutcome) []Validity {
	verdicts := make([]Validity, len(parts))
	if out.res == porcupine.Ok {
		for i := range verdicts {
			verdicts[i] = Valid
		}
		return verdicts
	}
	if !out.verbose {
		return verdicts // all Unknown
	}
	partials := out.info.PartialLinearizations()
	for i, p := range parts {
		verdicts[i] = Unknown
		if i >= len(partials) {
			continue
		}
		for _, l := range partials[i] {
			if len(l) == len(p) {
				verdicts[i] = Valid
				break
			}
		}
		if verdicts[i] == Unknown && out.decided {
			verdicts[i] = Invalid
		}
	}
	return verdicts
}
