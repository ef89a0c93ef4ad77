// Package breaker is the circuit breaker as a system under test: a real
// downstream service (HTTP on 127.0.0.1) reached through a Toxiproxy proxy
// (the nemesis's link client → downstream), and callers that go through the
// reference breaker of impl/breaker — or, with the breaker off, straight to
// the downstream, the baseline that shows what the breaker buys.
//
// Faults act on the network, never on the downstream's code: latency makes
// it slow (calls past their deadline count as failures), a partition or a
// timeout toxic makes it unreachable, reset-peer resets its connections.
//
// # In the harness
//
// [Adapter] is the system as the runner sees it (systems.System): name
// "breaker", the breaker workload, the network faults, and the breaker
// checker. [Settings] are its settings, declared here and nowhere else: the
// breaker's own (history.BreakerSettings, the names the history and the
// checker use too) and the call timeout. [DefaultSettings] holds their
// defaults, AddFlags binds them to --breaker on|off, --failure-threshold,
// --breaker-timeout, … and Validate checks them, converting them once into
// the reference breaker's impl.Config, which keeps its own declaration so
// that it stays usable without Faultline.
//
// [Compare] sets what the breaker bought in a checked run against a run of
// the same schedule with the breaker off, from each run's summary.json, and
// writes [ComparisonFile] into the run with the breaker.
//
// # On its own
//
//	sys, err := breaker.Start(ctx, cfg)              // downstream, proxy, breaker
//	err = sys.Run(ctx, recorder, workloadConfig)     // callers until ctx is done
//	err = sys.Recover(ctx, process, pause, timeout)  // until the breaker closes again
//	err = sys.Stop(ctx)
//
// Run records the breaker's settings (the very Config.Breaker value it was
// started with, and the breaker's epoch), every call (admitted or rejected,
// and what the downstream did) and every transition (from the breaker's
// state-change callback, under its lock, so the history holds them in
// order), in the shape checker.BreakerChecker reads.
package breaker
