package systems

import (
	"fmt"
	"slices"
	"sort"
)

// Registry is a set of systems by name. The built-in one is
// builtin.Registry(); a test can add a system of its own to a registry and
// hand it to the runner.
type Registry struct {
	byName map[string]System
}

// NewRegistry returns a registry of the given systems. It panics on two
// systems with one name: that is a programming error, caught by any test.
func NewRegistry(systems ...System) *Registry {
	r := &Registry{byName: map[string]System{}}
	for _, s := range systems {
		if err := r.Register(s); err != nil {
			panic(err)
		}
	}
	return r
}

// Register adds a system; a name already taken is an error.
func (r *Registry) Register(s System) error {
	if _, ok := r.byName[s.Name()]; ok {
		return fmt.Errorf("a system named %q is already registered", s.Name())
	}
	r.byName[s.Name()] = s
	return nil
}

// Lookup finds a system by name.
func (r *Registry) Lookup(name string) (System, bool) {
	s, ok := r.byName[name]
	return s, ok
}

// Names lists the systems, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All lists the systems, sorted by name.
func (r *Registry) All() []System {
	out := make([]System, 0, len(r.byName))
	for _, n := range r.Names() {
		out = append(out, r.byName[n])
	}
	return out
}

// ForWorkload finds the first system, by name, that runs workload: for a
// history recorded elsewhere, whose checkers are known by its workload
// alone.
func (r *Registry) ForWorkload(workload string) (System, bool) {
	for _, s := range r.All() {
		if slices.Contains(s.Workloads(), workload) {
			return s, true
		}
	}
	return nil, false
}

// Workloads lists every workload of every system, sorted, once each.
func (r *Registry) Workloads() []string {
	var out []string
	for _, s := range r.byName {
		for _, w := range s.Workloads() {
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	sort.Strings(out)
	return out
}
