package runner

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/builtin"
	"github.com/faultline/faultline/workloads"
)

// Config is everything one run needs. The CLI's flags fill it; DefaultConfig
// gives the embedded defaults that `faultline run` uses with no flags. It
// is recorded in run.json, with the settings of the run's own system (and
// no other's) under "settings".
type Config struct {
	System   string   `json:"system"`
	Workload string   `json:"workload"`
	Nemesis  []string `json:"nemesis"` // fault kinds; empty for none
	Nodes    int      `json:"nodes"`
	// Time is how long the workload runs.
	Time time.Duration `json:"time"`
	// Common are the workload's shared settings: concurrency, rate,
	// op_timeout and seed.
	workloads.Common
	Results   string `json:"results"`   // the results root directory
	Toxiproxy string `json:"toxiproxy"` // an external Toxiproxy's URL; empty for the embedded one
	// CheckTimeout bounds the linearizability check; past it the verdict is
	// unknown.
	CheckTimeout time.Duration `json:"check_timeout"`
	// NemesisInterval is how long a fault lasts and how long the quiet gap
	// after it is.
	NemesisInterval time.Duration `json:"nemesis_interval"`
	// NemesisOverlap lets a new fault start while others are in force.
	NemesisOverlap bool `json:"nemesis_overlap"`
	// Bounds are the user's bounds on the faults' parameters.
	Bounds FaultBounds `json:"bounds"`
	// RecoveryTime bounds the final phase: after the heal, how long the
	// system has to answer a read of every key.
	RecoveryTime time.Duration `json:"recovery_time"`
	// ShrinkTimeout bounds the shrink of an invalid register run's history
	// as the run ends (checker.Shrink); 0 turns it off.
	ShrinkTimeout time.Duration `json:"shrink_timeout"`
	// Settings are the system's own settings, the value its NewSettings
	// returned; nil means its defaults.
	Settings systems.Settings `json:"settings,omitempty"`
	// Systems is the registry System is looked up in; nil means the
	// built-in systems.
	Systems *systems.Registry `json:"-"`
	// NodeBinary is the faultline binary that runs the Raft KV nodes; empty
	// means this executable.
	NodeBinary string `json:"-"`
	// Status, if set, receives the live status line.
	Status StatusSink `json:"-"`
	// Args, if set, are the `faultline run` flags that made this
	// configuration, without --seed and --results: run.json's reproduce
	// line is then exactly them and the seed.
	Args []string `json:"-"`
	// Repeats, if set, is the id of the run this one repeats (`faultline
	// rerun`), recorded in run.json.
	Repeats string `json:"-"`
}

// DefaultShrinkTimeout is how long a run shrinks its invalid history by
// default: the shrinks measured took well under a second, and a run that
// found an anomaly should not wait long for its proof.
const DefaultShrinkTimeout = 20 * time.Second

// DefaultConfig is the run that `faultline run` makes with no flags: the Raft
// KV store, the register workload, partitions and latency, three nodes,
// thirty seconds.
func DefaultConfig() Config {
	c := Config{
		System:          "raftkv",
		Workload:        "", // the system's first workload
		Nemesis:         []string{nemesis.FaultPartition, nemesis.FaultLatency},
		Nodes:           3,
		Time:            30 * time.Second,
		Common:          workloads.DefaultCommon(),
		Results:         "results",
		CheckTimeout:    2 * time.Minute,
		NemesisInterval: 5 * time.Second,
		RecoveryTime:    30 * time.Second,
		ShrinkTimeout:   DefaultShrinkTimeout,
	}
	c.Seed = time.Now().UnixNano() % 1_000_000
	return c
}

// registry is the registry the run's system is looked up in.
func (c Config) registry() *systems.Registry {
	if c.Systems != nil {
		return c.Systems
	}
	return builtin.Registry()
}

// resolve fills the settings whose default depends on the system: the
// workload, the named fault mix "all", and the system's own settings.
func (c Config) resolve() Config {
	c.Systems = c.registry()
	sys, ok := c.Systems.Lookup(c.System)
	if !ok {
		return c
	}
	if c.Workload == "" {
		c.Workload = sys.Workloads()[0]
	}
	if slices.Contains(c.Nemesis, nemesis.MixAll) {
		c.Nemesis = slices.Clone(sys.Faults())
	}
	if c.Settings == nil {
		c.Settings = sys.NewSettings()
	}
	return c
}

// run is what the system sees of the run's shared settings.
func (c Config) run() systems.Run {
	return systems.Run{Workload: c.Workload, Nemesis: c.Nemesis, Nodes: c.Nodes, Time: c.Time, Common: c.Common}
}

// Validate checks a resolved configuration against the registry and
// reports the first problem in words that name the valid choices. Every
// error wraps history.ErrBadConfig.
func (c Config) Validate() error {
	reg := c.registry()
	sys, ok := reg.Lookup(c.System)
	if !ok {
		return fmt.Errorf("%w: unknown system %q; valid systems: %s", history.ErrBadConfig, c.System, strings.Join(reg.Names(), ", "))
	}
	if !slices.Contains(sys.Workloads(), c.Workload) {
		return fmt.Errorf("%w: system %s has no workload %q; valid workloads: %s", history.ErrBadConfig, c.System, c.Workload, strings.Join(sys.Workloads(), ", "))
	}
	for _, f := range c.Nemesis {
		if !slices.Contains(sys.Faults(), f) {
			return fmt.Errorf("%w: system %s cannot take the fault %q; valid faults: %s (or all, or none)", history.ErrBadConfig, c.System, f, strings.Join(sys.Faults(), ", "))
		}
	}
	switch {
	case c.Nodes < 1:
		return fmt.Errorf("%w: nodes must be at least 1, got %d", history.ErrBadConfig, c.Nodes)
	case c.Time <= 0:
		return fmt.Errorf("%w: time must be positive, got %s", history.ErrBadConfig, c.Time)
	case c.CheckTimeout <= 0:
		return fmt.Errorf("%w: check_timeout must be positive, got %s", history.ErrBadConfig, c.CheckTimeout)
	case c.NemesisInterval <= 0:
		return fmt.Errorf("%w: nemesis_interval must be positive, got %s", history.ErrBadConfig, c.NemesisInterval)
	case c.RecoveryTime <= 0:
		return fmt.Errorf("%w: recovery_time must be positive, got %s", history.ErrBadConfig, c.RecoveryTime)
	case c.ShrinkTimeout < 0:
		return fmt.Errorf("%w: shrink_timeout must be 0 (no shrink) or positive, got %s", history.ErrBadConfig, c.ShrinkTimeout)
	case c.Results == "":
		return fmt.Errorf("%w: results must name a directory", history.ErrBadConfig)
	case c.Settings == nil:
		return fmt.Errorf("%w: the configuration has no settings for system %s", history.ErrBadConfig, c.System)
	case reflect.TypeOf(c.Settings) != reflect.TypeOf(sys.NewSettings()):
		return fmt.Errorf("%w: the settings are a %T, not system %s's", history.ErrBadConfig, c.Settings, c.System)
	}
	if err := c.Common.Validate(); err != nil {
		return err
	}
	if err := c.Settings.Validate(c.run()); err != nil {
		return err
	}
	return checkWritable(c.Results)
}

// checkWritable makes sure the results root exists and can take a new run.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: cannot create the results directory: %w; name a writable directory", history.ErrBadConfig, err)
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("%w: cannot write to the results directory %s: %w; name a writable directory", history.ErrBadConfig, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// runID names a run: it sorts by time and says what ran.
func runID(c Config, start time.Time) string {
	return fmt.Sprintf("%s-%s-%s-seed%d", start.UTC().Format("20060102T150405Z"), c.System, c.Workload, c.Seed)
}
