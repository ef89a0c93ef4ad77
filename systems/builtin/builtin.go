// Package builtin is the registry of the systems Faultline ships: one line
// per system. The runner and the CLI use it unless handed a registry of
// their own.
package builtin

import (
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/breaker"
	"github.com/faultline/faultline/systems/etcd"
	"github.com/faultline/faultline/systems/hraftkv"
	"github.com/faultline/faultline/systems/raftkv"
	"github.com/faultline/faultline/systems/redislock"
)

// Registry returns a new registry of the built-in systems. Each call
// returns a fresh one, so that a caller may add systems of its own.
func Registry() *systems.Registry {
	return systems.NewRegistry(
		raftkv.Adapter{},
		redislock.Adapter{},
		breaker.Adapter{},
		etcd.Adapter{},
		hraftkv.Adapter{},
	)
}
