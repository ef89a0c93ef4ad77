package checker

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/faultline/faultline/history"
)

// genSpec describes a generated register history.
type genSpec struct {
	Seed  uint64
	Ops   int // client operations
	Keys  int
	Procs int // concurrent workers
	// Corrupt, when ≥ 0, makes the Corrupt-th read return a value nobody
	// wrote, so the history is not linearizable.
	Corrupt int
	// Faults adds a partition window every this many ops (0: none).
	Faults int
	// InfoPct and FailPct are the percentages of operations that time out
	// (info) and fail. Infos stay open forever, so on a single long key
	// that is not linearizable they make porcupine's search explode.
	InfoPct, FailPct int
}

// genOp is one simulated operation: it takes effect at lp (if effect).
type genOp struct {
	proc            int
	call, lp, ret   int64
	f, key          string
	arg, expected   int64
	typ             history.Type
	effect          bool
	read            *int64
	mismatch        bool
	expectedPresent bool
}

// genRegisterHistory simulates a real register store under concurrent
// clients: every operation takes effect at one instant between its invoke
// and its completion, so the history is linearizable (unless Corrupt). A few
// operations time out (info, effect or not: the worker then continues as a
// new process) or fail without effect.
func genRegisterHistory(spec genSpec) []history.Op {
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5eed))
	var ops []*genOp
	recent := map[string][]int64{} // last values written per key, in generation order
	nextValue := int64(1)
	type worker struct {
		free int64
		proc int
	}
	workers := make([]worker, spec.Procs)
	for i := range workers {
		workers[i] = worker{free: rng.Int64N(100_000), proc: i}
	}
	for len(ops) < spec.Ops {
		w := &workers[rng.IntN(len(workers))]
		op := &genOp{proc: w.proc, key: fmt.Sprintf("k%d", rng.IntN(spec.Keys)), effect: true, typ: history.Ok}
		op.call = w.free + 1 + rng.Int64N(200_000) // after the previous completion
		op.lp = op.call + 1 + rng.Int64N(1_000_000)
		op.ret = op.lp + 1 + rng.Int64N(1_000_000)
		switch r := rng.IntN(10); {
		case r < 5:
			op.f = FRead
		case r < 8:
			op.f, op.arg = FWrite, nextValue
			nextValue++
			recent[op.key] = append(recent[op.key], op.arg)
			if n := len(recent[op.key]); n > 3 {
				recent[op.key] = recent[op.key][n-3:]
			}
		default:
			op.f, op.arg = FCas, nextValue
			nextValue++
			if vs := recent[op.key]; len(vs) > 0 {
				op.expected, op.expectedPresent = vs[rng.IntN(len(vs))], true
			}
		}
		switch r := rng.IntN(100); {
		case r < spec.InfoPct:
			op.typ, op.effect = history.Info, rng.IntN(2) == 0
		case r < spec.InfoPct+spec.FailPct && op.f != FCas:
			op.typ, op.effect = history.Fail, false
		}
		w.free = op.ret
		if op.typ == history.Info {
			w.proc += spec.Procs
		}
		ops = append(ops, op)
	}
	simulate(ops)
	if spec.Corrupt >= 0 {
		reads := 0
		for _, op := range ops {
			if op.f == FRead && op.typ == history.Ok {
				if reads == spec.Corrupt {
					bogus := int64(-1)
					op.read = &bogus
					break
				}
				reads++
			}
		}
	}
	return emit(ops, spec.Faults)
}

// simulate applies the operations that take effect in the order of their
// linearization points and records what each observed.
func simulate(ops []*genOp) {
	byLP := append([]*genOp(nil), ops...)
	sort.Slice(byLP, func(i, j int) bool { return byLP[i].lp < byLP[j].lp })
	state := map[string]int64{}
	for _, op := range byLP {
		if !op.effect {
			continue
		}
		cur, present := state[op.key]
		switch op.f {
		case FRead:
			if present {
				v := cur
				op.read = &v
			}
		case FWrite:
			state[op.key] = op.arg
		case FCas:
			if present == op.expectedPresent && cur == op.expected {
				state[op.key] = op.arg
			} else if op.typ == history.Ok {
				op.typ, op.mismatch = history.Fail, true
			}
		}
	}
}

type genEvent struct {
	t      int64
	op     *genOp
	invoke bool
}

type genEvents []genEvent

func (h genEvents) Len() int { return len(h) }
func (h genEvents) Less(i, j int) bool {
	return h[i].t < h[j].t || h[i].t == h[j].t && h[i].invoke && !h[j].invoke
}
func (h genEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *genEvents) Push(x any)   { *h = append(*h, x.(genEvent)) }
func (h *genEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// emit writes the invoke and completion of every operation in time order,
// with a partition window every `faults` operations.
func emit(ops []*genOp, faults int) []history.Op {
	var events genEvents
	for _, op := range ops {
		events = append(events, genEvent{op.call, op, true}, genEvent{op.ret, op, false})
	}
	heap.Init(&events)
	out := make([]history.Op, 0, 2*len(ops)+2*len(ops)/max(faults, 1))
	add := func(op history.Op) {
		op.Index = int64(len(out))
		out = append(out, op)
	}
	invokes, faultID, faultOpen := 0, 0, false
	for events.Len() > 0 {
		e := heap.Pop(&events).(genEvent)
		op := e.op
		if e.invoke {
			invokes++
			if faults > 0 && invokes%faults == 0 {
				if faultOpen {
					add(history.Op{Time: e.t, Process: history.NemesisProcess, Type: history.Info, F: history.FaultHeal, Value: history.MustValue(map[string]int{"id": faultID})})
				} else {
					faultID++
					add(history.Op{Time: e.t, Process: history.NemesisProcess, Type: history.Info, F: "partition", Value: history.MustValue(map[string]any{"id": faultID, "groups": [][]string{{"n1"}, {"n2", "n3"}}})})
				}
				faultOpen = !faultOpen
			}
		}
		h := history.Op{Time: e.t, Process: op.proc, F: op.f, Key: op.key}
		switch {
		case e.invoke:
			h.Type = history.Invoke
			switch op.f {
			case FWrite:
				h.Value = history.MustValue(op.arg)
			case FCas:
				h.Value = history.MustValue([]any{casExpected(op), op.arg})
			}
		default:
			h.Type = op.typ
			switch {
			case op.f == FRead && op.typ == history.Ok:
				h.Value = history.MustValue(op.read)
			case op.f == FWrite:
				h.Value = history.MustValue(op.arg)
			case op.f == FCas:
				h.Value = history.MustValue([]any{casExpected(op), op.arg})
			}
			switch {
			case op.mismatch:
				h.Error = history.ErrorMismatch
			case op.typ == history.Fail:
				h.Error = "not leader"
			case op.typ == history.Info:
				h.Error = "timeout"
			}
		}
		add(h)
	}
	return out
}

func casExpected(op *genOp) any {
	if !op.expectedPresent {
		return nil
	}
	return op.expected
}
