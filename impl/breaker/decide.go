package breaker

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
		if r, decided, err := b.admitLocked(w); decided {
			return r, err
		}
	}
}

// admitLocked decides, under the lock, for a breaker that was open with its
// delay passed or half-open when the word w was read. decided is false
// when the word changed meanwhile and the caller must look again.
func (b *Breaker) admitLocked(w uint64) (r Receipt, decided bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.word.Load() != w {
		return Receipt{}, false, nil
	}
	now := b.now()
	state, _ := unpack(w)
	if state == Open {
		if now < b.openUntil.Load() {
			return Receipt{}, false, nil
		}
		b.transition(HalfOpen, now)
	}
	_, gen := unpack(b.word.Load())
	b.seq++
	if b.trials >= b.cfg.HalfOpenMaxCalls && !b.cfg.hasBug(BugUnboundedHalfOpen) {
		b.cfg.Metrics.count(Rejected, ErrTooManyTrials)
		return Receipt{State: HalfOpen, Gen: gen, AdmitSeq: b.seq, Outcome: Rejected, At: b.at(now)}, true, ErrTooManyTrials
	}
	b.trials++
	return Receipt{Admitted: true, State: HalfOpen, Gen: gen, AdmitSeq: b.seq, start: now}, true, nil
}

// finish records the result of an admitted call, filling in r.
func (b *Breaker) finish(r *Receipt, o Outcome) {
	// A call's duration is measured before waiting for the lock, so that
	// contention does not make it look slow.
	if o == Success && b.needStart && b.now()-r.start >= int64(b.cfg.SlowCallDuration) {
		o = Slow
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// The result's time is read under the lock so that result times rise
	// with their sequence numbers, which a time window relies on.
	now := int64(-1)
	if b.needEnd {
		now = b.now()
		r.At = b.at(now)
	}
	r.Outcome = o
	b.cfg.Metrics.count(o, nil)
	state, gen := unpack(b.word.Load())
	if gen != r.Gen && !b.cfg.hasBug(BugNoGeneration) {
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
