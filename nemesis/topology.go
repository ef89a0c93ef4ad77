package nemesis

import (
	"slices"
	"strings"
)

// Partition topologies. Each is a pure function from an ordering of the
// nodes (shuffled by the planner from the seed) to the packets it drops.
const (
	TopologyHalves        = "halves"         // two halves, as even as possible
	TopologyIsolateOne    = "isolate-one"    // one random node alone
	TopologyIsolateLeader = "isolate-leader" // the current leader alone
	TopologyMajorityRing  = "majority-ring"  // each node hears a different majority
	TopologyBridge        = "bridge"         // two halves joined by one node in both
	TopologyOneWay        = "one-way"        // one half cannot send to the other; replies pass
	TopologyFlapping      = "flapping"       // the link between two nodes cut and restored repeatedly
)

// Cut says that packets from From to To are dropped.
type Cut struct {
	From, To string
}

func (c Cut) String() string { return c.From + "->" + c.To }

// Split is what a topology does to the cluster: the groups it draws (for
// the record; nil where the shape is not a grouping) and the directed cuts
// that implement it.
type Split struct {
	Groups [][]string
	Cuts   []Cut
}

// topology is one entry of the topology registry.
type topology struct {
	minNodes int
	// split cuts the cluster; order is the nodes in the planner's shuffled
	// order, leader the node isolate-leader isolates.
	split func(order []string, leader string) Split
}

// topologies is the registry of partition shapes.
var topologies = map[string]topology{
	TopologyHalves:        {2, func(o []string, _ string) Split { return Halves(o) }},
	TopologyIsolateOne:    {2, func(o []string, _ string) Split { return Isolate(o, o[0]) }},
	TopologyIsolateLeader: {2, func(o []string, leader string) Split { return Isolate(o, leader) }},
	TopologyMajorityRing:  {3, func(o []string, _ string) Split { return MajorityRing(o) }},
	TopologyBridge:        {3, func(o []string, _ string) Split { return Bridge(o) }},
	TopologyOneWay:        {2, func(o []string, _ string) Split { return OneWay(o) }},
	TopologyFlapping:      {2, func(o []string, _ string) Split { return Isolate(o[:2], o[0]) }},
}

// TopologyNames returns the partition topologies, sorted.
func TopologyNames() []string {
	names := make([]string, 0, len(topologies))
	for name := range topologies {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Halves splits order into its first ⌊n/2⌋ nodes and the rest, cut both
// ways.
func Halves(order []string) Split {
	h := len(order) / 2
	return groupsSplit([][]string{sorted(order[:h]), sorted(order[h:])})
}

// Isolate cuts node off from every other node of order, both ways.
func Isolate(order []string, node string) Split {
	rest := slices.DeleteFunc(slices.Clone(order), func(n string) bool { return n == node })
	return groupsSplit([][]string{{node}, sorted(rest)})
}

// Bridge is Jepsen's bridge: the first ⌊n/2⌋ nodes and the last ones cannot
// talk, while the middle node talks to both sides.
func Bridge(order []string) Split {
	h := len(order) / 2
	left, right := sorted(order[:h+1]), sorted(order[h:])
	var cuts []Cut
	for _, a := range order[:h] {
		for _, b := range order[h+1:] {
			cuts = append(cuts, Cut{a, b}, Cut{b, a})
		}
	}
	return Split{Groups: [][]string{left, right}, Cuts: sortCuts(cuts)}
}

// MajorityRing places order on a ring; each node hears only from itself and
// the next ⌊n/2⌋ nodes along it (a majority), and drops the rest. No two
// nodes hear the same majority, so no majority agrees on one view.
func MajorityRing(order []string) Split {
	n := len(order)
	hears := n/2 + 1
	var cuts []Cut
	for i, to := range order {
		for d := hears; d < n; d++ {
			cuts = append(cuts, Cut{From: order[(i+d)%n], To: to})
		}
	}
	return Split{Cuts: sortCuts(cuts)}
}

// OneWay drops every packet from the first half of order to the second
// half, while the second half still reaches the first.
func OneWay(order []string) Split {
	h := len(order) / 2
	var cuts []Cut
	for _, a := range order[:h] {
		for _, b := range order[h:] {
			cuts = append(cuts, Cut{a, b})
		}
	}
	return Split{Groups: [][]string{sorted(order[:h]), sorted(order[h:])}, Cuts: sortCuts(cuts)}
}

// groupsSplit cuts every pair of nodes in different groups, both ways.
func groupsSplit(groups [][]string) Split {
	var cuts []Cut
	for i, g := range groups {
		for j, h := range groups {
			if i == j {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					cuts = append(cuts, Cut{a, b})
				}
			}
		}
	}
	return Split{Groups: groups, Cuts: sortCuts(cuts)}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sortCuts(cuts []Cut) []Cut {
	slices.SortFunc(cuts, func(a, b Cut) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
	})
	return slices.Compact(cuts)
}
