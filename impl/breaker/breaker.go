package breaker

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Breaker is a concurrency-safe circuit breaker. Create it with New.
//
// The state and its generation live in one atomic word, so a closed breaker
// admits a call and an open one rejects it without taking the lock; every
// result, and every decision of a half-open breaker, is taken under the
// lock, where each gets the next sequence number of its generation. A
// result is counted only in the generation that admitted the call: a late
// result from an earlier state is ignored.
type Breaker struct {
	cfg       Config
	clock     Clock
	classify  Classifier
	epoch     time.Time
	needStart bool // slow-call counting needs the start time of each call
	needEnd   bool // the result needs a time: slow calls or a time window
	monotonic bool // the clock is the system's: read only its monotonic part

	word      atomic.Uint64 // gen<<2 | state
	openUntil atomic.Int64  // ns since epoch when an open breaker goes half-open

	mu        sync.Mutex
	seq       uint64 // last sequence number handed out in this generation
	trip      tripper
	trials    int // half-open: trial calls admitted and not given back
	successes int // half-open: trial successes
}

// Transition is one change of state, as handed to Config.OnStateChange.
type Transition struct {
	Name     string
	From, To State
	// Gen is the generation the breaker entered: 1 for the first
	// transition, then 2, 3, …; generation 0 is the initial CLOSED.
	Gen uint64
	// At is the breaker's clock when it changed state.
	At time.Time
}

// Receipt says what the breaker decided about one call.
type Receipt struct {
	// Admitted is true when the call was let through.
	Admitted bool
	// State and Gen are the state and generation that admitted or rejected
	// the call.
	State State
	Gen   uint64
	// AdmitSeq is the sequence number of the admission or rejection within
	// Gen, for decisions taken under the lock (half-open ones); 0 for the
	// lock-free ones (closed admits, open rejects).
	AdmitSeq uint64
	// Outcome is how the result counted, or Rejected.
	Outcome Outcome
	// Late is true when the result came back after Gen had ended, so the
	// breaker ignored it.
	Late bool
	// Seq is the sequence number of the result within Gen (0 for a
	// rejection or a late result).
	Seq uint64
	// At is the breaker's clock at the decision about the result, or at the
	// rejection. It is zero when the breaker had no need to read its clock
	// (a closed breaker without slow-call counting or a time window).
	At time.Time

	start int64 // ns since epoch when admitted, if needStart
}

// New returns a closed breaker, or an error wrapping ErrBadConfig.
func New(cfg Config) (*Breaker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Breaker{cfg: cfg, clock: cfg.Clock, classify: cfg.Classify}
	if b.clock == nil {
		b.clock = SystemClock
	}
	// time.Since reads only the monotonic clock, about half the cost of
	// time.Now, which also reads the wall clock; the open path is mostly
	// this one clock read.
	b.monotonic = b.clock == SystemClock
	if b.classify == nil {
		b.classify = DefaultClassifier
	}
	b.epoch = b.clock.Now()
	b.needStart = cfg.SlowCallDuration > 0
	b.needEnd = b.needStart || cfg.Policy == TimeWindow
	b.trip = newTripper(cfg)
	if cfg.Metrics != nil {
		cfg.Metrics.setState(Closed)
	}
	return b, nil
}

// Name is the configured name.
func (b *Breaker) Name() string { return b.cfg.Name }

// Epoch is the instant the breaker's clock counts from; time-window
// buckets are aligned to it.
func (b *Breaker) Epoch() time.Time { return b.epoch }

// State returns the current state and generation. It never changes the
// state: an open breaker whose delay has passed reads OPEN until the next
// call moves it to HALF_OPEN.
func (b *Breaker) State() (State, uint64) { return unpack(b.word.Load()) }

// pack and unpack the atomic word: the generation above two state bits.
func pack(s State, gen uint64) uint64 { return gen<<2 | uint64(s) }
func unpack(w uint64) (State, uint64) { return State(w & 3), w >> 2 }

// now is the breaker's clock in nanoseconds since its epoch.
func (b *Breaker) now() int64 {
	if b.monotonic {
		return max(0, int64(time.Since(b.epoch)))
	}
	return max(0, int64(b.clock.Now().Sub(b.epoch)))
}

// at turns a reading of now back into a time.
func (b *Breaker) at(ns int64) time.Time { return b.epoch.Add(time.Duration(ns)) }

// Execute runs fn if the breaker lets it through, and returns fn's error;
// or it returns ErrOpen or ErrTooManyTrials without running fn. A panic in
// fn counts as a failure and is re-raised.
func (b *Breaker) Execute(ctx context.Context, fn func(context.Context) error) error {
	_, err := b.Run(ctx, fn)
	return err
}

// Do is Execute for a call that returns a value.
func Do[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error)) (T, error) {
	var v T
	_, err := b.Run(ctx, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	return v, err
}

// Run is Execute that also returns the breaker's receipt for the call. If
// ctx is already done, Run returns its error without asking the breaker,
// so a caller that gave up does not take a trial call's place.
func (b *Breaker) Run(ctx context.Context, fn func(context.Context) error) (r Receipt, err error) {
	if err := ctx.Err(); err != nil {
		return Receipt{Outcome: Ignored}, err
	}
	r, err = b.admit()
	if err != nil {
		return r, err
	}
	finished := false
	defer func() {
		if !finished { // fn panicked: count a failure and let the panic go on
			b.finish(&r, Failure)
		}
	}()
	err = fn(ctx)
	finished = true
	b.finish(&r, b.classify(ctx, err))
	return r, err
}

// String describes the breaker for logs.
func (b *Breaker) String() string {
	s, gen := b.State()
	return fmt.Sprintf("breaker %q %s (generation %d)", b.cfg.Name, s, gen)
}
