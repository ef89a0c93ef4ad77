package runner

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Config is everything one run needs. The CLI's flags fill it; DefaultConfig
// gives the embedded defaults that `faultline run` uses with no flags.
type Config struct {
	System      string        `json:"system"`
	Workload    string        `json:"workload"`
	Nemesis     []string      `json:"nemesis"` // fault kinds; empty for none
	Nodes       int           `json:"nodes"`
	Concurrency int           `json:"concurrency"`
	Time        time.Duration `json:"time"`
	Seed        int64         `json:"seed"`
	Results     string        `json:"results"`   // the results root directory
	Toxiproxy   string        `json:"toxiproxy"` // an external Toxiproxy's URL; empty for the embedded one
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
	// Keys, OpsPerKey, Rate and OpTimeout shape the register workload:
	// Keys registers at a time, each used for about OpsPerKey operations
	// before the workers move on to fresh ones (0: no limit).
	Keys      int           `json:"keys"`
	OpsPerKey int           `json:"ops_per_key"`
	Rate      float64       `json:"rate"`
	OpTimeout time.Duration `json:"op_timeout"`
	// RecoveryTime bounds the final phase: after the heal, how long the
	// system has to answer a read of every key.
	RecoveryTime time.Duration `json:"recovery_time"`
	// Lock holds the redislock system's settings.
	Lock RedisLockOptions `json:"lock"`
	// Breaker holds the breaker system's settings.
	Breaker BreakerOptions `json:"breaker"`
	// NodeBinary is the faultline binary that runs the Raft KV nodes; empty
	// means this executable.
	NodeBinary string `json:"-"`
	// Status, if set, receives the live status line.
	Status StatusSink `json:"-"`
}

// DefaultConfig is the run that `faultline run` makes with no flags: the Raft
// KV store, the register workload, partitions and latency, three nodes,
// thirty seconds.
func DefaultConfig() Config {
	return Config{
		System:          "raftkv",
		Workload:        "", // the system's first workload
		Nemesis:         []string{"partition", "latency"},
		Nodes:           3,
		Concurrency:     10,
		Time:            30 * time.Second,
		Seed:            time.Now().UnixNano() % 1_000_000,
		Results:         "results",
		CheckTimeout:    2 * time.Minute,
		NemesisInterval: 5 * time.Second,
		Keys:            8,
		OpsPerKey:       300,
		OpTimeout:       2 * time.Second,
		RecoveryTime:    30 * time.Second,
		Lock:            DefaultRedisLockOptions(),
		Breaker:         DefaultBreakerOptions(),
	}
}

// resolve fills the settings whose default depends on the system: the
// workload, and the named fault mix "all".
func (c Config) resolve() Config {
	sys, ok := Systems[c.System]
	if !ok {
		return c
	}
	if c.Workload == "" {
		c.Workload = sys.Workloads()[0]
	}
	c.Nemesis = expandNemesis(sys, c.Nemesis)
	return c
}

// Validate checks the configuration against the registries and reports the
// first problem in words that name the valid choices. Every error wraps
// ErrBadInput.
func (c Config) Validate() error {
	sys, ok := Systems[c.System]
	if !ok {
		return fmt.Errorf("%w: unknown system %q; valid systems: %s", ErrBadInput, c.System, strings.Join(SystemNames(), ", "))
	}
	if !slices.Contains(sys.Workloads(), c.Workload) {
		return fmt.Errorf("%w: system %s has no workload %q; valid workloads: %s", ErrBadInput, c.System, c.Workload, strings.Join(sys.Workloads(), ", "))
	}
	for _, f := range c.Nemesis {
		if !slices.Contains(sys.Faults(), f) {
			return fmt.Errorf("%w: system %s cannot take the fault %q; valid faults: %s (or none)", ErrBadInput, c.System, f, strings.Join(sys.Faults(), ", "))
		}
	}
	switch {
	case c.Nodes < 1:
		return fmt.Errorf("%w: --nodes must be at least 1, got %d", ErrBadInput, c.Nodes)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: --concurrency must be at least 1, got %d", ErrBadInput, c.Concurrency)
	case c.Time <= 0:
		return fmt.Errorf("%w: --time must be positive, got %s", ErrBadInput, c.Time)
	case c.CheckTimeout <= 0:
		return fmt.Errorf("%w: --check-timeout must be positive, got %s", ErrBadInput, c.CheckTimeout)
	case c.NemesisInterval <= 0:
		return fmt.Errorf("%w: --nemesis-interval must be positive, got %s", ErrBadInput, c.NemesisInterval)
	case c.Keys < 1:
		return fmt.Errorf("%w: --keys must be at least 1, got %d", ErrBadInput, c.Keys)
	case c.OpsPerKey < 0:
		return fmt.Errorf("%w: --ops-per-key must not be negative, got %d", ErrBadInput, c.OpsPerKey)
	case c.Rate < 0:
		return fmt.Errorf("%w: --rate must not be negative, got %g", ErrBadInput, c.Rate)
	case c.OpTimeout <= 0:
		return fmt.Errorf("%w: --op-timeout must be positive, got %s", ErrBadInput, c.OpTimeout)
	case c.RecoveryTime <= 0:
		return fmt.Errorf("%w: --recovery-time must be positive, got %s", ErrBadInput, c.RecoveryTime)
	case c.Results == "":
		return fmt.Errorf("%w: --results must name a directory", ErrBadInput)
	}
	switch c.System {
	case "redislock":
		if err := c.Lock.Validate(c); err != nil {
			return err
		}
	case "breaker":
		if err := c.Breaker.Validate(); err != nil {
			return err
		}
	}
	return checkWritable(c.Results)
}

// checkWritable makes sure the results root exists and can take a new run.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: cannot create the results directory: %v; pass --results DIR with a writable directory", ErrBadInput, err)
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("%w: cannot write to the results directory %s: %v; pass --results DIR with a writable directory", ErrBadInput, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// ParseNemesis reads the --nemesis flag: a comma list of fault kinds, "none"
// or empty for none.
func ParseNemesis(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// runID names a run: it sorts by time and says what ran.
func runID(c Config, start time.Time) string {
	return fmt.Sprintf("%s-%s-%s-seed%d", start.UTC().Format("20060102T150405Z"), c.System, c.Workload, c.Seed)
}
