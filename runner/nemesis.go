package runner

import (
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
)

// nemesisConfig builds the nemesis configuration of a resolved run and
// validates it before anything starts: the nemesis's defaults, as the
// system tunes them, then the user's bounds, which win.
func nemesisConfig(c Config) (nemesis.Config, error) {
	nc := nemesis.DefaultConfig()
	nc.Faults = c.Nemesis
	nc.Interval = c.NemesisInterval
	nc.Overlap = c.NemesisOverlap
	nc.Seed = c.Seed
	if t, ok := c.Settings.(systems.NemesisTuner); ok {
		t.TuneNemesis(&nc, c.run())
	}
	c.Bounds.apply(&nc)
	return nc, nc.Validate()
}
