package main

import (
	"github.com/spf13/pflag"

	"github.com/faultline/faultline/runner"
)

// addSystemFlags adds the flags of each system's own settings to `run`.
func addSystemFlags(f *pflag.FlagSet, cfg *runner.Config) {
	l := &cfg.Lock
	f.StringVar(&l.Lock, "lock", l.Lock, "redislock: the lock, naive (the seed's SET NX EX) or fenced (tokens)")
	f.DurationVar(&l.Lease, "lease", l.Lease, "redislock: the lock's lease (time to live)")
	f.DurationVar(&l.Hold, "hold", l.Hold, "redislock: how long a holder keeps the lock (the critical section)")
	f.StringVar(&l.Redis, "redis", l.Redis, "redislock: an external Redis ADDR instead of a redis-server of our own")
	f.BoolVar(&l.Persistence, "redis-persistence", l.Persistence, "redislock: keep our redis-server's persistence on")

	b := &cfg.Breaker
	f.Var(runner.OnOff{B: &b.Enabled}, "breaker", "breaker: on, or off to run the same schedule without a breaker")
	f.StringVar(&b.Policy, "breaker-policy", b.Policy, "breaker: the trip policy, consecutive, count-window or time-window")
	f.IntVar(&b.FailureThreshold, "failure-threshold", b.FailureThreshold, "breaker: consecutive failures that open it (the seed's failure_threshold)")
	f.IntVar(&b.FailureRate, "failure-rate", b.FailureRate, "breaker: failure percentage that opens it (window policies)")
	f.IntVar(&b.MinCalls, "min-calls", b.MinCalls, "breaker: calls in the window before the rate counts")
	f.IntVar(&b.WindowSize, "window-size", b.WindowSize, "breaker: calls in a count window")
	f.DurationVar(&b.Window, "window", b.Window, "breaker: length of a time window")
	f.IntVar(&b.WindowBuckets, "window-buckets", b.WindowBuckets, "breaker: buckets of a time window")
	f.DurationVar(&b.SlowCall, "slow-call", b.SlowCall, "breaker: a call slower than this counts as a failure (0: off)")
	f.DurationVar(&b.Timeout, "breaker-timeout", b.Timeout, "breaker: how long it stays open (the seed's timeout)")
	f.IntVar(&b.Trials, "half-open-trials", b.Trials, "breaker: trial calls admitted while half-open")
	f.IntVar(&b.Successes, "half-open-successes", b.Successes, "breaker: trial successes that close it")
	f.DurationVar(&b.CallTimeout, "call-timeout", b.CallTimeout, "breaker: each call's deadline")
}
