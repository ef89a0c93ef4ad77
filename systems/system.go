package systems

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/workloads"
)

// System is one kind of system under test, as the runner sees it. Each
// implementation is one package under systems/ and one line of the
// built-in registry (systems/builtin).
type System interface {
	// Name is what --system selects.
	Name() string
	// Describe says in one line what the system is, for `faultline list`.
	Describe() string
	// Workloads lists the workloads it supports; the first is its default.
	Workloads() []string
	// Faults lists the fault kinds it can take.
	Faults() []string
	// NewSettings returns a new value of the system's settings holding
	// their defaults: the value the CLI's flags fill, run.json records and
	// Start reads. Every call returns a fresh value.
	NewSettings() Settings
	// Checkers are the checkers of a workload's history beyond the ones
	// checker.Check always runs. They depend on the workload alone (and
	// the check's time limit), so that `faultline check` re-checks a
	// stored run exactly as it was checked when it ran.
	Checkers(workload string, timeLimit time.Duration) []checker.Checker
	// Start starts the system for a run with every link behind a proxy of
	// env.Net. On error it must have stopped whatever it started.
	Start(ctx context.Context, env *Env) (Target, error)
}

// Settings are one system's own settings. The value is a pointer to the
// system's settings struct, so that flags and JSON fill it in place.
type Settings interface {
	// AddFlags binds each setting to a flag of fs, with the value it holds
	// as the flag's default.
	AddFlags(fs *pflag.FlagSet)
	// Validate reports the first setting that cannot work for the run; it
	// wraps history.ErrBadConfig.
	Validate(run Run) error
}

// Run is what a system sees of the run's shared settings.
type Run struct {
	Workload string
	// Nemesis are the fault kinds the run injects, "all" already expanded.
	Nemesis []string
	// Nodes is the number of nodes, for systems that have several.
	Nodes int
	// Time is how long the workload runs.
	Time time.Duration
	workloads.Common
}

// Env is what a system gets to start a run.
type Env struct {
	Run Run
	// Settings is the system's own NewSettings value, filled and validated.
	Settings Settings
	Dir      string // the run directory
	LogDir   string // where node logs go (Dir/logs)
	// Net is the Toxiproxy that every link goes through; nil when the
	// settings are a NetOwner that owns it.
	Net *nemesis.Net
	// NodeBinary is the faultline executable, for systems whose nodes run
	// as `faultline node` child processes.
	NodeBinary string
	Logger     *slog.Logger
}

// Target is a started system, ready for a workload and faults.
type Target interface {
	// Nodes names the nodes, for partitions and process faults.
	Nodes() []string
	// Processes is the process-fault ability, or nil if the system has no
	// processes the harness controls.
	Processes() nemesis.Processes
	// Leader finds the current leader, if the system has one.
	Leader(ctx context.Context) (string, error)
	// Run drives the configured workload until ctx is done.
	Run(ctx context.Context, rec *workloads.Recorder) error
	// Final runs the final phase after the heal (for example, reading
	// every key once the system has recovered); ctx bounds it.
	Final(ctx context.Context, rec *workloads.Recorder) error
	// Labels describe the run for run.json and the report (versions,
	// addresses, "embedded miniredis fallback", …).
	Labels() map[string]string
	// Stop stops everything the system started. It must be safe to call
	// more than once and after a failed Start step.
	Stop(ctx context.Context) error
}

// NemesisTuner is an optional ability of Settings: it adjusts the
// nemesis's default fault parameters to what matters for the system (the
// lock's latency around its lease, the Raft KV's below its election
// timeout). The user's bounds are applied after it and win.
type NemesisTuner interface {
	TuneNemesis(nc *nemesis.Config, run Run)
}

// BugCatalog is an optional ability of a System: the deliberate bugs it
// can be switched into (its settings' "bugs", --bug on `faultline run`),
// so that a harness can prove it catches each. None is ever on by default.
type BugCatalog interface {
	Bugs() []Bug
}

// Bug is one entry of a system's bug catalog.
type Bug struct {
	Name string // what --bug selects
	Does string // what it breaks, in one line
	// Exposure is the run that exposes it, which `faultline detect` runs
	// for every seed, and runs once more with the bug off as the control.
	Exposure Exposure
}

// Exposure is the run that exposes a bug: the faults and the settings it
// needs besides the bug, and how long a run takes to catch it in most
// seeds.
type Exposure struct {
	// Workload is the workload; empty for the system's first.
	Workload string
	// Faults are the fault kinds (nemesis.Fault*); empty for none.
	Faults []string
	// Flags are the system's own flags the run needs, as `faultline run`
	// spells them ("--lock=fenced"); the bug's --bug is added to them.
	Flags []string
	// Time is how long the workload runs; Interval, if not 0, how long
	// each fault lasts (--nemesis-interval).
	Time, Interval time.Duration
	// Targets, if not empty, are the process-fault targets to draw from,
	// as --targets takes them ("all": every node at once).
	Targets string
	// Directions, if not empty, are the toxic directions to draw from, as
	// --directions takes them ("downstream": replies delayed).
	Directions string
	// Note says what is known about how well the exposure works, when it
	// is not caught in every seed (the detection table repeats it).
	Note string
}

// NetOwner is an optional ability of Settings: a run whose system brings
// its own Toxiproxy (the container runtime's, on the system's own Docker
// network, where the nodes can reach it by name) instead of the harness's.
// When OwnsNet is true, env.Net is nil, the started Target must be a
// NetTarget, the runner drives every fault and the heal through its Net,
// and the Target's Stop removes it.
type NetOwner interface {
	OwnsNet() bool
}

// NetTarget is a Target that brings its own Toxiproxy (see NetOwner).
type NetTarget interface {
	Net() *nemesis.Net
}

// Preflighter is an optional ability of Settings: checks of outside
// resources (an external server's address) made before the run directory
// exists, so that bad input leaves nothing behind.
type Preflighter interface {
	Preflight(ctx context.Context) error
}

// Catalog turns a reference implementation's bug list (each bug of a
// string type, with what it breaks) into a BugCatalog's entries, each with
// its exposure from exposures (a bug without one is exposed by the
// system's default run for 30 s).
func Catalog[B ~string](bugs []struct {
	Bug  B
	Does string
}, exposures map[B]Exposure) []Bug {
	out := make([]Bug, len(bugs))
	for i, b := range bugs {
		e, ok := exposures[b.Bug]
		if !ok {
			e.Time = 30 * time.Second
		}
		out[i] = Bug{Name: string(b.Bug), Does: b.Does, Exposure: e}
	}
	return out
}
