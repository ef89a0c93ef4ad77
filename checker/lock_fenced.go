package checker

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

// FencedChecker checks the fenced workload's resource: a counter that
// accepts a read or a write only with a fencing token at least as high as
// any it has seen. Two properties:
//
//   - the resource's reads and writes are linearizable against that model,
//     so the writes it accepted took effect in token order;
//   - no acknowledged update was lost: each holder wrote the value it read
//     plus one, so two acknowledged writes of the same value mean one
//     increment overwrote another, and a final value below the number of
//     acknowledged writes means some were lost.
//
// Reads carry {"token": t} on invoke and the counter on ok; the final read
// carries no token. Writes carry {"token": t, "value": v}.
type FencedChecker struct {
	// TimeLimit bounds the check; 0 means DefaultTimeLimit.
	TimeLimit time.Duration
}

var _ Checker = FencedChecker{}

// Name is "fenced-resource".
func (FencedChecker) Name() string { return "fenced-resource" }

const (
	fencedRead  = "read"
	fencedWrite = "write"
)

// LostUpdate is a value written by two acknowledged writes.
type LostUpdate struct {
	Value  int64   `json:"value"`
	Writes []int64 `json:"writes"` // the indexes of their ok completions
	Tokens []int64 `json:"tokens"`
}

// FencedDetails is the evidence of the check.
type FencedDetails struct {
	Porcupine    string       `json:"porcupine"`
	Ops          int          `json:"ops"`
	AckedWrites  int          `json:"acked_writes"`
	UnknownWrite int          `json:"unknown_writes"`
	StaleRefused int          `json:"stale_refused"`
	FinalValue   *int64       `json:"final_value,omitempty"`
	LostUpdates  []LostUpdate `json:"lost_updates,omitempty"`
	Elapsed      string       `json:"elapsed"`
}

type fencedInput struct {
	F      string
	Fenced bool // false for the final, token-less read
	Token  int64
	Value  int64 // a write's value
}

type fencedOutput struct {
	Type  history.Type
	Value int64 // a read's value
}

type fencedState struct{ Highest, Value int64 }

var fencedModel = porcupine.Model{
	Init: func() any { return fencedState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(fencedState), input.(fencedInput), output.(fencedOutput)
		switch {
		case in.F == fencedRead && !in.Fenced:
			return out.Value == s.Value, s
		case in.F == fencedRead: // only ok reads reach the model
			return in.Token >= s.Highest && out.Value == s.Value, fencedState{in.Token, s.Value}
		case out.Type == history.Ok: // write
			return in.Token >= s.Highest, fencedState{in.Token, in.Value}
		case in.Token >= s.Highest: // a write of unknown outcome that arrived
			return true, fencedState{in.Token, in.Value}
		}
		return true, s // a stale write of unknown outcome: refused
	},
	Equal: func(a, b any) bool { return a.(fencedState) == b.(fencedState) },
	DescribeOperation: func(input, output any) string {
		in, out := input.(fencedInput), output.(fencedOutput)
		if in.F == fencedRead {
			return fmt.Sprintf("read(token %d) → %d", in.Token, out.Value)
		}
		return fmt.Sprintf("write(token %d, %d) → %s", in.Token, in.Value, out.Type)
	},
}

// Check runs both checks.
func (c FencedChecker) Check(ctx context.Context, ops []history.Op) Result {
	res := Result{Checker: c.Name()}
	pairs, err := Pairs(ops)
	if err != nil {
		res.Explanation = err.Error()
		return res
	}
	pops, d, err := fencedOperations(pairs)
	if err != nil {
		res.Explanation = err.Error()
		return res
	}
	res.Details = d
	d.LostUpdates = lostUpdates(pairs)
	if len(pops) > 0 {
		verdict, elapsed := checkModel(ctx, fencedModel, pops, c.TimeLimit)
		d.Porcupine, d.Elapsed = string(verdict), elapsed.String()
	}
	var problems []string
	if d.Porcupine == string(porcupine.Illegal) {
		problems = append(problems, "the resource's reads and writes are not linearizable in token order")
	}
	if len(d.LostUpdates) > 0 {
		lu := d.LostUpdates[0]
		problems = append(problems, fmt.Sprintf("lost update: %d acknowledged writes of value %d (ops %v, tokens %v) — one holder's increment overwrote another's",
			len(lu.Writes), lu.Value, lu.Writes, lu.Tokens))
	}
	if d.FinalValue != nil && *d.FinalValue < int64(d.AckedWrites) {
		problems = append(problems, fmt.Sprintf("the final value is %d after %d acknowledged increments", *d.FinalValue, d.AckedWrites))
	}
	switch {
	case len(problems) > 0:
		res.Valid = Invalid
		res.Explanation = strings.Join(problems, "; ")
	case d.AckedWrites == 0:
		res.Explanation = "no write to the resource was acknowledged, so nothing was tested"
	case d.Porcupine != string(porcupine.Ok):
		res.Explanation = "the linearizability check of the resource did not finish in time; raise --check-timeout"
	default:
		res.Valid = Valid
		res.Explanation = fmt.Sprintf("%d acknowledged writes, all kept, in token order; %d stale writes refused", d.AckedWrites, d.StaleRefused)
	}
	return res
}

// fencedOperations turns the resource's pairs into porcupine operations.
// Failed operations observed nothing and are left out, as are reads of
// unknown outcome (placed last, they change nothing).
func fencedOperations(pairs []Pair) ([]porcupine.Operation, *FencedDetails, error) {
	d := &FencedDetails{}
	var out []porcupine.Operation
	for _, p := range pairs {
		f := p.Invoke.F
		if f != fencedRead && f != fencedWrite {
			continue
		}
		if p.Outcome() == history.Fail {
			if f == fencedWrite {
				d.StaleRefused++
			}
			continue
		}
		in, err := fencedArg(p.Invoke)
		if err != nil {
			return nil, nil, err
		}
		o := fencedOutput{Type: p.Outcome()}
		ret := int64(Forever)
		switch {
		case p.Outcome() == history.Ok:
			ret = p.Completion.Time
			if f == fencedRead {
				v, _, err := p.Completion.Int()
				if err != nil {
					return nil, nil, fmt.Errorf("%w: %v", ErrBadHistory, err)
				}
				o.Value = v
				if !in.Fenced {
					d.FinalValue = &v
				}
			} else {
				d.AckedWrites++
			}
		case f == fencedRead:
			continue
		default:
			d.UnknownWrite++
		}
		out = append(out, porcupine.Operation{ClientId: p.Invoke.Process, Input: in, Call: p.Invoke.Time, Output: o, Return: ret})
	}
	d.Ops = len(out)
	return out, d, nil
}

func fencedArg(inv history.Op) (fencedInput, error) {
	in := fencedInput{F: inv.F}
	if len(inv.Value) == 0 {
		if inv.F == fencedWrite {
			return in, fmt.Errorf("%w: op %d: a write without {\"token\", \"value\"}", ErrBadHistory, inv.Index)
		}
		return in, nil // the final read
	}
	var v struct {
		Token *int64 `json:"token"`
		Value int64  `json:"value"`
	}
	if err := json.Unmarshal(inv.Value, &v); err != nil || v.Token == nil {
		return in, fmt.Errorf("%w: op %d: value %s is not {\"token\": …}", ErrBadHistory, inv.Index, inv.Value)
	}
	in.Fenced, in.Token, in.Value = true, *v.Token, v.Value
	return in, nil
}

// lostUpdates finds values written by more than one acknowledged write.
func lostUpdates(pairs []Pair) []LostUpdate {
	byValue := map[int64]*LostUpdate{}
	var order []int64
	for _, p := range pairs {
		if p.Invoke.F != fencedWrite || p.Outcome() != history.Ok {
			continue
		}
		in, err := fencedArg(p.Invoke)
		if err != nil {
			continue
		}
		lu, ok := byValue[in.Value]
		if !ok {
			lu = &LostUpdate{Value: in.Value}
			byValue[in.Value] = lu
			order = append(order, in.Value)
		}
		lu.Writes = append(lu.Writes, p.Completion.Index)
		lu.Tokens = append(lu.Tokens, in.Token)
	}
	var out []LostUpdate
	for _, v := range order {
		if lu := byValue[v]; len(lu.Writes) > 1 {
			out = append(out, *lu)
		}
	}
	slices.SortFunc(out, func(a, b LostUpdate) int { return cmp.Compare(a.Writes[1], b.Writes[1]) })
	return out
}
