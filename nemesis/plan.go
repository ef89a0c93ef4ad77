package nemesis

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Step is one planned fault: which, with what parameters, when it starts
// (from the start of Run) and how long it stays in force.
type Step struct {
	Fault  string
	Params map[string]any
	At     time.Duration
	Hold   time.Duration

	spec spec
}

// planner draws the schedule from the seed. It is the only user of the
// nemesis's random source, so one seed always gives one schedule.
type planner struct {
	r          *rand.Rand
	cfg        Config
	nodes      []string
	procNodes  []string
	kinds      []string
	topologies []string
	targets    []string

	at       time.Duration // the next step's start
	procFree time.Duration // when the last planned process fault ends
	round    []string      // the kinds still to come in this round
	topoRnd  []string      // the topologies still to come in this round
	tgtRnd   []string      // the process-fault targets still to come in this round
}

// planSeed mixes into the PCG stream so the nemesis's draws differ from
// those of a worker seeded with the same number.
const planSeed = 0x6e656d65736973 // "nemesis"

func newPlanner(n *Nemesis) *planner {
	return &planner{
		r:          rand.New(rand.NewPCG(uint64(n.cfg.Seed), planSeed)),
		cfg:        n.cfg,
		nodes:      n.nodes,
		procNodes:  n.procNodes,
		kinds:      n.kinds,
		topologies: n.topologies,
		targets:    n.targets,
		at:         n.cfg.Interval, // a quiet start, so the workload has a baseline
	}
}

// nextKind deals the fault kinds in rounds, each a seeded shuffle of every
// kind, so that every requested fault is injected once in the first
// len(kinds) steps — a short run still covers what the user asked for —
// while the order stays random.
func (p *planner) nextKind() string { return deal(p.r, &p.round, p.kinds) }

// nextTopology deals the partition topologies the same way, the one that
// isolates the leader first in every round: bugs live at the leader (a
// deposed leader that still answers, an old term's entries), so the first
// partition of every run cuts the leader off when the cluster has one.
func (p *planner) nextTopology() string {
	return dealFirst(p.r, &p.topoRnd, p.topologies, TopologyIsolateLeader)
}

// nextTarget deals the process-fault targets the same way, the leader
// first in every round, so that the first kill or pause of every run hits
// the leader.
func (p *planner) nextTarget() string { return dealFirst(p.r, &p.tgtRnd, p.targets, TargetLeader) }

// deal takes the next of all, in rounds of seeded shuffles.
func deal(r *rand.Rand, round *[]string, all []string) string { return dealFirst(r, round, all, "") }

// dealFirst is deal with first, when it is one of all, at the head of every
// round.
func dealFirst(r *rand.Rand, round *[]string, all []string, first string) string {
	if len(*round) == 0 {
		*round = shuffled(r, all)
		if i := slices.Index(*round, first); i > 0 {
			(*round)[0], (*round)[i] = (*round)[i], (*round)[0]
		}
	}
	next := (*round)[0]
	*round = (*round)[1:]
	return next
}

// next draws the next step. Without overlap, faults alternate with quiet
// gaps of one Interval. With overlap the next fault starts ½ to 2
// Intervals after this one, so faults sometimes overlap; process faults
// never overlap each other, so a node is not paused while it is dead.
func (p *planner) next() Step {
	kind := p.nextKind()
	hold := p.cfg.Interval
	at := p.at
	sp := faultKinds[kind].draw(p)
	if faultKinds[kind].process {
		at = max(at, p.procFree)
		p.procFree = at + hold
	}
	if p.cfg.Overlap {
		p.at = at + time.Duration(between(p.r, int64(p.cfg.Interval/2), int64(2*p.cfg.Interval)))
	} else {
		p.at = at + hold + p.cfg.Interval
	}
	return Step{Fault: kind, Params: sp.params(), At: at, Hold: hold, spec: sp}
}

// Plan returns the first n steps the schedule of this nemesis's seed
// takes, without injecting anything.
func (n *Nemesis) Plan(count int) []Step {
	if len(n.kinds) == 0 {
		return nil
	}
	p := newPlanner(n)
	steps := make([]Step, count)
	for i := range steps {
		steps[i] = p.next()
	}
	return steps
}
