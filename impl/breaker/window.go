package breaker

// tripper is the closed state's memory of recent results. It is used only
// under the breaker's lock.
type tripper struct {
	policy    Policy
	threshold int // consecutive failures that trip
	rate      int // percent
	minCalls  int

	consecutive int

	// count window: a ring of the last len(ring) results.
	ring           []bool // true = failed
	ringNext       int
	ringFull       bool
	calls, failing int

	// time window: buckets indexed by (now / width) modulo len(buckets).
	width   int64
	buckets []bucket
}

type bucket struct {
	index          int64 // which width-long slice of time this bucket holds
	calls, failing int
}

func newTripper(c Config) tripper {
	t := tripper{policy: c.Policy, threshold: c.FailureThreshold, rate: c.FailureRatePercent, minCalls: c.MinCalls}
	switch c.Policy {
	case CountWindow:
		t.ring = make([]bool, c.WindowSize)
	case TimeWindow:
		t.width = int64(c.WindowDuration) / int64(c.WindowBuckets)
		t.buckets = make([]bucket, c.WindowBuckets)
		t.reset()
	}
	return t
}

// reset forgets every result (on closing).
func (t *tripper) reset() {
	t.consecutive = 0
	clear(t.ring)
	t.ringNext, t.ringFull, t.calls, t.failing = 0, false, 0, 0
	for i := range t.buckets {
		t.buckets[i] = bucket{index: -1}
	}
}

// record adds one counted result at now (ns since the epoch) and reports
// whether the breaker must trip.
func (t *tripper) record(failed bool, now int64) bool {
	switch t.policy {
	case ConsecutiveFailures:
		if !failed {
			t.consecutive = 0
			return false
		}
		t.consecutive++
		return t.consecutive >= t.threshold
	case CountWindow:
		t.recordCount(failed)
	case TimeWindow:
		t.recordTime(failed, now)
	}
	return failed && t.calls >= t.minCalls && t.failing*100 >= t.rate*t.calls
}

func (t *tripper) recordCount(failed bool) {
	if t.ringFull {
		t.calls--
		if t.ring[t.ringNext] {
			t.failing--
		}
	}
	t.ring[t.ringNext] = failed
	t.calls++
	if failed {
		t.failing++
	}
	t.ringNext++
	if t.ringNext == len(t.ring) {
		t.ringNext, t.ringFull = 0, true
	}
}

func (t *tripper) recordTime(failed bool, now int64) {
	idx := now / t.width
	b := &t.buckets[idx%int64(len(t.buckets))]
	if b.index != idx {
		*b = bucket{index: idx}
	}
	b.calls++
	if failed {
		b.failing++
	}
	t.calls, t.failing = 0, 0
	oldest := idx - int64(len(t.buckets))
	for _, b := range t.buckets {
		if b.index > oldest {
			t.calls += b.calls
			t.failing += b.failing
		}
	}
}
