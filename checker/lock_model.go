package checker

import (
	"context"
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

// LockModelChecker checks the acquires and releases of each lock against a
// porcupine model of a mutex: an acquire succeeds only when the lock is
// free, a release succeeds only by the holder. Leases enter the model
// through the releases: a release that failed or whose outcome is unknown
// frees the lock if its process held it (its lease lapsed, or the release
// happened), because the process stopped believing it held it when it
// invoked the release.
type LockModelChecker struct {
	// TimeLimit bounds the check; 0 means DefaultTimeLimit.
	TimeLimit time.Duration
}

var _ Checker = LockModelChecker{}

// Name is "lock-model".
func (LockModelChecker) Name() string { return "lock-model" }

type lockInput struct {
	F       string
	Key     string
	Process int
}

type lockOutput struct{ Type history.Type }

const lockFree = -1

// lockModel is a mutex per key; the state is the holding process.
var lockModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		at := map[string]int{}
		var parts [][]porcupine.Operation
		for _, op := range h {
			k := op.Input.(lockInput).Key
			i, ok := at[k]
			if !ok {
				i = len(parts)
				at[k] = i
				parts = append(parts, nil)
			}
			parts[i] = append(parts[i], op)
		}
		return parts
	},
	Init: func() any { return lockFree },
	Step: func(state, input, output any) (bool, any) {
		holder, in, out := state.(int), input.(lockInput), output.(lockOutput)
		switch {
		case in.F == lockAcquire && out.Type == history.Ok:
			return holder == lockFree, in.Process
		case in.F == lockAcquire:
			return true, holder // lockOperations drops these; no observation
		case in.F == lockRelease && out.Type == history.Ok:
			return holder == in.Process, lockFree
		case holder == in.Process: // a release that failed or is unknown
			return true, lockFree
		}
		return true, holder
	},
	Equal: func(a, b any) bool { return a.(int) == b.(int) },
	DescribeOperation: func(input, output any) string {
		in, out := input.(lockInput), output.(lockOutput)
		return fmt.Sprintf("p%d %s %s → %s", in.Process, in.F, in.Key, out.Type)
	},
	DescribeState: func(state any) string {
		if state.(int) == lockFree {
			return "free"
		}
		return fmt.Sprintf("held by p%d", state.(int))
	},
}

// lockOperations turns the acquire and release pairs into porcupine
// operations; an unknown outcome returns at Forever. Acquires that did not
// succeed are left out: a failed one observed nothing, and one of unknown
// outcome can always be placed after everything else (as if it never took
// effect) — its process is retired and never releases, so taking the lock
// earlier could only forbid later acquires, never allow one.
func lockOperations(pairs []Pair) []porcupine.Operation {
	var out []porcupine.Operation
	for _, p := range pairs {
		switch {
		case p.Invoke.F == lockAcquire && p.Outcome() != history.Ok:
			continue
		case p.Invoke.F != lockAcquire && p.Invoke.F != lockRelease:
			continue
		}
		op := porcupine.Operation{
			ClientId: p.Invoke.Process,
			Input:    lockInput{F: p.Invoke.F, Key: p.Invoke.Key, Process: p.Invoke.Process},
			Call:     p.Invoke.Time,
			Output:   lockOutput{Type: p.Outcome()},
			Return:   Forever,
		}
		if p.Outcome() != history.Info {
			op.Return = p.Completion.Time
		}
		out = append(out, op)
	}
	return out
}

// Check runs porcupine on the mutex model.
func (c LockModelChecker) Check(ctx context.Context, ops []history.Op) Result {
	res := Result{Checker: c.Name()}
	pairs, err := Pairs(ops)
	if err != nil {
		res.Explanation = err.Error()
		return res
	}
	pops := lockOperations(pairs)
	if len(pops) == 0 {
		res.Explanation = "no acquire or release to check"
		return res
	}
	verdict, elapsed := checkModel(ctx, lockModel, pops, c.TimeLimit)
	res.Details = map[string]any{"ops": len(pops), "porcupine": string(verdict), "elapsed": elapsed.String()}
	switch verdict {
	case porcupine.Ok:
		res.Valid = Valid
		res.Explanation = fmt.Sprintf("%d acquires and releases are consistent with a mutex", len(pops))
	case porcupine.Illegal:
		res.Valid = Invalid
		res.Explanation = "the acquires and releases are not consistent with any order of a mutex: some acquire succeeded while another process held the lock"
	default:
		res.Explanation = fmt.Sprintf("the lock-model check did not finish within %s; raise --check-timeout", elapsed)
	}
	return res
}

// checkModel runs porcupine with the time limit (and ctx's deadline); a run
// cut short is Unknown.
func checkModel(ctx context.Context, m porcupine.Model, pops []porcupine.Operation, limit time.Duration) (porcupine.CheckResult, time.Duration) {
	if limit <= 0 {
		limit = DefaultTimeLimit
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < limit {
		limit = max(time.Until(dl), time.Millisecond)
	}
	start := time.Now()
	verdict := porcupine.CheckOperationsTimeout(m, pops, limit)
	elapsed := time.Since(start).Round(time.Millisecond)
	if ctx.Err() != nil && verdict != porcupine.Illegal {
		verdict = porcupine.Unknown
	}
	return verdict, elapsed
}
