package nemesis

import "context"

var _ Fault = (*PowerLoss)(nil)

// PowerLosser is an optional ability of Processes: stop a node as a power
// loss would — SIGKILL, and then its disk loses whatever it wrote without
// fsync — so that Restart brings it back with only what was durable. A
// system whose storage cannot tell what was fsynced does not offer it.
type PowerLosser interface {
	PowerLoss(ctx context.Context, node string) error
}

// PowerLoss cuts the target nodes' power: kills them and drops what they
// had not fsynced; on Heal, restarts them from what is left. Against a
// node that fsyncs before it acknowledges, it is a kill; against one that
// does not, it loses acknowledged writes and votes.
type PowerLoss struct{ processFault }

// Name is "powerloss".
func (p *PowerLoss) Name() string { return FaultPowerLoss }

func newPowerLoss(p Processes, leader LeaderFinder, target string, order []string) *PowerLoss {
	return &PowerLoss{processFault{
		kind: FaultPowerLoss, target: target, order: order, leader: leader,
		start: p.(PowerLosser).PowerLoss, end: p.Restart,
	}}
}
