package runner

import (
	"slices"
	"sort"
)

// Systems is the registry of systems under test, by --system name.
var Systems = map[string]System{
	"raftkv":    raftkvSystem{},
	"redislock": RedisLockSystem{},
	"breaker":   BreakerSystem{},
}

// SystemNames lists the registered systems, sorted.
func SystemNames() []string {
	names := make([]string, 0, len(Systems))
	for n := range Systems {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// expandNemesis turns the named mix "all" into every fault the system takes.
func expandNemesis(sys System, faults []string) []string {
	if !slices.Contains(faults, "all") {
		return faults
	}
	return slices.Clone(sys.Faults())
}
