package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

const bms = int64(time.Millisecond)

// breakerFixture builds a breaker history op by op.
type breakerFixture struct {
	ops []history.Op
	now int64
}

func (f *breakerFixture) add(op history.Op) int64 {
	op.Index = int64(len(f.ops))
	if op.Time == 0 {
		f.now += bms
		op.Time = f.now
	}
	f.ops = append(f.ops, op)
	return op.Index
}

const breakerObserver = 1000

func (f *breakerFixture) config(c BreakerConfig) {
	f.add(history.Op{Process: breakerObserver, Type: history.Invoke, F: BreakerConfigF})
	f.add(history.Op{Process: breakerObserver, Type: history.Ok, F: BreakerConfigF, Value: history.MustValue(c)})
}

// call records one call that completes ok with v; it returns the index of
// the completion.
func (f *breakerFixture) call(process int, v BreakerCall) int64 {
	f.add(history.Op{Process: process, Type: history.Invoke, F: BreakerCallF})
	return f.add(history.Op{Process: process, Type: history.Ok, F: BreakerCallF, Value: history.MustValue(v)})
}

func (f *breakerFixture) transition(from, to string, gen uint64) int64 {
	f.add(history.Op{Process: breakerObserver + 1, Type: history.Invoke, F: BreakerTransitionF})
	return f.add(history.Op{Process: breakerObserver + 1, Type: history.Ok, F: BreakerTransitionF,
		Value: history.MustValue(BreakerTransition{From: from, To: to, Gen: gen, At: f.now})})
}

func (f *breakerFixture) wait(d time.Duration) { f.now += int64(d) }

func atNs(ns int64) *int64 { return &ns }

func closedBreakerResult(gen, seq uint64, outcome string) BreakerCall {
	return BreakerCall{Admitted: true, State: BreakerClosed, Gen: gen, Outcome: outcome, Seq: seq}
}

func consecutiveBreaker(threshold int) BreakerConfig {
	return BreakerConfig{BreakerSettings: history.BreakerSettings{Enabled: true, Policy: history.BreakerPolicyConsecutive,
		FailureThreshold: threshold, Timeout: time.Second, HalfOpenMaxCalls: 1, SuccessThreshold: 1}}
}

// breakerTripAndRecover is a conforming history of a breaker with
// failure_threshold 3, a 1s timeout and one trial call: it trips, rejects,
// lets a trial through, rejects a second trial, closes, and ignores a late
// result. marks names the interesting ops.
func breakerTripAndRecover(threshold int) (*breakerFixture, map[string]int64) {
	f := &breakerFixture{}
	marks := map[string]int64{}
	f.config(consecutiveBreaker(3))
	f.call(0, closedBreakerResult(0, 1, BreakerSuccess))
	for i := range threshold {
		marks["failure"+string(rune('1'+i))] = f.call(0, closedBreakerResult(0, uint64(2+i), BreakerFailure))
	}
	marks["open"] = f.transition(BreakerClosed, BreakerOpen, 1)
	opened := f.now
	f.wait(500 * time.Millisecond)
	marks["rejected"] = f.call(1, BreakerCall{State: BreakerOpen, Gen: 1, Outcome: BreakerRejected, Reason: BreakerRejectOpen, At: atNs(f.now)})
	f.now = opened + int64(time.Second)
	marks["half-open"] = f.transition(BreakerOpen, BreakerHalfOpen, 2)
	f.call(2, BreakerCall{State: BreakerHalfOpen, Gen: 2, AdmitSeq: 2, Outcome: BreakerRejected, Reason: BreakerRejectTrials})
	marks["trial"] = f.call(1, BreakerCall{Admitted: true, State: BreakerHalfOpen, Gen: 2, AdmitSeq: 1, Outcome: BreakerSuccess, Seq: 3})
	marks["close"] = f.transition(BreakerHalfOpen, BreakerClosed, 3)
	f.call(3, BreakerCall{Admitted: true, State: BreakerClosed, Gen: 0, Outcome: BreakerFailure, Late: true})
	f.call(0, closedBreakerResult(3, 1, BreakerSuccess))
	return f, marks
}

func checkBreakerHistory(t *testing.T, ops []history.Op, cfg *BreakerConfig) (Result, *BreakerDetails) {
	t.Helper()
	r := BreakerChecker{Config: cfg}.Check(context.Background(), ops)
	require.Equal(t, "breaker", r.Checker)
	d, ok := r.Details.(*BreakerDetails)
	require.True(t, ok)
	return r, d
}

func TestBreakerConformingHistory(t *testing.T) {
	f, _ := breakerTripAndRecover(3)
	r, d := checkBreakerHistory(t, f.ops, nil)
	require.Equal(t, Valid, r.Valid, r.Explanation)
	assert.Equal(t, 4, d.Generations)
	assert.Equal(t, 1, d.Protection.RejectedOpen)
	assert.Equal(t, 1, d.Protection.RejectedTrials)
	assert.Equal(t, 1, d.Protection.Opens)
}

func TestBreakerWrongThresholdReportsTheFirstNonConformingDecision(t *testing.T) {
	t.Run("breaker opened at 3, model says 5", func(t *testing.T) {
		f, marks := breakerTripAndRecover(3)
		r, d := checkBreakerHistory(t, f.ops, breakerPtr(consecutiveBreaker(5)))
		require.Equal(t, Invalid, r.Valid)
		assert.Equal(t, marks["open"], d.First.Index)
		assert.Contains(t, d.First.Why, "3 consecutive failures, failure_threshold 5")
	})
	t.Run("breaker opened at 5, model says 3", func(t *testing.T) {
		f, marks := breakerTripAndRecover(5)
		r, d := checkBreakerHistory(t, f.ops, breakerPtr(consecutiveBreaker(3)))
		require.Equal(t, Invalid, r.Valid)
		assert.Equal(t, marks["failure4"], d.First.Index, "the fourth failure was counted after the breaker should have opened")
		assert.Contains(t, d.First.Why, "should have left it at op")
		assert.Contains(t, r.Explanation, "op ")
	})
}

func breakerPtr[T any](v T) *T { return &v }

// mutateBreakerCall rewrites the value of the call completed at index.
func mutateBreakerCall(t *testing.T, ops []history.Op, index int64, edit func(*BreakerCall)) {
	t.Helper()
	var v BreakerCall
	require.NoError(t, json.Unmarshal(ops[index].Value, &v))
	edit(&v)
	ops[index].Value = history.MustValue(v)
}

func mutateBreakerTransition(t *testing.T, ops []history.Op, index int64, edit func(*BreakerTransition)) {
	t.Helper()
	var v BreakerTransition
	require.NoError(t, json.Unmarshal(ops[index].Value, &v))
	edit(&v)
	ops[index].Value = history.MustValue(v)
}

func TestBreakerMutatedDecisions(t *testing.T) {
	tests := []struct {
		name   string
		mark   string // the op whose violation comes first
		offset int64  // … counted from this mark
		mutate func(t *testing.T, ops []history.Op, marks map[string]int64)
		why    string
	}{
		{"rejected after the delay", "rejected", 0, func(t *testing.T, ops []history.Op, m map[string]int64) {
			mutateBreakerCall(t, ops, m["rejected"], func(v *BreakerCall) { *v.At += int64(time.Second) })
		}, "it should have admitted a trial call"},
		{"half-open too early", "half-open", 0, func(t *testing.T, ops []history.Op, m map[string]int64) {
			mutateBreakerTransition(t, ops, m["half-open"], func(v *BreakerTransition) { v.At -= 10 * bms })
		}, "the timeout (open delay) is 1s"},
		{"admitted while open", "rejected", 0, func(t *testing.T, ops []history.Op, m map[string]int64) {
			mutateBreakerCall(t, ops, m["rejected"], func(v *BreakerCall) {
				*v = BreakerCall{Admitted: true, State: BreakerOpen, Gen: 1, Outcome: BreakerSuccess, Seq: 1}
			})
		}, "admitted while OPEN"},
		{"illegal edge", "open", 0, func(t *testing.T, ops []history.Op, m map[string]int64) {
			mutateBreakerTransition(t, ops, m["open"], func(v *BreakerTransition) { v.To = BreakerHalfOpen })
		}, "illegal transition CLOSED → HALF_OPEN"},
		{"second trial admitted", "trial", -2, func(t *testing.T, ops []history.Op, m map[string]int64) {
			mutateBreakerCall(t, ops, m["trial"]-2, func(v *BreakerCall) { // the trials rejection becomes an admission
				*v = BreakerCall{Admitted: true, State: BreakerHalfOpen, Gen: 2, AdmitSeq: 2, Outcome: BreakerSuccess, Late: true}
			})
		}, "admitted a trial call while 1 of 1 were already in use"},
		{"opened without a trip", "open", 0, func(t *testing.T, ops []history.Op, m map[string]int64) {
			mutateBreakerCall(t, ops, m["failure3"], func(v *BreakerCall) { v.Outcome = BreakerSuccess })
			mutateBreakerCall(t, ops, m["failure2"], func(v *BreakerCall) { v.Outcome = BreakerSuccess })
		}, "model stays CLOSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, marks := breakerTripAndRecover(3)
			tt.mutate(t, f.ops, marks)
			r, d := checkBreakerHistory(t, f.ops, nil)
			require.Equal(t, Invalid, r.Valid, r.Explanation)
			assert.Contains(t, d.First.Why, tt.why)
			assert.Equal(t, marks[tt.mark]+tt.offset, d.First.Index)
		})
	}
}

func TestBreakerWindows(t *testing.T) {
	window := func(policy string) BreakerConfig {
		return BreakerConfig{BreakerSettings: history.BreakerSettings{Enabled: true, Policy: policy,
			FailureRatePercent: 50, MinCalls: 4, WindowSize: 4, WindowDuration: 4 * time.Second, WindowBuckets: 4,
			Timeout: time.Second, HalfOpenMaxCalls: 1, SuccessThreshold: 1}}
	}
	build := func(policy string, outcomes []string, spacing time.Duration) *breakerFixture {
		f := &breakerFixture{}
		f.config(window(policy))
		for i, o := range outcomes {
			f.wait(spacing)
			f.call(0, BreakerCall{Admitted: true, State: BreakerClosed, Outcome: o, Seq: uint64(i + 1), At: atNs(f.now + bms)})
		}
		return f
	}
	s, x := BreakerSuccess, BreakerFailure
	tests := []struct {
		name     string
		policy   string
		outcomes []string
		spacing  time.Duration
		opens    bool // the history has the breaker open after the last result
		want     Validity
	}{
		{"count: no trip before min calls", history.BreakerPolicyCountWindow, []string{x, x, x}, 0, false, Valid},
		{"count: trips at 50% of 4", history.BreakerPolicyCountWindow, []string{s, s, x, x}, 0, true, Valid},
		{"count: must trip", history.BreakerPolicyCountWindow, []string{s, s, x, x}, 0, false, Invalid},
		{"count: old results leave the window", history.BreakerPolicyCountWindow, []string{x, x, s, s, s, x}, 0, false, Valid},
		{"count: opened too early", history.BreakerPolicyCountWindow, []string{x, x, x}, 0, true, Invalid},
		{"time: trips within the window", history.BreakerPolicyTimeWindow, []string{s, x, s, x}, 100 * time.Millisecond, true, Valid},
		{"time: results expire", history.BreakerPolicyTimeWindow, []string{x, x, x, s, x}, 1500 * time.Millisecond, false, Valid},
		{"time: opened although expired", history.BreakerPolicyTimeWindow, []string{x, x, x, s, x}, 1500 * time.Millisecond, true, Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := build(tt.policy, tt.outcomes, tt.spacing)
			if tt.opens {
				f.transition(BreakerClosed, BreakerOpen, 1)
			}
			r, _ := checkBreakerHistory(t, f.ops, nil)
			assert.Equal(t, tt.want, r.Valid, r.Explanation)
		})
	}
}

func TestBreakerUnknownAndDisabled(t *testing.T) {
	t.Run("no config", func(t *testing.T) {
		f := &breakerFixture{}
		f.call(0, closedBreakerResult(0, 1, BreakerSuccess))
		r, _ := checkBreakerHistory(t, f.ops, nil)
		assert.Equal(t, Unknown, r.Valid)
		assert.Contains(t, r.Explanation, "no breaker configuration")
	})
	t.Run("no calls", func(t *testing.T) {
		f := &breakerFixture{}
		f.config(consecutiveBreaker(3))
		r, _ := checkBreakerHistory(t, f.ops, nil)
		assert.Equal(t, Unknown, r.Valid)
	})
	t.Run("a call that never completed leaves a gap", func(t *testing.T) {
		f := &breakerFixture{}
		f.config(consecutiveBreaker(3))
		f.add(history.Op{Process: 5, Type: history.Invoke, F: BreakerCallF})
		f.call(0, closedBreakerResult(0, 2, BreakerSuccess))
		r, _ := checkBreakerHistory(t, f.ops, nil)
		assert.Equal(t, Unknown, r.Valid, r.Explanation)
	})
	t.Run("gap without excuse", func(t *testing.T) {
		f := &breakerFixture{}
		f.config(consecutiveBreaker(3))
		f.call(0, closedBreakerResult(0, 2, BreakerSuccess))
		r, _ := checkBreakerHistory(t, f.ops, nil)
		assert.Equal(t, Invalid, r.Valid, r.Explanation)
	})
	t.Run("breaker off", func(t *testing.T) {
		f := &breakerFixture{}
		f.config(BreakerConfig{})
		f.call(0, BreakerCall{Admitted: true, Outcome: BreakerFailure, Downstream: "timeout"})
		r, _ := checkBreakerHistory(t, f.ops, nil)
		assert.Equal(t, Valid, r.Valid, r.Explanation)
		f.call(0, BreakerCall{Outcome: BreakerRejected, Reason: BreakerRejectOpen})
		r, _ = checkBreakerHistory(t, f.ops, nil)
		assert.Equal(t, Invalid, r.Valid, r.Explanation)
	})
}

func TestBreakerProtection(t *testing.T) {
	f, _ := breakerTripAndRecover(3)
	// A fault from before the failures to after the rejection.
	f.ops = nil
	f.now = 0
	f.config(consecutiveBreaker(1))
	f.add(history.Op{Process: history.NemesisProcess, Type: history.Info, F: "partition", Value: history.MustValue(map[string]int{"id": 1})})
	f.call(0, closedBreakerResult(0, 1, BreakerFailure))
	f.transition(BreakerClosed, BreakerOpen, 1)
	for range 3 {
		f.call(1, BreakerCall{State: BreakerOpen, Gen: 1, Outcome: BreakerRejected, Reason: BreakerRejectOpen, At: atNs(f.now + bms)})
	}
	f.add(history.Op{Process: history.NemesisProcess, Type: history.Info, F: history.FaultHeal, Value: history.MustValue(map[string]int{"id": 1})})
	f.call(1, BreakerCall{State: BreakerOpen, Gen: 1, Outcome: BreakerRejected, Reason: BreakerRejectOpen, At: atNs(f.now + bms)})
	r, d := checkBreakerHistory(t, f.ops, nil)
	require.Equal(t, Valid, r.Valid, r.Explanation)
	p := d.Protection
	assert.Equal(t, 5, p.Calls)
	assert.Equal(t, 4, p.RejectedOpen)
	assert.Equal(t, 3, p.ShedDuringFaults)
	assert.Equal(t, 4, p.CallsDuringFaults)
	assert.Equal(t, 4, p.LatencyDuringFaults.Count)
	assert.Equal(t, bms, p.LatencyDuringFaults.P50)
	assert.Equal(t, []int64{3 * bms}, p.TimeToOpen) // the fault, the call's two ops, the transition's invoke
}

func FuzzBreakerChecker(f *testing.F) {
	fx, _ := breakerTripAndRecover(3)
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	for _, op := range fx.ops {
		_, err := w.Write(op)
		require.NoError(f, err)
	}
	require.NoError(f, w.Close())
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := history.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		r := BreakerChecker{}.Check(context.Background(), h.Ops)
		if r.Valid == Invalid {
			d := r.Details.(*BreakerDetails)
			require.NotNil(t, d.First, "an invalid verdict names the first violation")
		}
	})
}

func TestCompareBreakerProtection(t *testing.T) {
	with := BreakerProtection{CallsDuringFaults: 10, ShedDuringFaults: 8,
		AdmittedDuringFaults: BreakerLatency{Count: 2},
		LatencyDuringFaults:  BreakerLatency{Count: 10, P50: 10 * bms, P99: 100 * bms}}
	without := BreakerProtection{CallsDuringFaults: 10, AdmittedDuringFaults: BreakerLatency{Count: 10},
		LatencyDuringFaults: BreakerLatency{Count: 10, P50: 250 * bms, P99: 300 * bms}}
	c := CompareBreakerProtection(with, without)
	assert.InDelta(t, 25.0, c.P50Speedup, 1e-9)
	assert.InDelta(t, 3.0, c.P99Speedup, 1e-9)
	assert.InDelta(t, 0.8, c.DownstreamCallsSaved, 1e-9)
	assert.Contains(t, c.Summary, "shed 8 of 10 calls")
	assert.Zero(t, CompareBreakerProtection(BreakerProtection{}, without).P50Speedup)
}

// TestBreakerConfigOfAStoredHistory reads the breaker-config op as the
// workload wrote it before the settings were declared in history (zero
// settings left out, no epoch): the settings come out as they were, the
// ones left out are zero, and the epoch is the op's time plus its offset.
func TestBreakerConfigOfAStoredHistory(t *testing.T) {
	stored := `{"index":0,"time":2437060,"process":2097152,"type":"invoke","f":"breaker-config","value":null}
{"index":1,"time":2621080,"process":2097152,"type":"ok","f":"breaker-config","value":{"enabled":true,"policy":"consecutive","failure_threshold":5,"failure_rate_percent":50,"min_calls":10,"window_size":20,"window_duration":10000000000,"window_buckets":10,"timeout":1000000000,"half_open_max_calls":3,"success_threshold":2,"epoch_offset":-2544264}}
`
	h, err := history.Read(strings.NewReader(stored))
	require.NoError(t, err)
	bh, err := parseBreakerHistory(h.Ops)
	require.NoError(t, err)
	want := BreakerConfig{
		BreakerSettings: history.BreakerSettings{
			Enabled: true, Policy: history.BreakerPolicyConsecutive, FailureThreshold: 5,
			FailureRatePercent: 50, MinCalls: 10, WindowSize: 20, WindowDuration: 10 * time.Second, WindowBuckets: 10,
			Timeout: time.Second, HalfOpenMaxCalls: 3, SuccessThreshold: 2,
		},
		Epoch:       2621080 - 2544264,
		EpochOffset: breakerPtr(int64(-2544264)),
	}
	assert.Equal(t, &want, bh.config)
}

func TestBreakerConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*history.BreakerSettings)
		want string // in the error; "" for none
	}{
		{"consecutive", func(*history.BreakerSettings) {}, ""},
		{"off, whatever the rest", func(s *history.BreakerSettings) { *s = history.BreakerSettings{} }, ""},
		{"unknown policy", func(s *history.BreakerSettings) { s.Policy = "sometimes" }, `policy "sometimes"`},
		{"no threshold", func(s *history.BreakerSettings) { s.FailureThreshold = 0 }, "failure_threshold 0"},
		{"rate above 100", func(s *history.BreakerSettings) {
			s.Policy, s.FailureRatePercent, s.MinCalls, s.WindowSize = history.BreakerPolicyCountWindow, 101, 1, 1
		}, "failure_rate_percent 101"},
		{"empty count window", func(s *history.BreakerSettings) {
			s.Policy, s.FailureRatePercent, s.MinCalls = history.BreakerPolicyCountWindow, 50, 1
		}, "window_size 0"},
		{"no buckets", func(s *history.BreakerSettings) {
			s.Policy, s.FailureRatePercent, s.MinCalls, s.WindowDuration = history.BreakerPolicyTimeWindow, 50, 1, time.Second
		}, "window_buckets"},
		{"no timeout", func(s *history.BreakerSettings) { s.Timeout = 0 }, "timeout 0s"},
		{"more successes than trials", func(s *history.BreakerSettings) { s.SuccessThreshold = 2 }, "success_threshold 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := consecutiveBreaker(3)
			tt.edit(&cfg.BreakerSettings)
			err := validateBreakerConfig(&cfg)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrOptions)
			require.ErrorIs(t, err, history.ErrBadConfig)
			assert.Contains(t, err.Error(), tt.want)

			f := &breakerFixture{}
			f.config(cfg)
			f.call(0, closedBreakerResult(0, 1, BreakerSuccess))
			r, _ := checkBreakerHistory(t, f.ops, nil)
			assert.Equal(t, Unknown, r.Valid, "settings the model cannot run with are no verdict")
			assert.Contains(t, r.Explanation, tt.want)
		})
	}
}
