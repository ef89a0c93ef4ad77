package breaker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateNames(t *testing.T) {
	for s, name := range map[State]string{Closed: "CLOSED", Open: "OPEN", HalfOpen: "HALF_OPEN"} {
		assert.Equal(t, name, s.String())
		parsed, err := ParseState(name)
		require.NoError(t, err)
		assert.Equal(t, s, parsed)
	}
	_, err := ParseState("AJAR")
	assert.Error(t, err)
}

func TestConsecutiveFailuresTripExactlyAtThreshold(t *testing.T) {
	b, _, tr := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 3 })
	for range 2 {
		_, err := run(b, fail)
		require.ErrorIs(t, err, errDown)
	}
	_, err := run(b, succeed) // a success resets the run of failures
	require.NoError(t, err)
	for range 2 {
		_, _ = run(b, fail)
	}
	requireState(t, b, Closed)
	r, err := run(b, fail)
	require.ErrorIs(t, err, errDown)
	assert.Equal(t, Receipt{Admitted: true, State: Closed, Gen: 0, Outcome: Failure, Seq: 6}, r)
	requireState(t, b, Open)
	assert.Equal(t, []string{"CLOSED>OPEN"}, tr.edges())
}

func TestWindowsDoNotTripBeforeMinimumCalls(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"count window", func(c *Config) {
			c.Policy, c.WindowSize, c.MinCalls, c.FailureRatePercent = CountWindow, 20, 10, 50
		}},
		{"time window", func(c *Config) {
			c.Policy, c.WindowDuration, c.WindowBuckets, c.MinCalls, c.FailureRatePercent = TimeWindow, 10*time.Second, 10, 10, 50
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _, _ := newTestBreaker(t, tt.edit)
			for i := range 9 {
				_, _ = run(b, fail)
				requireState(t, b, Closed)
				_ = i
			}
			_, _ = run(b, fail) // the tenth result: 10 calls, 100% failed
			requireState(t, b, Open)
		})
	}
}

func TestCountWindowTripsAtRate(t *testing.T) {
	b, _, _ := newTestBreaker(t, func(c *Config) {
		c.Policy, c.WindowSize, c.MinCalls, c.FailureRatePercent = CountWindow, 4, 4, 50
	})
	// s s s f → 25%; then f evicts the first s: s s f f → 50% trips.
	for _, fn := range []func(context.Context) error{succeed, succeed, succeed, fail} {
		_, _ = run(b, fn)
	}
	requireState(t, b, Closed)
	_, _ = run(b, fail)
	requireState(t, b, Open)
}

func TestTimeWindowForgetsOldResults(t *testing.T) {
	b, clock, _ := newTestBreaker(t, func(c *Config) {
		c.Policy, c.WindowDuration, c.WindowBuckets, c.MinCalls, c.FailureRatePercent = TimeWindow, 10*time.Second, 10, 4, 100
	})
	for range 3 {
		_, _ = run(b, fail)
	}
	clock.Advance(10 * time.Second) // the three failures leave the window
	for range 3 {
		_, _ = run(b, fail)
	}
	requireState(t, b, Closed)
	r, _ := run(b, fail)
	requireState(t, b, Open)
	assert.Equal(t, t0.Add(10*time.Second), r.At)
}

func TestOpenRejectsWithoutCallingUntilTheDelay(t *testing.T) {
	b, clock, tr := newTestBreaker(t, func(c *Config) { c.FailureThreshold, c.Timeout = 1, 5*time.Second })
	_, _ = run(b, fail)
	called := false
	for _, wait := range []time.Duration{0, time.Second, 3*time.Second + 999*time.Millisecond} {
		clock.Advance(wait)
		r, err := run(b, func(context.Context) error { called = true; return nil })
		require.ErrorIs(t, err, ErrOpen)
		assert.True(t, IsRejection(err))
		assert.Equal(t, Receipt{State: Open, Gen: 1, Outcome: Rejected, At: clock.Now()}, r)
	}
	assert.False(t, called, "an open breaker must not run the call")
	clock.Advance(time.Millisecond) // exactly Timeout after opening
	r, err := run(b, succeed)
	require.NoError(t, err)
	assert.True(t, r.Admitted)
	assert.Equal(t, HalfOpen, r.State)
	assert.Equal(t, []string{"CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>CLOSED"}, tr.edges())
	assert.Equal(t, t0.Add(5*time.Second), tr.list()[1].At)
}

func TestHalfOpenTrialFailureReopens(t *testing.T) {
	b, clock, tr := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 1 })
	_, _ = run(b, fail)
	clock.Advance(c5s)
	_, err := run(b, fail)
	require.ErrorIs(t, err, errDown)
	requireState(t, b, Open)
	_, err = run(b, succeed)
	require.ErrorIs(t, err, ErrOpen, "the delay starts again")
	assert.Equal(t, []string{"CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>OPEN"}, tr.edges())
}

const c5s = 5 * time.Second

// held is a call parked inside the breaker until released.
type held struct {
	entered chan struct{}
	release chan error
	done    chan result
}

type result struct {
	r   Receipt
	err error
}

// hold starts a call that, if admitted, waits in fn for its result.
func hold(b *Breaker) *held {
	h := &held{entered: make(chan struct{}), release: make(chan error, 1), done: make(chan result, 1)}
	go func() {
		r, err := b.Run(context.Background(), func(context.Context) error {
			close(h.entered)
			return <-h.release
		})
		h.done <- result{r, err}
	}()
	return h
}

// admitted waits until the call is inside fn (true) or was rejected (false).
func (h *held) admitted(t *testing.T) (bool, result) {
	t.Helper()
	select {
	case <-h.entered:
		return true, result{}
	case res := <-h.done:
		return false, res
	case <-time.After(10 * time.Second):
		t.Error("call neither admitted nor rejected within 10s") // not Fatal: callers run on other goroutines
	}
	return false, result{}
}

func (h *held) finish(t *testing.T, err error) result {
	t.Helper()
	h.release <- err
	select {
	case res := <-h.done:
		return res
	case <-time.After(10 * time.Second):
		t.Error("call did not return within 10s")
	}
	return result{}
}

func TestHalfOpenAdmitsAtMostTheTrialsUnderConcurrency(t *testing.T) {
	const trials, callers = 3, 40
	b, clock, tr := newTestBreaker(t, func(c *Config) {
		c.FailureThreshold, c.HalfOpenMaxCalls, c.SuccessThreshold = 1, trials, trials
	})
	_, _ = run(b, fail)
	clock.Advance(c5s)

	start := make(chan struct{}) // the barrier: every caller asks at once
	var rejected atomic.Int64
	var wg sync.WaitGroup
	admittedCalls := make(chan *held, callers)
	for range callers {
		wg.Go(func() {
			<-start
			h := hold(b)
			ok, res := h.admitted(t)
			if ok {
				admittedCalls <- h
				return
			}
			assert.ErrorIs(t, res.err, ErrTooManyTrials)
			rejected.Add(1)
		})
	}
	close(start)
	wg.Wait()
	close(admittedCalls)
	var in []*held
	for h := range admittedCalls {
		in = append(in, h)
	}
	require.Len(t, in, trials)
	assert.Equal(t, int64(callers-trials), rejected.Load())
	for i, h := range in {
		res := h.finish(t, nil)
		assert.False(t, res.r.Late)
		if i < trials-1 {
			requireState(t, b, HalfOpen)
		}
	}
	requireState(t, b, Closed)
	assert.Equal(t, []string{"CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>CLOSED"}, tr.edges())
}

func TestIgnoredTrialGivesItsPlaceBack(t *testing.T) {
	b, clock, _ := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 1 })
	_, _ = run(b, fail)
	clock.Advance(c5s)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := b.Run(ctx, func(context.Context) error { cancel(); return context.Canceled })
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, Ignored, r.Outcome)
	requireState(t, b, HalfOpen)
	r, err = run(b, succeed)
	require.NoError(t, err, "the trial place is free again")
	assert.Equal(t, uint64(4), r.Seq) // admit 1, ignored 2, admit 3, success 4
	requireState(t, b, Closed)
}

func TestLateResultsFromAnEarlierGenerationAreIgnored(t *testing.T) {
	b, clock, tr := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 2 })
	slowFailure := hold(b) // admitted while CLOSED, generation 0
	ok, _ := slowFailure.admitted(t)
	require.True(t, ok)
	slowSuccess := hold(b)
	ok, _ = slowSuccess.admitted(t)
	require.True(t, ok)

	_, _ = run(b, fail)
	_, _ = run(b, fail) // trips: generation 1, OPEN
	clock.Advance(c5s)
	trial := hold(b) // generation 2, HALF_OPEN
	ok, _ = trial.admitted(t)
	require.True(t, ok)

	res := slowSuccess.finish(t, nil)
	assert.True(t, res.r.Late, "a success from generation 0 must not close the breaker")
	requireState(t, b, HalfOpen)
	res = slowFailure.finish(t, errDown)
	assert.True(t, res.r.Late, "a failure from generation 0 must not reopen it")
	assert.Equal(t, uint64(0), res.r.Seq)
	requireState(t, b, HalfOpen)
	trial.finish(t, nil)
	requireState(t, b, Closed)
	assert.Equal(t, []string{"CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>CLOSED"}, tr.edges())
}

func TestPanicCountsAsFailureAndIsReraised(t *testing.T) {
	b, _, tr := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 1 })
	assert.PanicsWithValue(t, "boom", func() {
		_ = b.Execute(context.Background(), func(context.Context) error { panic("boom") })
	})
	requireState(t, b, Open)
	assert.Equal(t, []string{"CLOSED>OPEN"}, tr.edges())
}

func TestClassifier(t *testing.T) {
	errBusiness := errors.New("not found")
	tests := []struct {
		name     string
		classify Classifier
		cancel   bool // the caller cancels its own ctx
		err      error
		want     Outcome
	}{
		{"nil is success", nil, false, nil, Success},
		{"error is failure", nil, false, errDown, Failure},
		{"deadline is failure", nil, false, context.DeadlineExceeded, Failure},
		{"caller's cancel is ignored", nil, true, context.Canceled, Ignored},
		{"downstream's cancel is failure", nil, false, context.Canceled, Failure},
		{"custom: business error is success", func(ctx context.Context, err error) Outcome {
			if errors.Is(err, errBusiness) {
				return Success
			}
			return DefaultClassifier(ctx, err)
		}, false, errBusiness, Success},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _, _ := newTestBreaker(t, func(c *Config) { c.FailureThreshold, c.Classify = 1, tt.classify })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r, err := b.Run(ctx, func(context.Context) error {
				if tt.cancel {
					cancel()
				}
				return tt.err
			})
			require.ErrorIs(t, err, tt.err)
			assert.Equal(t, tt.want, r.Outcome)
			want := Closed
			if tt.want == Failure {
				want = Open
			}
			requireState(t, b, want)
		})
	}
}

func TestCancelledCallerIsNotAdmitted(t *testing.T) {
	b, _, _ := newTestBreaker(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	r, err := b.Run(ctx, func(context.Context) error { called = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, called)
	assert.False(t, r.Admitted)
}

func TestSlowCallsCountAsFailures(t *testing.T) {
	b, clock, _ := newTestBreaker(t, func(c *Config) { c.FailureThreshold, c.SlowCallDuration = 2, time.Second })
	quick := func(context.Context) error { clock.Advance(999 * time.Millisecond); return nil }
	slow := func(context.Context) error { clock.Advance(time.Second); return nil }
	r, _ := run(b, slow)
	assert.Equal(t, Slow, r.Outcome)
	r, _ = run(b, quick)
	assert.Equal(t, Success, r.Outcome)
	_, _ = run(b, slow)
	requireState(t, b, Closed)
	_, _ = run(b, slow)
	requireState(t, b, Open)
}

func TestOneCallbackPerRealTransition(t *testing.T) {
	// Many callers fail at once past the threshold: one CLOSED>OPEN only,
	// and the results that arrive after it are late.
	const callers = 32
	b, clock, tr := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 4 })
	var calls []*held
	for range callers {
		h := hold(b)
		ok, _ := h.admitted(t)
		require.True(t, ok)
		calls = append(calls, h)
	}
	var late atomic.Int64
	var wg sync.WaitGroup
	for _, h := range calls {
		wg.Go(func() {
			if h.finish(t, errDown).r.Late {
				late.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, []string{"CLOSED>OPEN"}, tr.edges())
	assert.Equal(t, int64(callers-4), late.Load())
	clock.Advance(c5s)
	_, _ = run(b, succeed)
	gens := []uint64{}
	for _, x := range tr.list() {
		gens = append(gens, x.Gen)
	}
	assert.Equal(t, []uint64{1, 2, 3}, gens)
}

func TestParallelCallsAreCountedExactly(t *testing.T) {
	const workers, perWorker = 8, 1000
	metrics := NewMetrics("test", "parallel")
	b, _, tr := newTestBreaker(t, func(c *Config) {
		c.FailureThreshold, c.Timeout, c.Metrics = 3, time.Hour, metrics
	})
	var admitted, rejected, failures, successes, late atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				fn := succeed
				if (w+i)%3 == 0 {
					fn = fail
				}
				r, err := run(b, fn)
				switch {
				case errors.Is(err, ErrOpen):
					rejected.Add(1)
					continue
				case r.Outcome == Failure:
					failures.Add(1)
				default:
					successes.Add(1)
				}
				admitted.Add(1)
				if r.Late {
					late.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(workers*perWorker), admitted.Load()+rejected.Load())
	assert.Equal(t, float64(successes.Load()), counterValue(t, metrics, "success"))
	assert.Equal(t, float64(failures.Load()), counterValue(t, metrics, "failure"))
	assert.Equal(t, float64(rejected.Load()), counterValue(t, metrics, "rejected_open"))
	// With an hour-long delay the breaker opens at most once and stays open.
	state, gen := b.State()
	assert.LessOrEqual(t, gen, uint64(1))
	assert.Len(t, tr.list(), int(gen))
	if state == Open {
		assert.Positive(t, rejected.Load())
	}
}

func TestDoReturnsTheValue(t *testing.T) {
	b, _, _ := newTestBreaker(t, func(c *Config) { c.FailureThreshold = 1 })
	v, err := Do(context.Background(), b, func(context.Context) (int, error) { return 42, nil })
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	_, err = Do(context.Background(), b, func(context.Context) (string, error) { return "", errDown })
	require.ErrorIs(t, err, errDown)
	v, err = Do(context.Background(), b, func(context.Context) (int, error) { return 7, nil })
	require.ErrorIs(t, err, ErrOpen)
	assert.Zero(t, v)
	assert.Equal(t, `breaker "breaker" OPEN (generation 1)`, b.String())
}
