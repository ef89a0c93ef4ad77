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

func pack(s State, gen uint64) uint64    { return gen<<2 | uint64(s) }
func unpack(w uint64) (State, uint64)    { return State(w & 3), w >> 2 }
func (b *Breaker) now() int64            { return max(0, int64(b.clock.Now().Sub(b.epoch))) }
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

// admit decides whether a call may go through.
func (b *Breaker) admit() (Receipt, error) {
	for {
		w := b.word.Load()
		state, gen := unpack(w)
		switch state {
		case Closed:
			r := Receipt{Admitted: true, State: Closed, Gen: gen}
			if b.needStart {
				r.start = b.now()
			}
			return r, nil
		case Open:
			until := b.openUntil.Load()
			now := b.now()
			if b.word.Load() != w { // openUntil may belong to a later opening
				continue
			}
			if now < until {
				b.cfg.Metrics.count(Rejected, ErrOpen)
				return Receipt{State: Open, Gen: gen, Outcome: Rejected, At: b.at(now)}, ErrOpen
			}
		}
		if r, err, ok := b.admitLocked(w); ok {
			return r, err
		}
	}
}

// admitLocked decides, under the lock, for a breaker that was open with its
// delay passed or half-open when the word w was read. ok is false when the
// word changed meanwhile and the caller must look again.
func (b *Breaker) admitLocked(w uint64) (r Receipt, err error, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != w {
		return Receipt{}, nil, false
	}
	now := b.now()
	state, _ := unpack(w)
	if state == Open {
		if now < b.openUntil.Load() {
			return Receipt{}, nil, false
		}
		b.transition(HalfOpen, now)
	}
	_, gen := unpack(b.word.Load())
	b.seq++
	if b.trials >= b.cfg.HalfOpenMaxCalls {
		b.cfg.Metrics.count(Rejected, ErrTooManyTrials)
		return Receipt{State: HalfOpen, Gen: gen, AdmitSeq: b.seq, Outcome: Rejected, At: b.at(now)}, ErrTooManyTrials, true
	}
	b.trials++
	return Receipt{Admitted: true, State: HalfOpen, Gen: gen, AdmitSeq: b.seq, start: now}, nil, true
}

// finish records the result of an admitted call, filling in r.
func (b *Breaker) finish(r *Receipt, o Outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// The clock is read under the lock so that result times rise with
	// their sequence numbers, which a time window relies on.
	now := int64(-1)
	if b.needEnd {
		now = b.now()
		r.At = b.at(now)
		if o == Success && b.needStart && now-r.start >= int64(b.cfg.SlowCallDuration) {
			o = Slow
		}
	}
	r.Outcome = o
	b.cfg.Metrics.count(o, nil)
	state, gen := unpack(b.word.Load())
	if gen != r.Gen {
		r.Late = true
		return
	}
	b.seq++
	r.Seq = b.seq
	switch state {
	case Closed:
		if o != Ignored && b.trip.record(o.failed(), now) {
			b.transition(Open, b.nowFor(now))
		}
	case HalfOpen:
		switch {
		case o == Ignored:
			b.trials--
		case o.failed():
			b.transition(Open, b.nowFor(now))
		default:
			b.successes++
			if b.successes >= b.cfg.SuccessThreshold {
				b.transition(Closed, b.nowFor(now))
			}
		}
	}
}

// nowFor returns now if the clock was read for this result, else reads it.
func (b *Breaker) nowFor(now int64) int64 {
	if now >= 0 {
		return now
	}
	return b.now()
}

// transition moves to state to at now (ns since epoch). Called under the lock.
func (b *Breaker) transition(to State, now int64) {
	from, gen := unpack(b.word.Load())
	gen++
	b.seq, b.trials, b.successes = 0, 0, 0
	switch to {
	case Open:
		b.openUntil.Store(now + int64(b.cfg.Timeout))
	case Closed:
		b.trip.reset()
	}
	b.word.Store(pack(to, gen))
	b.cfg.Metrics.transition(from, to)
	if b.cfg.OnStateChange != nil {
		b.cfg.OnStateChange(Transition{Name: b.cfg.Name, From: from, To: to, Gen: gen, At: b.at(now)})
	}
}

// String describes the breaker for logs.
func (b *Breaker) String() string {
	s, gen := b.State()
	return fmt.Sprintf("breaker %q %s (generation %d)", b.cfg.Name, s, gen)
}
