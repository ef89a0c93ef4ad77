package runner

import (
	"fmt"

	"github.com/faultline/faultline/nemesis"
)

// nemesisConfig builds the nemesis configuration of a run and validates it
// before anything starts.
func nemesisConfig(c Config) (nemesis.Config, error) {
	nc := nemesis.DefaultConfig()
	nc.Faults = expandNemesis(Systems[c.System], c.Nemesis)
	nc.Interval = c.NemesisInterval
	nc.Overlap = c.NemesisOverlap
	nc.Seed = c.Seed
	if err := nc.Validate(); err != nil {
		return nc, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return nc, nil
}
