package runner

import (
	"github.com/faultline/faultline/checker"
)

// Checkers lists, for each workload, the checkers of its history beyond the
// ones checker.Check always runs (linearizability for the register workload,
// statistics with the too-little-work rule, and fault coverage).
// `faultline check` uses it too, so a stored run is re-checked exactly as it
// was checked when it ran.
var Checkers = map[string]func(cfg Config) []checker.Checker{
	"register": func(Config) []checker.Checker { return nil },
	"lock":     RedisLockCheckers,
	"fenced":   RedisLockCheckers,
	"breaker":  BreakerCheckers,
}
