// Package history defines Faultline's history format — the contract that every
// workload writes and every checker (ours or another tool's) reads — and a
// crash-tolerant writer and reader for it.
//
// A history is a JSON-lines file, one [Op] per line, in the order the
// operations happened. The semantics follow Jepsen: each process runs one
// operation at a time, an [Invoke] followed by exactly one completion ([Ok],
// [Fail] or [Info]); an Info outcome is unknown and may take effect at any
// time after its invocation, or never; after an Info the process id is never
// used again. Nemesis events use process [NemesisProcess] (-1).
//
// The [Writer] appends lines as the run goes and flushes them to the
// operating system at least every [FlushInterval], so a run killed with
// SIGKILL loses at most the last few tens of milliseconds. The [Reader]
// tolerates a torn last line (what a killed writer leaves) but refuses any
// other malformed line, naming its line number.
//
// Reading is fast because most lines take a hand-written path
// (fastparse.go) that reads the shape a recorder writes — a flat object
// with plain strings and integers — without reflection or per-line
// allocations; any other line goes through encoding/json, which stays the
// definition of a line's meaning. A fuzz target (FuzzParseFast) checks that
// the two agree wherever the fast path answers.
//
// This package is the leaf of the harness: it imports only the standard
// library, so that checkers and other tools can read histories without
// pulling in anything else.
package history
