package checker

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

// The register workload's operations (DESIGN.md, "The register workload").
const (
	FRead  = "read"
	FWrite = "write"
	FCas   = "cas"
)

// Forever is the return time of an operation whose outcome is unknown (an
// info, or an invoke the history never completed): it may take effect at
// any time after its invoke, or never — and "never" is the same as "at the
// end of time".
const Forever = math.MaxInt64

// regValue is the value of one register: absent (the key does not exist,
// JSON null) or an integer. It is comparable, so porcupine's == works.
type regValue struct {
	Set bool
	V   int64
}

func (v regValue) String() string {
	if !v.Set {
		return "null"
	}
	return strconv.FormatInt(v.V, 10)
}

// regOutcome is what the completion of a register operation observed.
type regOutcome uint8

const (
	outcomeOk       regOutcome = iota // it happened; for a read, Read is the value
	outcomeMismatch                   // a cas whose compare failed: current ≠ expected
	outcomeUnknown                    // info or never completed: may or may not have happened
)

// regInput is the argument of a register operation. Key is there for the
// partition function.
type regInput struct {
	Key string
	F   string
	Arg regValue // the value written, or a cas's expected value
	New int64    // a cas's new value
}

// regOutput is the observation of a register operation.
type regOutput struct {
	Outcome regOutcome
	Read    regValue
}

// opMeta ties a porcupine operation back to the history.
type opMeta struct {
	Invoke     int64 // index of the invoke
	Completion int64 // index of the completion; -1 when open
	Process    int
	Call       int64 // invoke time (ns)
	Return     int64 // completion time (ns); Forever when unknown
}

// RegisterModel is the porcupine model of the register workload: one
// integer register per key, absent at first, partitioned by key so that
// each key is checked on its own (a history is linearizable exactly when
// every key's is).
func RegisterModel() porcupine.Model {
	return registerModel(nil, regValue{})
}

// registerModel is RegisterModel whose steps all fail once *stop is set:
// porcupine takes no context, and failing every step makes its search
// unwind at once. The caller must then discard anything but a complete
// linearization.
//
// Every key starts at init: absent, except in a visualized window of a
// long history, which starts where the checker's linearization was.
func registerModel(stop *atomic.Bool, init regValue) porcupine.Model {
	step := func(state, input, output any) (bool, any) {
		return stepRegister(state.(regValue), input.(*regInput), output.(*regOutput))
	}
	if stop != nil {
		step = func(state, input, output any) (bool, any) {
			if stop.Load() {
				return false, state
			}
			return stepRegister(state.(regValue), input.(*regInput), output.(*regOutput))
		}
	}
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return init },
		Step:      step,
		Hash: func(state any) uint64 {
			v := state.(regValue)
			if !v.Set {
				return 0x9e3779b97f4a7c15
			}
			return uint64(v.V) * 0xff51afd7ed558ccd
		},
		DescribeOperation: func(input, output any) string {
			return describeOp(input.(*regInput), output.(*regOutput))
		},
		DescribeState: func(state any) string { return state.(regValue).String() },
		DescribeOperationMetadata: func(m any) string {
			if m, ok := m.(*opMeta); ok {
				return fmt.Sprintf("process %d, ops %d–%d", m.Process, m.Invoke, m.Completion)
			}
			return ""
		},
	}
}

func stepRegister(state regValue, in *regInput, out *regOutput) (bool, regValue) {
	switch in.F {
	case FRead:
		return out.Outcome != outcomeOk || out.Read == state, state
	case FWrite:
		return true, regValue{Set: true, V: in.New}
	case FCas:
		switch {
		case out.Outcome == outcomeMismatch:
			return state != in.Arg, state
		case state == in.Arg:
			return true, regValue{Set: true, V: in.New}
		}
		// An unknown cas that finds another value fails without effect.
		return out.Outcome == outcomeUnknown, state
	}
	return false, state
}

func describeOp(in *regInput, out *regOutput) string {
	var s string
	switch in.F {
	case FRead:
		s = "read"
		if out.Outcome == outcomeOk {
			s += " → " + out.Read.String()
		}
	case FWrite:
		s = "write " + strconv.FormatInt(in.New, 10)
	case FCas:
		s = fmt.Sprintf("cas %s→%d", in.Arg, in.New)
		if out.Outcome == outcomeMismatch {
			s += " (mismatch)"
		}
	}
	if out.Outcome == outcomeUnknown {
		s += " (unknown outcome)"
	}
	return s
}

// partitionByKey splits a register history by key, keys in the order of
// their first operation. The linearizability checker relies on this order
// to map porcupine's partitions back to keys.
func partitionByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	at := map[string]int{}
	var sizes []int
	for _, op := range ops {
		k := op.Input.(*regInput).Key
		i, ok := at[k]
		if !ok {
			i = len(sizes)
			at[k] = i
			sizes = append(sizes, 0)
		}
		sizes[i]++
	}
	parts := make([][]porcupine.Operation, len(sizes))
	for i, n := range sizes {
		parts[i] = make([]porcupine.Operation, 0, n)
	}
	for _, op := range ops {
		i := at[op.Input.(*regInput).Key]
		parts[i] = append(parts[i], op)
	}
	return parts
}

// RegisterOperations turns the client operations of a register history
// into porcupine operations:
//   - ok: a completed operation with what it observed;
//   - info, or an invoke never completed: open until Forever, outcome
//     unknown (a read of unknown outcome observes nothing and is dropped);
//   - fail with error "mismatch" on a cas: a completed operation that
//     observed current ≠ expected;
//   - any other fail: certainly did not happen, dropped with its invoke.
//
// It returns an error wrapping ErrBadHistory for a value of the wrong
// shape or an f other than read, write and cas.
func RegisterOperations(pairs []Pair) ([]porcupine.Operation, error) {
	// Inputs, outputs and metadata live in three slices, so that boxing
	// them in porcupine's interfaces costs a pointer, not an allocation.
	ins := make([]regInput, len(pairs))
	outs := make([]regOutput, len(pairs))
	metas := make([]opMeta, len(pairs))
	ops := make([]porcupine.Operation, 0, len(pairs))
	for _, p := range pairs {
		n := len(ops)
		keep, err := registerOperation(p, &ins[n], &outs[n], &metas[n])
		if err != nil {
			return nil, err
		}
		if keep {
			ops = append(ops, porcupine.Operation{
				ClientId: p.Invoke.Process, Input: &ins[n], Call: metas[n].Call,
				Output: &outs[n], Return: metas[n].Return, Metadata: &metas[n],
			})
		}
	}
	return ops, nil
}

func registerOperation(p Pair, in *regInput, out *regOutput, meta *opMeta) (bool, error) {
	inv, done := p.Invoke, p.Completion
	outcome := outcomeOk
	switch p.Outcome() {
	case history.Info:
		outcome = outcomeUnknown
	case history.Fail:
		if inv.F != FCas || done.Error != history.ErrorMismatch {
			return false, nil
		}
		outcome = outcomeMismatch
	}
	*in = regInput{Key: inv.Key, F: inv.F}
	*out = regOutput{Outcome: outcome}
	var err error
	switch inv.F {
	case FRead:
		if outcome == outcomeUnknown {
			return false, nil
		}
		out.Read, err = parseRegValue(done.Value)
		if err != nil {
			return false, fmt.Errorf("%w: op %d: read returned %s: %w", ErrBadHistory, done.Index, done.Value, err)
		}
	case FWrite:
		var v regValue
		v, err = parseRegValue(inv.Value)
		if err != nil || !v.Set {
			return false, fmt.Errorf("%w: op %d: write of %s: want an integer", ErrBadHistory, inv.Index, inv.Value)
		}
		in.New = v.V
	case FCas:
		in.Arg, in.New, err = parseCas(inv.Value)
		if err != nil {
			return false, fmt.Errorf("%w: op %d: cas of %s: %w", ErrBadHistory, inv.Index, inv.Value, err)
		}
	default:
		return false, fmt.Errorf("%w: op %d: f %q is not a register operation (read, write, cas); is this a register history?", ErrBadHistory, inv.Index, inv.F)
	}
	*meta = opMeta{Invoke: inv.Index, Completion: -1, Process: inv.Process, Call: inv.Time, Return: Forever}
	if !p.Open {
		meta.Completion = done.Index
	}
	if outcome != outcomeUnknown {
		meta.Return = done.Time
	}
	return true, nil
}

func parseRegValue(raw json.RawMessage) (regValue, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return regValue{}, nil
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil { // the common case, without reflection
		return regValue{Set: true, V: n}, nil
	}
	var v *int64
	if err := json.Unmarshal(orNull(raw), &v); err != nil {
		return regValue{}, fmt.Errorf("want an integer or null")
	}
	if v == nil {
		return regValue{}, nil
	}
	return regValue{Set: true, V: *v}, nil
}

func parseCas(raw json.RawMessage) (regValue, int64, error) {
	if a, b, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(string(raw), "["), "]"), ","); ok && len(raw) > 2 && raw[0] == '[' {
		// The common case, [expected,new] as the recorder writes it.
		a = strings.TrimSpace(a)
		expected, err1 := parseRegValue(json.RawMessage(a))
		n, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		if a != "" && err1 == nil && err2 == nil {
			return expected, n, nil
		}
	}
	var pair []*int64
	if err := json.Unmarshal(orNull(raw), &pair); err != nil || len(pair) != 2 || pair[1] == nil {
		return regValue{}, 0, fmt.Errorf("want [expected, new] with new an integer")
	}
	expected := regValue{}
	if pair[0] != nil {
		expected = regValue{Set: true, V: *pair[0]}
	}
	return expected, *pair[1], nil
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}
