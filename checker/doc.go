// Package checker decides whether a history is valid. It knows nothing of
// where a history came from (it never imports impl/, systems/ or nemesis/),
// which is what lets `faultline check` re-check a stored run or a history
// recorded by another tool.
//
// Each property is a [Checker] that returns a three-valued [Result]
// ([Valid], [Invalid], [Unknown]); a checker that runs out of time says
// Unknown, never Valid. [Merge] combines verdicts: any invalid makes the run
// invalid, otherwise any unknown makes it unknown.
//
// # Entry point
//
// [Check] runs every checker that applies to a history and returns a
// [Summary]: for the register workload the [LinearizableChecker], then the
// caller's own checkers ([Options].Checkers), then [StatsChecker] and
// [CoverageChecker]. A history that breaks the format's rules (a process
// with two outstanding invokes, a completion with no invoke, a value of the
// wrong shape) is an error wrapping [ErrBadHistory] — bad input, exit 254 —
// not a verdict. The Summary writes summary.json ([Summary.WriteFile]),
// linearizability.html ([Summary.WriteLinearizability]) and says the
// verdict in one line ([Summary.VerdictLine]).
//
// # Linearizability (register.go, linearizable.go, explain.go)
//
// The register model is checked with porcupine
// (github.com/anishathalye/porcupine), the linearizability checker that
// etcd and MIT 6.5840 use: it is fast on real histories, partitions by key,
// returns Unknown on a timeout rather than guessing, and draws a page that
// shows the partial linearizations. The model is one register per key,
// absent at first. [Pairs] matches invokes with completions by process;
// [RegisterOperations] turns the pairs into porcupine operations: an ok is
// what it observed; an info, or an invoke the history never completed (a
// killed run), is open until the end of time ([Forever]) — it may take
// effect at any time after its invoke, or never, which porcupine sees as
// "at the end"; a cas that failed with "mismatch" observed that the value
// was not the expected one; every other fail is dropped with its invoke, as
// is a read of unknown outcome (it observed nothing).
//
// The check runs porcupine with a time limit, in two steps: the plain
// check, at porcupine's full speed, decides a valid history; only when it
// finds an illegal key does a verbose run, in the time left, compute the
// partial linearizations that name the failed keys and the illegal
// operation. Its context is honoured by making every model step fail once
// ctx is done, so porcupine's search unwinds at once (only a complete
// linearization is trusted then). A key with a complete linearization is
// valid. For an invalid key the explanation replays its longest
// linearizable prefix and names the operation that could come next in
// real time but that the register cannot take from the state the prefix
// left.
//
// # Shrinking (shrink*.go)
//
// [Shrink] reduces an invalid register history to the few operations of
// one key that are still not linearizable: the failing key with the
// fewest operations (or [ShrinkOptions].Key), its operations as
// [RegisterOperations] makes them (an invoke and its completion stay
// together; removing operations keeps the real-time order), delta
// debugging (ddmin: chunks, then their complements, ever finer) and then
// single removals until none leaves the history invalid, each candidate
// checked by porcupine with the register model, each check bounded by the
// time left and [ShrinkOptions].CheckLimit. Every candidate keeps one rule
// (shrink_rule.go): a kept read keeps a write of the value it read, a kept
// cas a write of the value it expected (a cas writes only when what it
// expected could exist), and a cas that failed with a mismatch a write of
// another value begun before it returned (or a register that may still
// have been absent) — removing a write removes what only it explains, so a
// stale read never shrinks into a read of a value nobody wrote. What
// nothing in the whole history explains is the anomaly itself, and exempt.
// The result is 1-minimal ([ShrinkResult].Minimal) unless the time bound
// ran out or a check could not decide; it is the kept history entries (for
// shrunk.jsonl, renumbered as the format requires), a sentence built from
// their times, processes and nodes, and a diagram of them on their process
// lanes (shrunk.svg), which report.html shows when it is there.
//
// # Work and coverage (stats.go, coverage.go)
//
// [StatsChecker] counts operations by f and outcome, latency percentiles
// (nearest rank) and throughput, and says Unknown when a run did too little
// work: no ok client operation at all, or — when there were fault windows —
// none that completed while a fault was active. [CoverageChecker] reports,
// per fault kind, how often and how long it was injected and the
// operations that completed ok / fail / info while it was active: an
// operation is "during" a fault when its completion time falls inside one
// of that kind's windows ([history.Window.Contains]; a window never ended
// lasts until the history's last entry; an operation that never completed
// is not counted). A requested fault kind that was never injected makes it
// Unknown.
//
// # Visualization (visualize.go, lanes.go)
//
// linearizability.html is porcupine's own page with the fault windows as
// annotations on a "nemesis" row. Operations are drawn on lanes (rows
// reused once an operation returned) rather than one row per process id,
// which grows with every info. A history of more than
// [Options].MaxVisualizedOps operations (5,000 by default) is cut down —
// whole keys, the failed and unfinished ones first; or, when one key alone
// is too long, its first operations, or for a failed key the operations
// leading up to just after its first illegal operation, started from the
// value the checker's longest linearization had reached there. Operations
// still running where such a window is cut off keep their effect but lose
// their observation (as if they had timed out), so a cut of a linearizable
// key stays linearizable. The window's start value is the one
// approximation: the page says so. The operations shown are checked again
// (verbosely, at most 30 s; 5 s when the check itself ran out of time) to
// draw them; a banner at the top of the page says what was left out.
//
// # Locks (lock_exclusion.go, lock_model.go, lock_fenced.go)
//
// The lock and fenced workloads have checkers of their own, which the
// caller passes in [Options].Checkers. [MutualExclusionChecker]: no two
// processes believed they held a lock at once — a holder believes it from
// the ok of its acquire to the invoke of its release; only two ok acquires
// make a definite overlap, and the result names both holders and the fault
// in force. [LockModelChecker] checks acquire/release against a porcupine
// mutex model. [FencedChecker] checks the protected resource of the fenced
// workload: its accepted writes are linearizable in token order and no
// acknowledged update was lost.
//
// # Circuit breaker (breaker*.go)
//
// [BreakerChecker] replays every decision the breaker recorded — in the
// order it took them under its lock, within each generation — through an
// executable sequential model of the breaker with time as an input: it
// opens exactly at the threshold, rejects everything while open, goes
// half-open only after the delay, admits at most the configured trial
// calls, and makes only legal transitions. It reports the first decision
// that does not conform, and what the breaker bought (calls shed while
// open, caller latency during faults).
//
// # Report (report.go, report.tmpl, svg.go)
//
// report.html is a static page with no external assets: the verdict in words, each
// checker's result, counts and latency percentiles, latency and throughput
// over time drawn as hand-written SVG with the fault windows shaded, the
// fault coverage, and links to the other files of the results directory.
package checker
