package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

func TestCheckVerdicts(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		opts      func(*Options)
		want      Validity
		verdict   string
		wantFault int
	}{
		{name: "valid register run", fixture: "with-faults-ok", want: Valid,
			verdict: "VALID: 2 ops (2 ok, 0 fail, 0 info), 1 fault", wantFault: 1},
		{name: "invalid register run", fixture: "with-faults-bad", want: Invalid,
			verdict: "INVALID: linearizability: key x: read by process 1", wantFault: 1},
		{name: "valid run without faults", fixture: "stale-read-ok", want: Valid,
			verdict: "VALID: 3 ops (3 ok, 0 fail, 0 info), 0 faults"},
		{name: "requested fault never injected", fixture: "with-faults-ok", want: Unknown,
			opts:    func(o *Options) { o.RequestedFaults = []string{"partition", "pause"} },
			verdict: "UNKNOWN: coverage: fault pause was requested but never injected", wantFault: 1},
		{name: "requested fault injected", fixture: "with-faults-ok", want: Valid,
			opts: func(o *Options) { o.RequestedFaults = []string{"partition"} }, verdict: "VALID: ", wantFault: 1},
		{name: "invalid beats unknown", fixture: "with-faults-bad", want: Invalid,
			opts:    func(o *Options) { o.RequestedFaults = []string{"kill"} },
			verdict: "INVALID: linearizability: ", wantFault: 1},
		{name: "torn tail is said", fixture: "stale-read-ok", want: Valid,
			opts:    func(o *Options) { o.TornTail = true },
			verdict: "(the history's torn last line was dropped)"},
		{name: "extra checker joins the verdict", fixture: "stale-read-ok", want: Invalid,
			opts:    func(o *Options) { o.Checkers = []Checker{fixedChecker{Invalid}} },
			verdict: "INVALID: fixed: said so"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			s, err := Check(context.Background(), readFixture(t, tt.fixture), opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Valid)
			assert.Contains(t, s.VerdictLine(), tt.verdict)
			assert.Equal(t, s.VerdictLine(), s.Verdict)
			assert.Len(t, s.Faults.Windows, tt.wantFault)
		})
	}
}

// fixedChecker says what it is told, to test how verdicts merge.
type fixedChecker struct{ v Validity }

func (fixedChecker) Name() string { return "fixed" }
func (c fixedChecker) Check(context.Context, []history.Op) Result {
	return Result{Checker: "fixed", Valid: c.v, Explanation: "said so"}
}

func TestCheckTooLittleWork(t *testing.T) {
	op := func(i int64, p int, typ history.Type, f string, v any, errS string) history.Op {
		return history.Op{Index: i, Time: i * 1000, Process: p, Type: typ, F: f, Key: "k", Value: history.MustValue(v), Error: errS}
	}
	nem := func(i int64, f string, id int) history.Op {
		return history.Op{Index: i, Time: i * 1000, Process: history.NemesisProcess, Type: history.Info, F: f, Value: history.MustValue(map[string]int{"id": id})}
	}
	tests := []struct {
		name string
		ops  []history.Op
		want string
	}{
		{"nothing succeeded", []history.Op{
			op(0, 0, history.Invoke, FWrite, 1, ""), op(1, 0, history.Fail, FWrite, 1, "no leader"),
		}, "UNKNOWN: stats: too little work: no client operation succeeded"},
		{"nothing succeeded during the fault", []history.Op{
			op(0, 0, history.Invoke, FWrite, 1, ""), op(1, 0, history.Ok, FWrite, 1, ""),
			nem(2, "partition", 1),
			op(3, 0, history.Invoke, FWrite, 2, ""), op(4, 0, history.Info, FWrite, 2, "timeout"),
			nem(5, "heal", 1),
			op(6, 1, history.Invoke, FRead, nil, ""), op(7, 1, history.Ok, FRead, 2, ""),
		}, "UNKNOWN: stats: too little work: no client operation succeeded while a fault was active"},
		{"empty history", nil, "UNKNOWN: stats: too little work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Check(context.Background(), tt.ops, DefaultOptions())
			require.NoError(t, err)
			assert.Equal(t, Unknown, s.Valid)
			assert.Contains(t, s.VerdictLine(), tt.want)
		})
	}
}

func TestCheckRejectsBadInput(t *testing.T) {
	inv := func(i int64, p int) history.Op {
		return history.Op{Index: i, Time: i, Process: p, Type: history.Invoke, F: FRead, Key: "k"}
	}
	done := func(i int64, p int, f string) history.Op {
		return history.Op{Index: i, Time: i, Process: p, Type: history.Ok, F: f, Key: "k"}
	}
	tests := []struct {
		name string
		ops  []history.Op
		want string
	}{
		{"two outstanding invokes", []history.Op{inv(0, 1), inv(1, 1)}, "process 1 invokes read while its read invoked at op 0 has not completed"},
		{"completion without invoke", []history.Op{done(0, 2, FRead)}, "op 0: ok of read by process 2 completes nothing"},
		{"completion of another f", []history.Op{inv(0, 1), done(1, 1, FWrite)}, "its outstanding invoke (op 0) is read"},
		{"completion before invoke", []history.Op{{Index: 0, Time: 5, Process: 1, Type: history.Invoke, F: FRead}, {Index: 1, Time: 4, Process: 1, Type: history.Ok, F: FRead}}, "before its invoke"},
		{"not a register history", []history.Op{
			{Index: 0, Process: 1, Type: history.Invoke, F: "acquire"}, {Index: 1, Process: 1, Type: history.Ok, F: "acquire"},
		}, "is this a register history?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(context.Background(), tt.ops, DefaultOptions())
			require.ErrorIs(t, err, ErrBadHistory)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"default", func(*Options) {}, ""},
		{"negative limit", func(o *Options) { o.TimeLimit = -1 }, "negative"},
		{"workload without checkers", func(o *Options) { o.Workload = "lock" }, `workload "lock" has no built-in checker`},
		{"workload with checkers", func(o *Options) { o.Workload = "lock"; o.Checkers = []Checker{fixedChecker{Valid}} }, ""},
		{"nil checker", func(o *Options) { o.Checkers = []Checker{nil} }, "checker 0 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.mod(&o)
			err := o.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrOptions)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestOtherWorkloadSkipsLinearizability(t *testing.T) {
	ops := []history.Op{
		{Index: 0, Process: 1, Type: history.Invoke, F: "acquire"}, {Index: 1, Time: 5, Process: 1, Type: history.Ok, F: "acquire"},
	}
	s, err := Check(context.Background(), ops, Options{Workload: "lock", Checkers: []Checker{fixedChecker{Valid}}})
	require.NoError(t, err)
	assert.Equal(t, Valid, s.Valid)
	names := []string{}
	for _, r := range s.Results {
		names = append(names, r.Checker)
	}
	assert.Equal(t, []string{"fixed", "stats", "coverage"}, names)
}

func TestSummaryWriteFile(t *testing.T) {
	s, err := Check(context.Background(), readFixture(t, "multi-key-bad"), DefaultOptions())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "summary.json")
	require.NoError(t, s.WriteFile(path))

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var got struct {
		Valid   json.RawMessage `json:"valid"`
		Verdict string          `json:"verdict"`
		Ops     OpCounts        `json:"ops"`
		Results []struct {
			Checker string          `json:"checker"`
			Valid   json.RawMessage `json:"valid"`
			Details map[string]any  `json:"details"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, "false", string(got.Valid))
	assert.Equal(t, s.VerdictLine(), got.Verdict)
	assert.Equal(t, OpCounts{Total: 4, Ok: 4}, got.Ops)
	require.Len(t, got.Results, 3)
	assert.Equal(t, "linearizability", got.Results[0].Checker)
	assert.Equal(t, "false", string(got.Results[0].Valid))
	assert.Equal(t, []any{"b"}, got.Results[0].Details["failed_keys"])
	assert.Equal(t, "true", string(got.Results[1].Valid))
	assert.Contains(t, got.Results[1].Details, "latencies")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")
}

func TestThousands(t *testing.T) {
	for in, want := range map[int]string{0: "0", 12: "12", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4321: "-4,321"} {
		assert.Equal(t, want, thousands(in))
	}
}

// TestCheckKilledRun reads a history cut off mid-line, as a SIGKILL leaves
// it, with an operation still outstanding, and checks it.
func TestCheckKilledRun(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "unfinished-write-ok.jsonl"))
	require.NoError(t, err)
	raw = append(raw, []byte(`{"index":3,"time":4000000,"process":1,"type":"inv`)...)
	h, err := history.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	require.True(t, h.TornTail)
	s, err := Check(context.Background(), h.Ops, Options{TornTail: h.TornTail})
	require.NoError(t, err)
	assert.Equal(t, Valid, s.Valid, s.VerdictLine())
	assert.Equal(t, OpCounts{Total: 2, Ok: 1, Info: 1, Open: 1}, s.Ops)
	assert.True(t, strings.HasSuffix(s.VerdictLine(), "(the history's torn last line was dropped)"))
}
