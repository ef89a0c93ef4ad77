package breaker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// model is an executable sequential specification of the breaker, written
// apart from the implementation: one call at a time, time handed in.
type model struct {
	cfg       Config
	state     State
	gen, seq  uint64
	openUntil int64
	failRun   int
	recent    []bool      // count window: the last WindowSize results
	timed     []timedItem // time window: every result still in the window
	trials    int
	successes int
	edges     []Transition
}

type timedItem struct {
	bucket int64
	failed bool
}

// decision is what both the model and the breaker say about one step.
type decision struct {
	Admitted bool
	State    State
	Gen      uint64
	AdmitSeq uint64
	Outcome  Outcome
	Late     bool
	Seq      uint64
	Err      error
}

func (m *model) move(to State, now int64) {
	m.edges = append(m.edges, Transition{Name: m.cfg.Name, From: m.state, To: to, Gen: m.gen + 1, At: t0.Add(time.Duration(now))})
	m.state, m.gen, m.seq, m.trials, m.successes = to, m.gen+1, 0, 0, 0
	if to == Open {
		m.openUntil = now + int64(m.cfg.Timeout)
	}
	if to == Closed {
		m.failRun, m.recent, m.timed = 0, nil, nil
	}
}

func (m *model) admit(now int64) decision {
	if m.state == Closed {
		return decision{Admitted: true, State: Closed, Gen: m.gen}
	}
	if m.state == Open {
		if now < m.openUntil {
			return decision{State: Open, Gen: m.gen, Outcome: Rejected, Err: ErrOpen}
		}
		m.move(HalfOpen, now)
	}
	m.seq++
	if m.trials == m.cfg.HalfOpenMaxCalls {
		return decision{State: HalfOpen, Gen: m.gen, AdmitSeq: m.seq, Outcome: Rejected, Err: ErrTooManyTrials}
	}
	m.trials++
	return decision{Admitted: true, State: HalfOpen, Gen: m.gen, AdmitSeq: m.seq}
}

// result applies the result of a call admitted as adm at start, reported at now.
func (m *model) result(adm decision, start, now int64, o Outcome) decision {
	if o == Success && m.cfg.SlowCallDuration > 0 && now-start >= int64(m.cfg.SlowCallDuration) {
		o = Slow
	}
	d := adm
	d.Outcome = o
	if adm.Gen != m.gen {
		d.Late = true
		return d
	}
	m.seq++
	d.Seq = m.seq
	failed := o == Failure || o == Slow
	switch {
	case o == Ignored && m.state == HalfOpen:
		m.trials--
	case o == Ignored:
	case m.state == HalfOpen && failed:
		m.move(Open, now)
	case m.state == HalfOpen:
		m.successes++
		if m.successes == m.cfg.SuccessThreshold {
			m.move(Closed, now)
		}
	case m.trips(failed, now):
		m.move(Open, now)
	}
	return d
}

func (m *model) trips(failed bool, now int64) bool {
	var calls, failing int
	switch m.cfg.Policy {
	case ConsecutiveFailures:
		m.failRun++
		if !failed {
			m.failRun = 0
		}
		return m.failRun >= m.cfg.FailureThreshold
	case CountWindow:
		m.recent = append(m.recent, failed)
		if len(m.recent) > m.cfg.WindowSize {
			m.recent = m.recent[1:]
		}
		for _, f := range m.recent {
			calls++
			if f {
				failing++
			}
		}
	case TimeWindow:
		width := int64(m.cfg.WindowDuration) / int64(m.cfg.WindowBuckets)
		cur := now / width
		m.timed = append(m.timed, timedItem{cur, failed})
		kept := m.timed[:0]
		for _, it := range m.timed {
			if it.bucket > cur-int64(m.cfg.WindowBuckets) {
				kept = append(kept, it)
				calls++
				if it.failed {
					failing++
				}
			}
		}
		m.timed = kept
	}
	return failed && calls >= m.cfg.MinCalls && 100*failing >= m.cfg.FailureRatePercent*calls
}

var errIgnore = errors.New("ignore me")

// modelClassifier lets the driver ask for any outcome.
func modelClassifier(_ context.Context, err error) Outcome {
	switch {
	case err == nil:
		return Success
	case errors.Is(err, errIgnore):
		return Ignored
	}
	return Failure
}

// randomConfig picks small settings so that every state is visited often.
func randomConfig(rng *rand.Rand) Config {
	cfg := DefaultConfig()
	cfg.Policy = Policy(rng.IntN(3))
	cfg.FailureThreshold = 1 + rng.IntN(4)
	cfg.FailureRatePercent = 20 + rng.IntN(81)
	cfg.MinCalls = 1 + rng.IntN(5)
	cfg.WindowSize = cfg.MinCalls + rng.IntN(5)
	cfg.WindowDuration = time.Duration(1+rng.IntN(10)) * time.Second
	cfg.WindowBuckets = 1 + rng.IntN(5)
	if rng.IntN(2) == 0 {
		cfg.SlowCallDuration = time.Duration(1+rng.IntN(3)) * time.Second
	}
	cfg.Timeout = time.Duration(1+rng.IntN(5)) * time.Second
	cfg.HalfOpenMaxCalls = 1 + rng.IntN(4)
	cfg.SuccessThreshold = 1 + rng.IntN(cfg.HalfOpenMaxCalls)
	cfg.Classify = modelClassifier
	return cfg
}

type pendingCall struct {
	h     *held
	adm   decision
	start int64
}

// driveAgainstModel runs steps random steps on a breaker and the model with
// the same calls and clock, and fails at the first decision they disagree on.
func driveAgainstModel(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f64656c))
	cfg := randomConfig(rng)
	clock := NewFakeClock(t0)
	tr := &transitions{}
	cfg.Clock, cfg.OnStateChange = clock, tr.add
	b, err := New(cfg)
	require.NoError(t, err)
	m := &model{cfg: cfg}
	var pending []pendingCall
	now := func() int64 { return int64(clock.Now().Sub(t0)) }
	where := func(step int) string { return fmt.Sprintf("seed %d step %d, config %+v", seed, step, cfg) }

	for step := range steps {
		switch r := rng.IntN(10); {
		case r < 4: // a new call
			want := m.admit(now())
			h := hold(b)
			admitted, res := h.admitted(t)
			got := decision{Admitted: admitted, Err: res.err}
			if admitted {
				got.State, got.Gen, got.AdmitSeq = want.State, want.Gen, want.AdmitSeq // read back on finish
				pending = append(pending, pendingCall{h: h, adm: want, start: now()})
			} else {
				got = receiptDecision(res)
			}
			require.Equal(t, want.Admitted, got.Admitted, "admission at %s", where(step))
			if !admitted {
				require.Equal(t, want, got, "rejection at %s", where(step))
			}
		case r < 8 && len(pending) > 0: // a result comes back
			i := rng.IntN(len(pending))
			p := pending[i]
			pending = append(pending[:i], pending[i+1:]...)
			outcome := Outcome(rng.IntN(3)) // success, failure, or (2 →) ignored
			var callErr error
			switch outcome {
			case Failure:
				callErr = errDown
			case Slow:
				outcome, callErr = Ignored, errIgnore
			}
			want := m.result(p.adm, p.start, now(), outcome)
			want.Err = callErr
			got := receiptDecision(p.h.finish(t, callErr))
			require.Equal(t, want, got, "result at %s", where(step))
		default:
			clock.Advance(time.Duration(rng.IntN(1500)) * time.Millisecond)
		}
		require.Equal(t, m.edges, tr.list(), "transitions at %s", where(step))
		state, gen := b.State()
		require.Equal(t, decision{State: m.state, Gen: m.gen}, decision{State: state, Gen: gen}, "state at %s", where(step))
	}
	for _, p := range pending {
		p.h.finish(t, nil)
	}
}

func receiptDecision(res result) decision {
	r := res.r
	return decision{Admitted: r.Admitted, State: r.State, Gen: r.Gen, AdmitSeq: r.AdmitSeq,
		Outcome: r.Outcome, Late: r.Late, Seq: r.Seq, Err: res.err}
}

// TestBreakerMatchesModel drives 60 random configurations (600 with
// FAULTLINE_LONG=1) for 400 steps each.
func TestBreakerMatchesModel(t *testing.T) {
	seeds := 60
	if os.Getenv("FAULTLINE_LONG") == "1" {
		seeds = 600
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { driveAgainstModel(t, seed, 400) })
	}
}

func FuzzBreakerMatchesModel(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { driveAgainstModel(t, seed, 300) })
}
