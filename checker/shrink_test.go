package checker

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// The tests here check a shrink's result on their own terms — they re-check
// the shrunk history, re-apply the rule and try every single removal —
// rather than trusting the result's Minimal flag.

// opsBuilder writes small register histories by hand: each call adds one
// operation, its invoke at t0 and its completion at t1 (ns); entries are
// sorted into time order by build.
type opsBuilder struct{ ops []history.Op }

// add records an operation. typ is its completion (ok, fail, info, or
// invoke for one never completed); in is the invoke's value, out the
// completion's.
func (b *opsBuilder) add(proc int, f, key string, in any, t0, t1 int64, typ history.Type, out any, errText string) *opsBuilder {
	b.ops = append(b.ops, history.Op{Time: t0, Process: proc, Type: history.Invoke, F: f, Key: key, Value: history.MustValue(in)})
	if typ != history.Invoke {
		b.ops = append(b.ops, history.Op{Time: t1, Process: proc, Type: typ, F: f, Key: key, Value: history.MustValue(out), Error: errText, Node: fmt.Sprintf("n%d", proc%3+1)})
	}
	return b
}

func (b *opsBuilder) write(proc int, key string, v, t0, t1 int64) *opsBuilder {
	return b.add(proc, FWrite, key, v, t0, t1, history.Ok, v, "")
}

func (b *opsBuilder) read(proc int, key string, v any, t0, t1 int64) *opsBuilder {
	return b.add(proc, FRead, key, nil, t0, t1, history.Ok, v, "")
}

func (b *opsBuilder) build() []history.Op {
	ops := slices.Clone(b.ops)
	slices.SortStableFunc(ops, func(a, b history.Op) int { return cmp.Compare(a.Time, b.Time) })
	for i := range ops {
		ops[i].Index = int64(i)
	}
	return ops
}

// observation is what the test itself reads out of one register pair,
// parsed apart from the checker's own code.
type observation struct {
	pair       Pair
	f          string
	effect     bool   // a write or cas that may have taken effect
	definite   bool   // ok: it surely took effect
	wrote      *int64 // what it may have written
	casFrom    *int64 // a cas's expected value (nil: absent)
	needs      *int64 // a value it saw, that some write must have written
	mismatch   bool   // a cas that saw some value other than casFrom
	call, ret  int64  // ret is MaxInt64 when the outcome is unknown
	observable bool   // the checker sees it at all
}

func observe(t *testing.T, p Pair) observation {
	t.Helper()
	o := observation{pair: p, f: p.Invoke.F, observable: true, call: p.Invoke.Time, ret: math.MaxInt64}
	outcome := p.Outcome()
	o.mismatch = outcome == history.Fail && p.Completion.Error == history.ErrorMismatch
	if outcome == history.Fail && !o.mismatch || p.Invoke.F == FRead && outcome == history.Info {
		o.observable = false
		return o
	}
	if outcome != history.Info {
		o.ret = p.Completion.Time
	}
	o.definite = outcome == history.Ok
	decode := func(raw json.RawMessage, into any) {
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		require.NoError(t, json.Unmarshal(raw, into), "value %s", raw)
	}
	switch p.Invoke.F {
	case FRead:
		decode(p.Completion.Value, &o.needs)
	case FWrite:
		decode(p.Invoke.Value, &o.wrote)
		o.effect = true
	case FCas:
		var pair [2]*int64
		decode(p.Invoke.Value, &pair)
		o.casFrom, o.wrote = pair[0], pair[1]
		o.effect = !o.mismatch
		if outcome == history.Ok {
			o.needs = pair[0]
		}
	}
	return o
}

// rule is the shrink's rule, as the test reads it: a kept read keeps a
// write of the value it read, a kept cas a write of the value it expected
// (and a cas writes only once what it expects exists), a cas that failed
// with a mismatch a write of another value begun before it returned — or,
// when it expected a value, a register that may still have been absent.
// Operations that nothing in the original history explains are exempt,
// by the invoke index: no subset can explain them.
type rule struct{ exempt map[int64]bool }

func newRule(t *testing.T, original []observation) rule {
	t.Helper()
	r := rule{exempt: map[int64]bool{}}
	for grew := true; grew; {
		grew = false
		values := r.values(original)
		for _, o := range original {
			if !r.exempt[o.pair.Invoke.Index] && !r.explained(o, original, values) {
				r.exempt[o.pair.Invoke.Index], grew = true, true
			}
		}
	}
	return r
}

func (r rule) writes(o observation, values map[int64]bool) bool {
	return o.effect && (o.f == FWrite || o.casFrom == nil || values[*o.casFrom] || r.exempt[o.pair.Invoke.Index])
}

// values are the values the operations may have written.
func (r rule) values(obs []observation) map[int64]bool {
	values := map[int64]bool{}
	for grew := true; grew; {
		grew = false
		for _, o := range obs {
			if !values[*maybe(o.wrote)] && r.writes(o, values) {
				values[*o.wrote], grew = true, true
			}
		}
	}
	return values
}

func maybe(p *int64) *int64 {
	if p == nil {
		return new(int64)
	}
	return p
}

func (r rule) explained(o observation, obs []observation, values map[int64]bool) bool {
	switch {
	case o.needs != nil:
		return values[*o.needs]
	case !o.mismatch:
		return true
	}
	for _, w := range obs {
		if w.pair.Invoke.Index != o.pair.Invoke.Index && r.writes(w, values) && w.call < o.ret && (o.casFrom == nil || *w.wrote != *o.casFrom) {
			return true
		}
	}
	if o.casFrom == nil {
		return false
	}
	for _, w := range obs { // may the register still have been absent?
		if w.pair.Invoke.Index != o.pair.Invoke.Index && r.writes(w, values) && w.definite && w.ret < o.call {
			return false
		}
	}
	return true
}

// apply drops the operations whose observation nothing kept explains, until
// none is left.
func (r rule) apply(obs []observation) []observation {
	for {
		values := r.values(obs)
		kept := slices.DeleteFunc(slices.Clone(obs), func(o observation) bool {
			return !r.exempt[o.pair.Invoke.Index] && !r.explained(o, obs, values)
		})
		if len(kept) == len(obs) {
			return obs
		}
		obs = kept
	}
}

func observations(t *testing.T, ops []history.Op, key string) []observation {
	t.Helper()
	pairs, err := Pairs(ops)
	require.NoError(t, err)
	var obs []observation
	for _, p := range pairs {
		if o := observe(t, p); o.observable && p.Invoke.Key == key {
			obs = append(obs, o)
		}
	}
	return obs
}

// entriesOf are the history entries of obs, in time order, indexed afresh.
func entriesOf(obs []observation) []history.Op {
	var ops []history.Op
	for _, o := range obs {
		ops = append(ops, o.pair.Invoke)
		if !o.pair.Open {
			ops = append(ops, o.pair.Completion)
		}
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Index < ops[j].Index })
	for i := range ops {
		ops[i].Index = int64(i)
	}
	return ops
}

func linearizable(t *testing.T, ops []history.Op) Validity {
	t.Helper()
	return LinearizableChecker{TimeLimit: 30 * time.Second}.Check(context.Background(), ops).Valid
}

// requireShrunk checks a shrink of original: the shrunk history parses,
// is the original's own entries, is not linearizable, keeps to the rule,
// and becomes linearizable when any one operation is removed (with what
// the rule then drops).
func requireShrunk(t *testing.T, original []history.Op, res *ShrinkResult) []history.Op {
	t.Helper()
	raw, err := res.History()
	require.NoError(t, err)
	h, err := history.Read(bytes.NewReader(raw))
	require.NoError(t, err, "shrunk.jsonl must parse with the history reader")
	require.False(t, h.TornTail)
	require.Len(t, h.Ops, len(res.OriginalIndexes))
	byIndex := map[int64]history.Op{}
	for _, op := range original {
		byIndex[op.Index] = op
	}
	for i, op := range h.Ops {
		src, ok := byIndex[res.OriginalIndexes[i]]
		require.True(t, ok)
		src.Index = op.Index
		require.Equal(t, src, op, "a shrunk entry is an original entry, only renumbered")
		require.Equal(t, res.Key, op.Key)
	}
	require.Equal(t, Invalid, linearizable(t, h.Ops), "the shrunk history must still be invalid")

	r := newRule(t, observations(t, original, res.Key))
	withOriginalIndexes := slices.Clone(h.Ops)
	for i := range withOriginalIndexes {
		withOriginalIndexes[i].Index = res.OriginalIndexes[i] // the rule's exemptions name them so
	}
	kept := observations(t, withOriginalIndexes, res.Key)
	require.Len(t, kept, res.After)
	require.Len(t, r.apply(kept), len(kept), "every kept read's value was written by a kept operation")

	for i := range kept {
		rest := r.apply(slices.Delete(slices.Clone(kept), i, i+1))
		assert.Equal(t, Valid, linearizable(t, entriesOf(rest)),
			"removing %s %s (op %d) leaves an invalid history: not 1-minimal", kept[i].f, kept[i].pair.Invoke.Value, kept[i].pair.Invoke.Index)
	}
	return h.Ops
}

// TestShrinkConformanceHistories shrinks every invalid Jepsen etcd history
// of the shared corpus.
func TestShrinkConformanceHistories(t *testing.T) {
	dir := conformanceDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	require.NoError(t, err)
	var expected map[string]bool
	require.NoError(t, json.Unmarshal(raw, &expected))
	var names []string
	for name, valid := range expected {
		if !valid {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if testing.Short() {
		names = names[:10]
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			h, err := history.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			res, err := Shrink(context.Background(), h.Ops, ShrinkOptions{})
			require.NoError(t, err)
			requireShrunk(t, h.Ops, res)
			assert.True(t, res.Minimal, res.Line())
			assert.Less(t, res.After, res.Before)
			assert.True(t, strings.HasPrefix(res.Explanation, "key r: "), res.Explanation)
		})
	}
}

// staleRead makes a linearizable history invalid with one stale read: an
// ok read returns the value of a write that another write had overwritten
// before the read began. It returns the read's and the stale write's
// invoke indexes.
func staleRead(t *testing.T, ops []history.Op) (read, stale int64, value int64) {
	t.Helper()
	pairs, err := Pairs(ops)
	require.NoError(t, err)
	var writes []Pair
	for _, p := range pairs {
		if p.Invoke.F == FWrite && p.Outcome() == history.Ok {
			writes = append(writes, p)
		}
	}
	for _, r := range slices.Backward(pairs) {
		if r.Invoke.F != FRead || r.Outcome() != history.Ok {
			continue
		}
		for _, a := range writes {
			for _, b := range writes {
				if a.Invoke.Key == r.Invoke.Key && b.Invoke.Key == r.Invoke.Key &&
					a.Completion.Time < b.Invoke.Time && b.Completion.Time < r.Invoke.Time {
					v, _, err := a.Invoke.Int()
					require.NoError(t, err)
					ops[r.Completion.Index].Value = history.MustValue(v)
					return r.Invoke.Index, a.Invoke.Index, v
				}
			}
		}
	}
	t.Fatal("no read to make stale in the generated history")
	return 0, 0, 0
}

// TestShrinkGeneratedStaleRead: a stale read planted in a generated
// history shrinks to the read, the write it returned and an operation that
// shows that write was overwritten.
func TestShrinkGeneratedStaleRead(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ops := genRegisterHistory(genSpec{Seed: seed, Ops: 600, Keys: 3, Procs: 6, Corrupt: -1, Faults: 50, InfoPct: 3, FailPct: 3})
			require.Equal(t, Valid, linearizable(t, ops), "the generated history is linearizable before the stale read")
			read, stale, v := staleRead(t, ops)
			require.Equal(t, Invalid, linearizable(t, ops))

			res, err := Shrink(context.Background(), ops, ShrinkOptions{})
			require.NoError(t, err)
			shrunk := requireShrunk(t, ops, res)
			assert.True(t, res.Minimal, res.Line())
			assert.Contains(t, res.OriginalIndexes, read, "the stale read is what makes the history invalid: it must be kept")
			assert.Contains(t, res.OriginalIndexes, stale, "the rule keeps the write the stale read returned")
			assert.GreaterOrEqual(t, len(shrunk)/2, 3)
			assert.LessOrEqual(t, res.After, 4, res.Explanation)
			assert.Contains(t, res.Explanation, fmt.Sprintf("returned %d", v))
		})
	}
}

// TestShrinkKeepsTheWriteAReadSaw: without the rule each of these would
// shrink to one operation that reads or expects a value nobody wrote —
// blaming the wrong thing. With it, the write that was overwritten stays.
func TestShrinkKeepsTheWriteAReadSaw(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []history.Op
		want []int64 // the invoke times of the operations that must remain
		says string
	}{
		{
			name: "stale read",
			ops: (&opsBuilder{}).write(0, "x", 1, 0, 10).write(1, "x", 2, 20, 30).read(3, "x", 2, 35, 38).
				read(2, "x", 1, 40, 50).write(0, "x", 3, 60, 70).read(1, "x", 3, 80, 90).build(),
			want: []int64{0, 20, 40},
			says: "returned 1, but the write of 2 by process 1 on n2 had completed at 30ns, before it began, and that write had itself begun after the write of 1 by process 0 on n1 completed at 10ns",
		},
		{
			name: "stale cas",
			ops: (&opsBuilder{}).write(0, "x", 1, 0, 10).add(1, FCas, "x", []int64{1, 5}, 20, 30, history.Ok, []int64{1, 5}, "").
				read(2, "x", 1, 40, 50).read(3, "x", 1, 5, 8).build(),
			want: []int64{0, 20, 40},
			says: "the cas 1→5 by process 1 on n2 had succeeded at 30ns, before it began",
		},
		{
			name: "a read of a value only an unknown write wrote",
			ops: (&opsBuilder{}).add(0, FWrite, "y", 5, 0, 0, history.Info, 5, "timeout").read(1, "y", 5, 10, 20).
				read(2, "y", nil, 30, 40).write(4, "y", 6, 50, 60).build(),
			want: []int64{0, 10, 30},
			says: "the read by process 2 on n3 (from 30ns to 40ns) returned null",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, Invalid, linearizable(t, tc.ops))
			res, err := Shrink(context.Background(), tc.ops, ShrinkOptions{})
			require.NoError(t, err)
			shrunk := requireShrunk(t, tc.ops, res)
			var got []int64
			for _, op := range shrunk {
				if op.Type == history.Invoke {
					got = append(got, op.Time)
				}
			}
			assert.Equal(t, tc.want, got)
			assert.Contains(t, res.Explanation, tc.says)
		})
	}
}

// TestShrinkReadOfAValueNobodyWrote: a read of a value no operation wrote
// is invalid by itself; the rule does not ask for a write there is none of.
func TestShrinkReadOfAValueNobodyWrote(t *testing.T) {
	ops := (&opsBuilder{}).write(0, "k", 1, 0, 10).read(1, "k", 1, 20, 30).read(2, "k", 7, 40, 50).
		add(0, FWrite, "k", 7, 60, 70, history.Fail, 7, "not leader").build()
	res, err := Shrink(context.Background(), ops, ShrinkOptions{})
	require.NoError(t, err)
	requireShrunk(t, ops, res)
	assert.Equal(t, 1, res.After)
	assert.Contains(t, res.Explanation, "returned 7, but no operation that may have taken effect wrote 7")
}

// TestShrinkPicksAKey: the failing key with the fewest operations, unless
// one is asked for.
func TestShrinkPicksAKey(t *testing.T) {
	b := &opsBuilder{}
	for i := range int64(10) { // key a: long and stale at its end
		b.write(0, "a", i+1, 100*i, 100*i+10)
	}
	b.read(1, "a", 1, 2000, 2010)
	b.write(2, "b", 1, 0, 10).write(2, "b", 2, 20, 30).read(3, "b", 1, 40, 50) // key b: short and stale
	b.write(4, "c", 1, 0, 10).read(4, "c", 1, 20, 30)                          // key c: fine
	ops := b.build()

	res, err := Shrink(context.Background(), ops, ShrinkOptions{})
	require.NoError(t, err)
	assert.Equal(t, "b", res.Key)
	assert.Equal(t, 3, res.Before)

	res, err = Shrink(context.Background(), ops, ShrinkOptions{Key: "a"})
	require.NoError(t, err)
	assert.Equal(t, "a", res.Key)
	requireShrunk(t, ops, res)

	_, err = Shrink(context.Background(), ops, ShrinkOptions{Key: "c"})
	require.ErrorIs(t, err, ErrNotInvalid)
	_, err = Shrink(context.Background(), ops, ShrinkOptions{Key: "zz"})
	require.ErrorIs(t, err, ErrOptions)
}

// TestShrinkRefuses: nothing to shrink in a valid or undecided history; a
// history that is not a register history, or breaks the format, is bad.
func TestShrinkRefuses(t *testing.T) {
	valid := genRegisterHistory(genSpec{Seed: 7, Ops: 300, Keys: 4, Procs: 5, Corrupt: -1, InfoPct: 2, FailPct: 2})
	_, err := Shrink(context.Background(), valid, ShrinkOptions{})
	require.ErrorIs(t, err, ErrNotInvalid)
	assert.Contains(t, err.Error(), "all 4 keys are linearizable")

	invalid := genRegisterHistory(genSpec{Seed: 7, Ops: 300, Keys: 4, Procs: 5, Corrupt: 3})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Shrink(ctx, invalid, ShrinkOptions{})
	require.ErrorIs(t, err, ErrNotInvalid, "a shrink that cannot check anything decides nothing")
	assert.Contains(t, err.Error(), "could not be decided")

	lock := []history.Op{
		{Index: 0, Time: 1, Process: 0, Type: history.Invoke, F: "acquire", Key: "l"},
		{Index: 1, Time: 2, Process: 0, Type: history.Ok, F: "acquire", Key: "l"},
	}
	_, err = Shrink(context.Background(), lock, ShrinkOptions{})
	require.ErrorIs(t, err, ErrBadHistory)

	badValue := (&opsBuilder{}).add(0, FWrite, "x", "five", 0, 10, history.Ok, "five", "").build()
	_, err = Shrink(context.Background(), badValue, ShrinkOptions{})
	require.ErrorIs(t, err, ErrBadHistory)

	orphan := []history.Op{{Index: 0, Time: 1, Process: 3, Type: history.Ok, F: FRead, Key: "x"}}
	_, err = Shrink(context.Background(), orphan, ShrinkOptions{})
	require.ErrorIs(t, err, ErrBadHistory)

	_, err = Shrink(context.Background(), invalid, ShrinkOptions{Timeout: -time.Second})
	require.ErrorIs(t, err, ErrOptions)
}

// TestShrinkStopsAtItsTimeBound: a shrink cut short keeps what it found —
// still invalid — and does not claim it is 1-minimal. (Which step the
// bound stops is up to the machine; the test asserts no timing.)
func TestShrinkStopsAtItsTimeBound(t *testing.T) {
	ops := genRegisterHistory(genSpec{Seed: 3, Ops: 400, Keys: 1, Procs: 6, Corrupt: 40})
	s, err := newShrinker(context.Background(), ops, ShrinkOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	s.ctx = ctx
	cancel() // the deadline passes right after the key was found
	res := s.shrink()
	assert.True(t, res.TimedOut)
	assert.False(t, res.Minimal)
	assert.Equal(t, res.Before, res.After)
	assert.Contains(t, res.Line(), "time bound ran out")
	require.Equal(t, Invalid, linearizable(t, res.Ops))
}

// TestShrinkFiles: shrunk.jsonl reads back, shrunk.json says what was
// found, and shrunk.svg is well-formed XML that draws every kept operation.
func TestShrinkFiles(t *testing.T) {
	ops := (&opsBuilder{}).write(0, "x", 1, 0, 10e6).write(1, "x", 2, 20e6, 30e6).read(2, "x", 1, 1.2e9, 1.3e9).
		add(4, FWrite, "x", 9, 1.25e9, 1.4e9, history.Info, 9, "timeout").build()
	res, err := Shrink(context.Background(), ops, ShrinkOptions{})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, res.WriteFiles(dir))

	h, err := history.ReadFile(filepath.Join(dir, ShrunkHistoryFile))
	require.NoError(t, err)
	assert.Len(t, h.Ops, 2*res.After)

	var doc map[string]any
	raw, err := os.ReadFile(filepath.Join(dir, ShrunkFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, float64(res.Before), doc["ops_before"])
	assert.Equal(t, float64(res.After), doc["ops_after"])
	assert.Equal(t, true, doc["minimal"])
	assert.Equal(t, res.Explanation, doc["explanation"])
	assert.NotEmpty(t, doc["elapsed"])

	svg, err := os.ReadFile(filepath.Join(dir, ShrunkSVGFile))
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "shrunk.svg must be well-formed")
	}
	for _, want := range []string{"write 1", "write 2", "read → 1", "process 2 · n3", "seconds since the first", "#e06060"} {
		assert.Contains(t, string(svg), want)
	}

	sum, err := Check(context.Background(), ops, DefaultOptions())
	require.NoError(t, err)
	require.NoError(t, sum.WriteReport(filepath.Join(dir, ReportFile)))
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<img src="shrunk.svg"`, "report.html shows the shrunk operations once a shrink wrote them")
	assert.Contains(t, string(page), template.HTMLEscapeString(res.Explanation))
}
