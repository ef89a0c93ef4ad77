// Package breaker is the circuit breaker's system under test: a real
// downstream service (HTTP on 127.0.0.1) reached through a Toxiproxy proxy
// (the nemesis's link client → downstream), and callers that go through the
// reference breaker of impl/breaker — or, with the breaker off, straight to
// the downstream, the baseline that shows what the breaker buys.
//
// Faults act on the network, never on the downstream's code: latency makes
// it slow (calls past their deadline count as failures), a partition or a
// timeout toxic makes it unreachable, reset-peer resets its connections.
//
//	sys, err := breaker.Start(ctx, cfg)              // downstream, proxy, breaker
//	err = sys.Run(ctx, recorder, workloadConfig)     // callers until ctx is done
//	err = sys.Stop(ctx)
//
// Run records the breaker's settings, every call (admitted or rejected, and
// what the downstream did) and every transition (from the breaker's
// state-change callback, under its lock, so the history holds them in
// order), in the shape checker.BreakerChecker reads.
package breaker
