// Package breaker is a concurrency-safe circuit breaker: an ordinary library
// that knows nothing of the Faultline harness.
//
// A breaker is CLOSED, OPEN or HALF_OPEN (the seed's names). A closed
// breaker lets calls through and counts their results with one of three
// trip policies: consecutive failures (the seed's failure_threshold), or a
// failure rate over a count-based or time-based sliding window that must
// hold a minimum number of results first. Optionally a success slower than
// SlowCallDuration counts as a failure. Tripped, the breaker is OPEN for
// Timeout (the seed's timeout), rejecting every call at once with ErrOpen;
// the first call after that moves it to HALF_OPEN, where at most
// HalfOpenMaxCalls trial calls go through and the rest are rejected with
// ErrTooManyTrials. SuccessThreshold trial successes close it; any trial
// failure opens it again.
//
//	b, err := breaker.New(cfg)
//	err = b.Execute(ctx, func(ctx context.Context) error { return callDownstream(ctx) })
//	if breaker.IsRejection(err) { … the call was not attempted … }
//
// Concurrency. Every transition starts a new generation. A call remembers
// the generation that admitted it, and its result counts only if that
// generation is still current: a slow call admitted while CLOSED cannot
// reopen, or close, a breaker that has moved on. The state and generation
// share one atomic word, so a closed breaker admits and an open one
// rejects without locking; results and half-open decisions are taken
// under a short lock, where each gets the next sequence number of its
// generation. That sequence ([Receipt].Seq, AdmitSeq) is the order in
// which the breaker saw things, which is what lets a checker replay a
// concurrent run against a sequential model exactly.
//
// What counts is decided by a [Classifier]; by default every error is a
// failure except a cancellation by the caller. A panic in the call counts
// as a failure and is re-raised. Time comes from an injected [Clock]
// ([FakeClock] in tests). OnStateChange is called exactly once per
// transition, in order. [Metrics] are Prometheus collectors (calls by
// outcome, state, transitions) that the caller registers where it likes;
// client_golang is the metrics library of the Go ecosystem, and resolving
// the label children up front keeps counting free of allocations.
//
// The success path of a closed breaker allocates nothing; see
// BENCHMARKS.md for how it compares with sony/gobreaker.
//
// # Deliberate bugs
//
// Config.Bugs switches the breaker into bugs of the catalog ([Bugs]):
// unbounded-half-open (a half-open breaker admits every call) and
// no-generation (late results counted in the state the breaker moved to).
// They exist so that a test harness can prove it catches them; none is on
// by default.
package breaker
