package runner

import (
	"context"
	"log/slog"

	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/workloads"
)

// System is how the runner starts one kind of system under test. Each
// adapter is listed in the Systems registry.
type System interface {
	// Name is what --system selects.
	Name() string
	// Describe says in one line what the system is, for `faultline list`.
	Describe() string
	// Workloads lists the workloads it supports; the first is its default.
	Workloads() []string
	// Faults lists the fault kinds it can take.
	Faults() []string
	// Start starts the system for a run with every link behind a proxy of
	// env.Net. On error it must have stopped whatever it started.
	Start(ctx context.Context, env *Env) (Target, error)
}

// Env is what a system gets to start a run.
type Env struct {
	Config Config
	Dir    string       // the run directory
	LogDir string       // where node logs go (Dir/logs)
	Net    *nemesis.Net // the Toxiproxy that every link goes through
	Logger *slog.Logger
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

// preflighter is an optional ability of a System: checks of outside
// resources (an external server's address) made before the run directory
// exists, so that bad input leaves nothing behind.
type preflighter interface {
	Preflight(ctx context.Context, cfg Config) error
}
