// Package systems is the contract between the harness and a system under
// test, and the registry of systems.
//
// A system is one package under systems/ — systems/raftkv, systems/redislock,
// systems/breaker, systems/etcd, systems/hraftkv — that holds everything the harness knows of it: how it
// starts and stops, which nodes and processes the nemesis may fault, its
// clients, its settings with their defaults, validation and flags, and
// which workloads and checkers apply. The runner and the CLI know systems
// only through [System] and a [Registry]; systems/builtin lists the
// built-in ones, one line each.
//
// # The contract
//
// [System] describes a kind of system: its name (what --system selects), a
// one-line description, its workloads (the first is the default), the
// fault kinds it can take (nemesis.Fault*), its settings, and the checkers
// of each workload beyond the ones checker.Check always runs. Checkers
// depend on the workload and the time limit only, so that `faultline
// check` re-checks a stored run exactly as it was checked when it ran.
//
// [Settings] are the system's own settings: one struct, declared once, that
// NewSettings returns holding the defaults, that AddFlags binds to the
// CLI's flags (with those defaults), that run.json records under
// "settings" (only the run's own system's), and that Start reads. Settings
// shared by the systems of one workload are declared once in workloads
// (workloads.RegisterSettings, workloads.LockSettings) and embedded; the
// settings every workload has (concurrency, rate, op timeout, seed) are
// workloads.Common, which the runner owns and passes in [Run]. Validate
// reports the first setting that cannot work, wrapping history.ErrBadConfig,
// in words that name the setting as run.json spells it, not a flag. A
// reference implementation keeps its own Config, so that it stays usable
// without Faultline; the system's package converts Settings into it once.
//
// A System may also be a [BugCatalog]: the deliberate bugs of its
// reference implementation that its settings' "bugs" (--bug, bound with
// AddBugFlag) switch on, never by default, so that a run proves the
// checkers catch each; `faultline list` prints them.
//
// Settings may also be a [NemesisTuner] (adjust the default fault
// parameters to the system: the lock's latency around its lease) and a
// [Preflighter] (check an outside resource, such as an external server's
// address, before the run directory exists) and a [NetOwner] (the run
// brings its own Toxiproxy — the Raft KV's container runtimes, whose nodes
// reach it by name on their Docker network — and its Target is a
// [NetTarget] that hands it to the runner).
//
// Start starts the system for one run with every link behind a proxy of
// Env.Net and returns a [Target]: the nodes, the process-fault ability (or
// nil), the leader, the workload (Run), the final phase after the heal
// (Final), labels for run.json, and Stop. Start must stop what it started
// when it fails; Stop must be safe to call twice. Every call a client makes
// has a deadline (Common.OpTimeout) and every outcome is recorded as ok,
// fail or info through the workloads.Recorder.
//
// # Adding a system
//
//  1. Create systems/<name> with a type implementing [System] and a
//     settings struct implementing [Settings] (embed workloads.RegisterSettings
//     or workloads.LockSettings if it runs those workloads, and add flags
//     with AddRegisterFlags or AddLockFlags so that one flag keeps one
//     meaning).
//  2. Start the system in Start, behind env.Net, and drive the workload in
//     the Target's Run with the workload package's runner (for example
//     workloads.RunRegister with the system's clients).
//  3. Add one line to systems/builtin.Registry.
//  4. Test it end to end through runner.Run, and prove the checkers catch
//     a bug in it (a switch that breaks it must turn the verdict invalid).
//
// runner/registry_test.go is a whole system in about a hundred lines — an
// in-memory register, registered from a test — that runs through the
// runner end to end.
package systems
