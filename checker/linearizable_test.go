package checker

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

func readFixture(t testing.TB, name string) []history.Op {
	t.Helper()
	h, err := history.ReadFile(filepath.Join("testdata", name+".jsonl"))
	require.NoError(t, err)
	return h.Ops
}

// TestRegisterFixtures runs the ok / bad fixture pairs of testdata/: the
// ok one of each pair is linearizable, the bad one is not, and the bad one
// names the failed key and its illegal operation.
func TestRegisterFixtures(t *testing.T) {
	tests := []struct {
		name      string
		failedKey string
		// illegal is what the explanation must say about the illegal op.
		illegal string
	}{
		{"stale-read", "x", "read by process 1"},
		{"lost-write", "x", "returned null"},
		{"cas-mismatch", "x", "cas 1→3 by process 1"},
		{"cas", "x", "cas 2→3 by process 1"},
		{"info-write-later", "x", "returned null"},
		{"info-write-never", "x", "returned 2"},
		{"unfinished-write", "x", "returned null"},
		{"failed-write", "x", "returned 1"},
		{"concurrent", "x", "read by process"},
		{"multi-key", "b", "key b: read by process 3"},
		{"with-faults", "x", "returned 3"},
	}
	c := LinearizableChecker{TimeLimit: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name+"/ok", func(t *testing.T) {
			res := c.Check(context.Background(), readFixture(t, tt.name+"-ok"))
			assert.Equal(t, Valid, res.Valid, res.Explanation)
			assert.Empty(t, res.Details.(*LinearizabilityDetails).FailedKeys)
		})
		t.Run(tt.name+"/bad", func(t *testing.T) {
			res := c.Check(context.Background(), readFixture(t, tt.name+"-bad"))
			require.Equal(t, Invalid, res.Valid, res.Explanation)
			d := res.Details.(*LinearizabilityDetails)
			assert.Equal(t, []string{tt.failedKey}, d.FailedKeys)
			assert.Equal(t, Invalid, d.PerKey[tt.failedKey])
			require.NotNil(t, d.FirstIllegal)
			assert.Equal(t, tt.failedKey, d.FirstIllegal.Key)
			assert.Contains(t, res.Explanation, tt.illegal)
			assert.Equal(t, d.FirstIllegal.Explanation, res.Explanation)
		})
	}
}

func TestRegisterOperationsDropsWhatObservedNothing(t *testing.T) {
	ops := readFixture(t, "failed-write-ok") // a failed write and a read
	pairs, err := Pairs(ops)
	require.NoError(t, err)
	pops, err := RegisterOperations(pairs)
	require.NoError(t, err)
	require.Len(t, pops, 1, "the failed write is dropped with its invoke")
	assert.Equal(t, FRead, pops[0].Input.(*regInput).F)

	info := readFixture(t, "info-write-never-ok")
	pairs, err = Pairs(info)
	require.NoError(t, err)
	pops, err = RegisterOperations(pairs)
	require.NoError(t, err)
	require.Len(t, pops, 3)
	assert.Equal(t, int64(Forever), pops[0].Return, "an info write stays open until the end of time")
}

func TestRegisterOperationsRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		f    string
		in   string
		out  string
		want string
	}{
		{"write of a string", FWrite, `"a"`, `"a"`, "want an integer"},
		{"write of null", FWrite, `null`, `null`, "want an integer"},
		{"cas of one value", FCas, `[1]`, `[1]`, "[expected, new]"},
		{"cas of three values", FCas, `[1,2,3]`, `[1,2,3]`, "[expected, new]"},
		{"cas without expected", FCas, `[,2]`, `[,2]`, "[expected, new]"},
		{"cas to null", FCas, `[1,null]`, `[1,null]`, "[expected, new]"},
		{"cas of an object", FCas, `{"a":1}`, `{"a":1}`, "[expected, new]"},
		{"read of an object", FRead, `null`, `{"v":1}`, "want an integer or null"},
		{"unknown f", "acquire", `null`, `null`, "not a register operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := []history.Op{
				{Index: 0, Time: 1, Process: 0, Type: history.Invoke, F: tt.f, Key: "k", Value: []byte(tt.in)},
				{Index: 1, Time: 2, Process: 0, Type: history.Ok, F: tt.f, Key: "k", Value: []byte(tt.out)},
			}
			pairs, err := Pairs(ops)
			require.NoError(t, err)
			_, err = RegisterOperations(pairs)
			require.ErrorIs(t, err, ErrBadHistory)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRegisterModelStep(t *testing.T) {
	absent, one := regValue{}, regValue{Set: true, V: 1}
	tests := []struct {
		name   string
		state  regValue
		in     regInput
		out    regOutput
		ok     bool
		result regValue
	}{
		{"read absent", absent, regInput{F: FRead}, regOutput{Read: absent}, true, absent},
		{"read wrong value", one, regInput{F: FRead}, regOutput{Read: regValue{Set: true, V: 2}}, false, one},
		{"write", absent, regInput{F: FWrite, New: 1}, regOutput{}, true, one},
		{"cas swaps", one, regInput{F: FCas, Arg: one, New: 2}, regOutput{}, true, regValue{Set: true, V: 2}},
		{"cas ok on other value", absent, regInput{F: FCas, Arg: one, New: 2}, regOutput{}, false, absent},
		{"cas mismatch observed", absent, regInput{F: FCas, Arg: one, New: 2}, regOutput{Outcome: outcomeMismatch}, true, absent},
		{"cas mismatch impossible", one, regInput{F: FCas, Arg: one, New: 2}, regOutput{Outcome: outcomeMismatch}, false, one},
		{"unknown cas swaps", one, regInput{F: FCas, Arg: one, New: 2}, regOutput{Outcome: outcomeUnknown}, true, regValue{Set: true, V: 2}},
		{"unknown cas without effect", absent, regInput{F: FCas, Arg: one, New: 2}, regOutput{Outcome: outcomeUnknown}, true, absent},
		{"cas from absent", absent, regInput{F: FCas, Arg: absent, New: 1}, regOutput{}, true, one},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, next := stepRegister(tt.state, &tt.in, &tt.out)
			assert.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, tt.result, next)
			}
		})
	}
}

func TestLinearizableTimeoutIsUnknown(t *testing.T) {
	// A single-key history hard enough that 1 ms cannot decide it: many
	// concurrent writes and reads of values that force a deep search.
	ops := hardHistory(12)
	c := LinearizableChecker{TimeLimit: time.Millisecond}
	res := c.Check(context.Background(), ops)
	require.Equal(t, Unknown, res.Valid, res.Explanation)
	assert.Contains(t, res.Explanation, "linearizability check timed out after 1ms")
}

func TestLinearizableHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer time.AfterFunc(20*time.Millisecond, cancel).Stop() // once the search is under way
	res := LinearizableChecker{TimeLimit: time.Hour}.Check(ctx, hardHistory(14))
	require.Equal(t, Unknown, res.Valid, res.Explanation)
	assert.Contains(t, res.Explanation, "stopped after")
}

// hardHistory is n writes all concurrent with one another and with a read
// of a value nobody wrote — which makes porcupine try every order before
// it can say Illegal.
func hardHistory(n int) []history.Op {
	var ops []history.Op
	add := func(p int, typ history.Type, f string, v any) {
		ops = append(ops, history.Op{Index: int64(len(ops)), Time: int64(len(ops)), Process: p, Type: typ, F: f, Key: "k", Value: history.MustValue(v)})
	}
	for p := 0; p < n; p++ {
		add(p, history.Invoke, FWrite, p)
	}
	for p := n; p < 2*n; p++ {
		add(p, history.Invoke, FRead, nil)
	}
	for p := n; p < 2*n; p++ {
		add(p, history.Ok, FRead, (p-n+1)%n)
	}
	add(2*n, history.Invoke, FRead, nil)
	add(2*n, history.Ok, FRead, 1000)
	for p := 0; p < n; p++ {
		add(p, history.Ok, FWrite, p)
	}
	return ops
}

func TestRegisterModelIsPorcupineCompatible(t *testing.T) {
	pairs, err := Pairs(readFixture(t, "multi-key-bad"))
	require.NoError(t, err)
	pops, err := RegisterOperations(pairs)
	require.NoError(t, err)
	assert.False(t, porcupine.CheckOperations(RegisterModel(), pops))
	parts := partitionByKey(pops)
	require.Len(t, parts, 2)
	assert.True(t, strings.HasPrefix(RegisterModel().DescribeOperation(parts[0][0].Input, parts[0][0].Output), "write 1"))
}

func TestParseCas(t *testing.T) {
	tests := []struct {
		in       string
		expected regValue
		new      int64
		err      bool
	}{
		{`[1,2]`, regValue{Set: true, V: 1}, 2, false},
		{`[ 3 , 4 ]`, regValue{Set: true, V: 3}, 4, false},
		{`[null,5]`, regValue{}, 5, false},
		{`[-7,-8]`, regValue{Set: true, V: -7}, -8, false},
		{`[1.5,2]`, regValue{}, 0, true},
		{`[1,2,3]`, regValue{}, 0, true},
		{`[,2]`, regValue{}, 0, true},
		{`[1,null]`, regValue{}, 0, true},
		{`"[1,2]"`, regValue{}, 0, true},
		{``, regValue{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			expected, n, err := parseCas([]byte(tt.in))
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.expected, expected)
			assert.Equal(t, tt.new, n)
		})
	}
}
