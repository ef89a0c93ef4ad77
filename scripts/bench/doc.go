// Command bench runs the benchmark set of BENCHMARKS.md and prints each
// comparison with its peer as a ratio, with its spread:
//
//	go run ./scripts/bench [-count 6] [-only REGEXP] [-raw FILE] [-save FILE] [-baseline FILE]
//	go run ./scripts/bench -from FILE [-baseline FILE]
//
// The comparisons are the Raft KV against hashicorp/raft (writes and
// linearizable reads at 1, 16 and 64 clients), the lock against redsync,
// the breaker against sony/gobreaker, `faultline check` against plain
// porcupine, and the register workload through Toxiproxy against direct.
// Each package's benchmarks run with `go test -count N`, their raw output
// kept (-raw, default bench-<time>.txt in the working directory) in the
// standard format, so that golang.org/x/perf/cmd/benchstat can read it too.
//
// A ratio is always "how much better ours is": ours/peer for a
// throughput, peer/ours for a time, so that above 1 means ours wins. It
// is the ratio of the two medians; the spread is the lowest and highest
// ratio of the runs paired in order (run i of ours against run i of the
// peer, which ran next to each other in time).
//
// -save writes the ratios to a baseline file; -baseline compares a run
// with one and flags every ratio that got 20% worse or more. It only
// prints: timings on a shared machine are too noisy to fail a build on.
// -from reads raw output of an earlier run instead of running anything.
package main
