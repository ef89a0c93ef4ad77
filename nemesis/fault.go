package nemesis

import (
	"context"
	"slices"
)

// Fault is one fault: Inject puts it in force, Heal undoes it. Heal is
// idempotent and undoes whatever part of a failed Inject took effect.
type Fault interface {
	Name() string
	Inject(ctx context.Context) error
	Heal(ctx context.Context) error
}

// Describer is implemented by faults that can say what they did once
// injected (the groups a partition drew, the nodes a kill hit); the
// nemesis records it with the fault's start.
type Describer interface {
	Describe() map[string]any
}

// Fault names, as --nemesis takes them and the history records them.
const (
	FaultPartition = "partition"
	FaultLatency   = "latency"
	FaultBandwidth = "bandwidth"
	FaultSlowClose = "slow-close"
	FaultTimeout   = "timeout"
	FaultResetPeer = "reset-peer"
	FaultSlicer    = "slicer"
	FaultLimitData = "limit-data"
	FaultKill      = "kill"
	FaultPause     = "pause"
	FaultPowerLoss = "powerloss"
)

// faultKind is one entry of the fault registry.
type faultKind struct {
	process bool                  // needs the system's Processes
	draw    func(p *planner) spec // draws one fault's parameters
}

// faultKinds is the registry of every fault the nemesis offers.
var faultKinds = map[string]faultKind{
	FaultPartition: {draw: drawPartition},
	FaultLatency:   {draw: toxicDraw(drawLatency)},
	FaultBandwidth: {draw: toxicDraw(drawBandwidth)},
	FaultSlowClose: {draw: toxicDraw(drawSlowClose)},
	FaultTimeout:   {draw: toxicDraw(drawTimeout)},
	FaultResetPeer: {draw: toxicDraw(drawResetPeer)},
	FaultSlicer:    {draw: toxicDraw(drawSlicer)},
	FaultLimitData: {draw: toxicDraw(drawLimitData)},
	FaultKill:      {process: true, draw: processDraw(FaultKill)},
	FaultPause:     {process: true, draw: processDraw(FaultPause)},
	FaultPowerLoss: {process: true, draw: processDraw(FaultPowerLoss)},
}

// FaultNames returns every fault name, sorted.
func FaultNames() []string {
	names := make([]string, 0, len(faultKinds))
	for name := range faultKinds {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// IsProcessFault reports whether the fault needs a system with processes.
func IsProcessFault(name string) bool { return faultKinds[name].process }
