package checker

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
)

// IllegalOp names the operation that could not be linearized: after the
// longest linearizable prefix porcupine found for its key, no order of
// the remaining operations can start with it.
type IllegalOp struct {
	Key     string `json:"key"`
	Process int    `json:"process"`
	// Op describes the operation: "read → 3", "cas 1→2 (mismatch)".
	Op string `json:"op"`
	// InvokeIndex and CompletionIndex locate it in the history (the
	// completion is -1 when it never completed).
	InvokeIndex     int64 `json:"invoke_index"`
	CompletionIndex int64 `json:"completion_index"`
	// Invoked and Completed are its times (ns); Completed is -1 when the
	// outcome is unknown.
	Invoked   int64 `json:"invoked"`
	Completed int64 `json:"completed"`
	// Linearized is how many of the key's operations the longest
	// linearizable prefix holds, of KeyOps.
	Linearized int `json:"linearized"`
	KeyOps     int `json:"key_ops"`
	// State is the register's value after that prefix.
	State string `json:"state"`
	// LastChange describes the operation of the prefix that set State.
	LastChange string `json:"last_change,omitempty"`
	// Explanation says all this in a sentence.
	Explanation string `json:"explanation"`
}

// firstIllegal explains the failed key whose illegal operation completed
// first.
func firstIllegal(lin *linearization) *IllegalOp {
	partials := lin.info.PartialLinearizationsOperations()
	var best *IllegalOp
	for i, v := range lin.verdict {
		if v != Invalid || i >= len(partials) {
			continue
		}
		ill := explainKey(lin.keys[i], lin.parts[i], longest(partials[i]))
		if ill != nil && (best == nil || returnOf(ill) < returnOf(best)) {
			best = ill
		}
	}
	return best
}

func returnOf(ill *IllegalOp) int64 {
	if ill.Completed < 0 {
		return Forever
	}
	return ill.Completed
}

func longest(ls [][]porcupine.Operation) []porcupine.Operation {
	var best []porcupine.Operation
	for _, l := range ls {
		if len(l) > len(best) {
			best = l
		}
	}
	return best
}

// explainKey replays the longest prefix and picks, among the operations
// that could come next in real time, one the register cannot take from
// the state the prefix left — the earliest to return.
func explainKey(key string, ops, prefix []porcupine.Operation) *IllegalOp {
	state := regValue{}
	var lastChange *porcupine.Operation
	done := map[*opMeta]bool{}
	for i := range prefix {
		op := &prefix[i]
		in, out := op.Input.(*regInput), op.Output.(*regOutput)
		if in.F == FWrite || in.F == FCas && out.Outcome != outcomeMismatch && state == in.Arg {
			lastChange = op
		}
		_, state = stepRegister(state, in, out)
		done[op.Metadata.(*opMeta)] = true
	}
	var rest []porcupine.Operation
	minReturn := int64(Forever)
	for _, op := range ops {
		if !done[op.Metadata.(*opMeta)] {
			rest = append(rest, op)
			minReturn = min(minReturn, op.Return)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	pick, fallback := -1, -1
	for i, op := range rest {
		if op.Call > minReturn {
			continue
		}
		if fallback < 0 || op.Return < rest[fallback].Return {
			fallback = i
		}
		ok, _ := stepRegister(state, op.Input.(*regInput), op.Output.(*regOutput))
		if !ok && (pick < 0 || op.Return < rest[pick].Return) {
			pick = i
		}
	}
	if pick < 0 {
		pick = fallback
	}
	return describeIllegal(key, rest[pick], state, lastChange, len(prefix), len(ops))
}

func describeIllegal(key string, op porcupine.Operation, state regValue, last *porcupine.Operation, linearized, total int) *IllegalOp {
	m := op.Metadata.(*opMeta)
	in, out := op.Input.(*regInput), op.Output.(*regOutput)
	ill := &IllegalOp{
		Key: key, Process: m.Process, Op: describeOp(in, out),
		InvokeIndex: m.Invoke, CompletionIndex: m.Completion, Invoked: m.Call, Completed: -1,
		Linearized: linearized, KeyOps: total, State: state.String(),
	}
	if m.Return != Forever {
		ill.Completed = m.Return
	}
	what := fmt.Sprintf("%s by process %d (invoked at t=%s", opNoun(in), m.Process, formatNanos(m.Call))
	if ill.Completed >= 0 {
		what += ", completed at t=" + formatNanos(ill.Completed)
	}
	what += ") " + opResult(in, out)
	after := "with the register still absent (null), as every key starts"
	if last != nil {
		lm := last.Metadata.(*opMeta)
		ill.LastChange = fmt.Sprintf("%s by process %d", describeOp(last.Input.(*regInput), last.Output.(*regOutput)), lm.Process)
		after = fmt.Sprintf("after the %s by process %d", opNoun(last.Input.(*regInput)), lm.Process)
		if lm.Return != Forever {
			after += " completed at t=" + formatNanos(lm.Return)
		}
		after += ", the register holds " + state.String()
	}
	ill.Explanation = fmt.Sprintf("key %s: %s, but no linearization allows it: in the longest linearizable prefix found (%d of %d operations on the key), %s",
		key, what, linearized, total, after)
	return ill
}

// opNoun names an operation: "read", "write of 5", "cas 1→2".
func opNoun(in *regInput) string {
	switch in.F {
	case FWrite:
		return fmt.Sprintf("write of %d", in.New)
	case FCas:
		return fmt.Sprintf("cas %s→%d", in.Arg, in.New)
	}
	return in.F
}

// opResult says what an operation observed: "returned 3", "succeeded".
func opResult(in *regInput, out *regOutput) string {
	switch {
	case out.Outcome == outcomeUnknown:
		return "had an unknown outcome"
	case in.F == FRead:
		return "returned " + out.Read.String()
	case out.Outcome == outcomeMismatch:
		return "failed, observing a value other than " + in.Arg.String()
	}
	return "succeeded"
}

// formatNanos prints a history time (ns since the run started) at a
// precision a reader can use.
func formatNanos(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Microsecond).String()
	}
	return d.String()
}
