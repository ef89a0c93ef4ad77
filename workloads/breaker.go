package workloads

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/faultline/faultline/history"
)

// The breaker workload: concurrent callers reach a downstream service
// through a circuit breaker (or without one, to compare), and every call,
// every transition of the breaker and its settings are recorded in the
// shape the breaker checker reads (see checker.BreakerChecker's doc):
// f "call" by the workers, f "transition" and f "breaker-config" (a
// history.BreakerConfig) by dedicated observer processes. A call's completion is always ok — the
// breaker decided something — and its value says what.
const (
	BreakerCallF       = "call"
	BreakerTransitionF = "transition"
	BreakerConfigF     = "breaker-config"

	// BreakerConfigProcess and BreakerTransitionProcess are process ids no
	// worker uses.
	BreakerConfigProcess     = 1<<21 + 0
	BreakerTransitionProcess = 1<<21 + 1
)

// BreakerClient is what the breaker workload needs from a system: one call
// to the downstream through the breaker, and what the breaker decided.
// Call must honour ctx.
type BreakerClient interface {
	Call(ctx context.Context) BreakerObservation
}

// BreakerObservation is what a caller saw of one call; as JSON, the value
// of the call's ok (checker.BreakerCall).
type BreakerObservation struct {
	Admitted bool   `json:"admitted"`
	State    string `json:"state,omitempty"` // CLOSED, OPEN or HALF_OPEN; empty without a breaker
	Gen      uint64 `json:"gen"`
	AdmitSeq uint64 `json:"admit_seq,omitempty"`
	Outcome  string `json:"outcome"`          // success, failure, slow, ignored or rejected
	Reason   string `json:"reason,omitempty"` // open or trials, for a rejection
	Late     bool   `json:"late,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
	// At is the breaker's clock at the decision; zero if it did not read
	// it. The recorder writes it as "at" on the history's time base.
	At     time.Time `json:"-"`
	AtHist *int64    `json:"at,omitempty"`
	// Downstream is what the downstream did: ok, error, timeout or
	// cancelled; empty when it was not called.
	Downstream string `json:"downstream,omitempty"`
	Error      string `json:"error,omitempty"`
}

// BreakerTransition is one state change of the breaker; as JSON, the value
// of a transition's ok (checker.BreakerTransition).
type BreakerTransition struct {
	From string `json:"from"`
	To   string `json:"to"`
	Gen  uint64 `json:"gen"`
	// At is when it happened; the recorder writes it as "at" on the
	// history's time base.
	At     time.Time `json:"-"`
	AtHist int64     `json:"at"`
}

// BreakerConfig configures the breaker workload. Common.Concurrency is the
// number of callers, Common.Rate the total calls per second (0: as fast as
// they go) and Common.OpTimeout each call's deadline. The breaker's own
// settings are the system's (history.BreakerSettings).
type BreakerConfig struct {
	Common
}

// DefaultBreakerConfig is ten callers at 200 calls a second with a 250ms
// deadline each: short enough that the default latency faults time calls out.
func DefaultBreakerConfig() BreakerConfig {
	c := BreakerConfig{Common: DefaultCommon()}
	c.Concurrency, c.Rate, c.OpTimeout = 10, 200, 250*time.Millisecond
	return c
}

// Validate reports the first setting that cannot work; it wraps
// history.ErrBadConfig.
func (c BreakerConfig) Validate() error { return c.Common.Validate() }

// BreakerRecorder records the breaker's side of a run: its settings once,
// then each transition as it happens. It puts the breaker's times on the
// history's time base through an anchor: the wall time taken just before
// the settings op's completion is stamped, which stands for that op's time.
type BreakerRecorder struct {
	rec        *Recorder
	anchorWall time.Time
	anchorHist int64

	mu      sync.Mutex
	stopped bool
	err     error
}

// RecordBreakerSettings writes the breaker-config op — the breaker's
// settings and, for a breaker that is on, its epoch (when its clock
// started) as an offset from the op's own time — and returns the recorder
// for transitions and calls.
func RecordBreakerSettings(ctx context.Context, rec *Recorder, s history.BreakerSettings, epoch time.Time) (*BreakerRecorder, error) {
	br := &BreakerRecorder{rec: rec}
	op, err := rec.Do(ctx, Call{Process: BreakerConfigProcess, F: BreakerConfigF}, func(context.Context) Result {
		// The anchor is taken as late as possible, just before the
		// completion is stamped, so that it stands for the op's time within
		// a few microseconds.
		br.anchorWall = time.Now()
		v := history.BreakerConfig{BreakerSettings: s}
		if s.Enabled {
			offset := int64(epoch.Sub(br.anchorWall))
			v.EpochOffset = &offset
		}
		return Result{Value: v}
	})
	if err != nil {
		return nil, fmt.Errorf("recording the breaker settings: %w", err)
	}
	br.anchorHist = op.Time
	return br, nil
}

// hist puts a breaker time on the history's time base.
func (b *BreakerRecorder) hist(t time.Time) int64 { return b.anchorHist + int64(t.Sub(b.anchorWall)) }

// Transition records one transition. Call it from the breaker's
// state-change callback, which runs under the breaker's lock, so that the
// history holds the transitions in the order they happened. After Stop it
// records nothing. A write error is kept for Err.
func (b *BreakerRecorder) Transition(t BreakerTransition) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || b.err != nil {
		return
	}
	t.AtHist = b.hist(t.At)
	_, err := b.rec.Do(context.Background(), Call{Process: BreakerTransitionProcess, F: BreakerTransitionF}, func(context.Context) Result {
		return Result{Value: t}
	})
	if err != nil {
		b.err = fmt.Errorf("recording a breaker transition: %w", err)
	}
}

// Stop ends the recording of transitions (the history may be closing).
func (b *BreakerRecorder) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
}

// Err is the first error recording a transition met.
func (b *BreakerRecorder) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// withHistTime puts the observation's time on the history's time base.
func (b *BreakerRecorder) withHistTime(o BreakerObservation) BreakerObservation {
	if !o.At.IsZero() {
		at := b.hist(o.At)
		o.AtHist = &at
	}
	return o
}

// RunBreaker drives the breaker workload, one worker per client, until ctx
// is done. It returns an error only when the history cannot be written.
func RunBreaker(ctx context.Context, cfg BreakerConfig, rec *BreakerRecorder, clients []BreakerClient) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(clients) != cfg.Concurrency {
		return fmt.Errorf("breaker workload: %d clients for %d workers", len(clients), cfg.Concurrency)
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, c := range clients {
		g.Go(func() error { return runBreakerWorker(gctx, cfg, rec, i, c) })
	}
	err := g.Wait()
	if err == nil {
		err = rec.Err()
	}
	return err
}

func runBreakerWorker(ctx context.Context, cfg BreakerConfig, rec *BreakerRecorder, process int, c BreakerClient) error {
	pace := newPacer(cfg.Rate, cfg.Concurrency)
	for {
		if err := pace.wait(ctx); err != nil {
			return nil // the time is up
		}
		if _, err := BreakerCallOnce(ctx, rec, process, cfg.OpTimeout, c); err != nil {
			return err
		}
	}
}

// BreakerCallOnce records one call by process, with a deadline of
// opTimeout, and returns what the caller saw.
func BreakerCallOnce(ctx context.Context, rec *BreakerRecorder, process int, opTimeout time.Duration, c BreakerClient) (BreakerObservation, error) {
	var o BreakerObservation
	done, err := rec.rec.Do(ctx, Call{Process: process, F: BreakerCallF}, func(ctx context.Context) Result {
		ctx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		o = c.Call(ctx)
		return Result{Value: rec.withHistTime(o)}
	})
	if err != nil {
		return o, err
	}
	if done.Type != history.Ok { // cannot happen: a call always completes ok
		return o, fmt.Errorf("breaker workload: call completed %s", done.Type)
	}
	return o, nil
}
