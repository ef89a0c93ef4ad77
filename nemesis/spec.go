package nemesis

import (
	"maps"
	"math/rand/v2"
	"time"
)

// spec is a fault drawn by the planner, not yet built: plain data, so that
// two plans from one seed compare equal.
type spec interface {
	// params are the drawn parameters, as recorded.
	params() map[string]any
	// build makes the fault with history id id, in force for hold.
	build(n *Nemesis, id int64, hold time.Duration) Fault
}

type partitionSpec struct {
	Topology string
	Order    []string
	Flaps    int
}

func drawPartition(p *planner) spec {
	return partitionSpec{
		Topology: p.nextTopology(),
		Order:    shuffled(p.r, p.nodes),
		Flaps:    p.cfg.Flaps,
	}
}

func (s partitionSpec) params() map[string]any {
	return map[string]any{"topology": s.Topology}
}

func (s partitionSpec) build(n *Nemesis, id int64, hold time.Duration) Fault {
	return &Partition{
		net: n.deps.Net, id: id, topology: s.Topology, order: s.Order,
		leader: n.deps.Leader, flaps: s.Flaps, hold: hold,
	}
}

type toxicSpec struct {
	Params    toxicParams
	Direction string
	Node      string // "" for every link of the class
}

// toxicDraw draws a toxic's parameters, its direction, and whether it acts
// on every link of the configured class or on one node's links.
func toxicDraw(draw func(*rand.Rand, Config) toxicParams) func(*planner) spec {
	return func(p *planner) spec {
		s := toxicSpec{Params: draw(p.r, p.cfg), Direction: pick(p.r, p.cfg.Directions)}
		if p.r.IntN(2) == 1 {
			s.Node = pick(p.r, p.nodes)
		}
		return s
	}
}

func (s toxicSpec) params() map[string]any {
	d := map[string]any{}
	maps.Copy(d, s.Params.record)
	d["direction"] = s.Direction
	if s.Node != "" {
		d["node"] = s.Node
	}
	return d
}

func (s toxicSpec) build(n *Nemesis, id int64, _ time.Duration) Fault {
	return &Toxic{
		net: n.deps.Net, id: id, params: s.Params, direction: s.Direction,
		class: n.cfg.ToxicLinks, node: s.Node, nodes: n.nodes,
	}
}

type processSpec struct {
	Kind   string
	Target string
	Order  []string
}

func processDraw(kind string) func(*planner) spec {
	return func(p *planner) spec {
		return processSpec{Kind: kind, Target: p.nextTarget(), Order: shuffled(p.r, p.procNodes)}
	}
}

func (s processSpec) params() map[string]any {
	return map[string]any{"target": s.Target}
}

func (s processSpec) build(n *Nemesis, _ int64, _ time.Duration) Fault {
	switch s.Kind {
	case FaultKill:
		return newKill(n.deps.Processes, n.deps.Leader, s.Target, s.Order)
	case FaultPowerLoss:
		return newPowerLoss(n.deps.Processes, n.deps.Leader, s.Target, s.Order)
	}
	return newPause(n.deps.Processes, n.deps.Leader, s.Target, s.Order)
}
