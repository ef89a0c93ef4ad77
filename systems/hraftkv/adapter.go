package hraftkv

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/raftkv"
	"github.com/faultline/faultline/workloads"
)

// Adapter is the KV service on hashicorp/raft as a system under test.
type Adapter struct{}

var (
	_ systems.System       = Adapter{}
	_ systems.Settings     = (*Settings)(nil)
	_ systems.NemesisTuner = (*Settings)(nil)
)

// Settings are the register workload's: the nodes have no bug catalog.
type Settings struct {
	workloads.RegisterSettings
}

// DefaultSettings are the register workload's defaults.
func DefaultSettings() Settings {
	return Settings{RegisterSettings: workloads.DefaultRegisterSettings()}
}

// AddFlags binds the register workload's flags.
func (s *Settings) AddFlags(fs *pflag.FlagSet) { systems.AddRegisterFlags(fs, &s.RegisterSettings) }

// Validate reports the first setting that cannot work.
func (s *Settings) Validate(systems.Run) error { return s.RegisterSettings.Validate() }

// TuneNemesis draws latency as for the reference Raft KV, whose links
// are the same loopback ones.
func (s *Settings) TuneNemesis(nc *nemesis.Config, run systems.Run) {
	(&raftkv.Settings{}).TuneNemesis(nc, run)
}

// Name is "hraftkv".
func (Adapter) Name() string { return "hraftkv" }

// Describe says what the system is.
func (Adapter) Describe() string {
	return "the same KV service on github.com/hashicorp/raft and raft-boltdb (not written here: a control), as `faultline node --engine hashicorp` child processes"
}

// Workloads: the register workload.
func (Adapter) Workloads() []string { return []string{"register"} }

// Faults lists every fault the reference Raft KV takes but the power
// loss: raft-boltdb does not say how much of its file an fsync covered.
func (Adapter) Faults() []string {
	var out []string
	for _, f := range (raftkv.Adapter{}).Faults() {
		if f != nemesis.FaultPowerLoss {
			out = append(out, f)
		}
	}
	return out
}

// NewSettings returns the defaults.
func (Adapter) NewSettings() systems.Settings {
	s := DefaultSettings()
	return &s
}

// Checkers: none beyond linearizability, which checker.Check always runs
// for the register workload.
func (Adapter) Checkers(string, time.Duration) []checker.Checker { return nil }

// Start starts the cluster for a run.
func (Adapter) Start(ctx context.Context, env *systems.Env) (systems.Target, error) {
	if env.NodeBinary == "" {
		return nil, fmt.Errorf("%w: no faultline binary to run the nodes with", history.ErrBadConfig)
	}
	s := env.Settings.(*Settings)
	c, err := raftkv.Start(ctx, raftkv.Config{
		Engine:  "hashicorp",
		Nodes:   env.Run.Nodes,
		Binary:  env.NodeBinary,
		DataDir: filepath.Join(env.Dir, "data"),
		LogDir:  env.LogDir,
		Net:     env.Net,
		Logger:  env.Logger,
	})
	if err != nil {
		return nil, err
	}
	return labelled{raftkv.NewTarget(c, env.Run.Common, s.RegisterSettings)}, nil
}

// labelled adds the engine to the target's labels.
type labelled struct{ systems.Target }

func (t labelled) Labels() map[string]string {
	l := t.Target.Labels()
	l["engine"] = "github.com/hashicorp/raft with raft-boltdb"
	return l
}
