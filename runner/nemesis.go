package runner

import (
	"fmt"

	"github.com/faultline/faultline/nemesis"
)

// nemesisConfig builds the nemesis configuration of a run and validates it
// before anything starts.
func nemesisConfig(c Config) (nemesis.Config, error) {
	nc := nemesis.DefaultConfig()
	nc.Faults = c.Nemesis
	nc.Interval = c.NemesisInterval
	nc.Overlap = c.NemesisOverlap
	nc.Seed = c.Seed
	if t, ok := Systems[c.System].(nemesisTuner); ok {
		t.TuneNemesis(&nc, c)
	}
	c.Bounds.apply(&nc)
	if err := nc.Validate(); err != nil {
		return nc, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return nc, nil
}

// nemesisTuner is an optional ability of a System: it adjusts the fault
// parameters to what matters for it (the lock's latency around its lease).
type nemesisTuner interface {
	TuneNemesis(nc *nemesis.Config, c Config)
}
