package nemesis

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

var _ Fault = (*Toxic)(nil)

// Toxic is one Toxiproxy toxic (latency, bandwidth, …) with parameters
// drawn from the seed, applied in one direction (or both) on a set of
// links: every link of the configured class, or only those of one node
// (a "slow node").
type Toxic struct {
	net       *Net
	id        int64
	params    toxicParams
	direction string
	class     string
	node      string // "" for every link of the class
	nodes     []string

	set toxicSet
}

// toxicParams is what a toxic's draw function produces.
type toxicParams struct {
	kind   string         // the fault name, e.g. "slow-close"
	typ    string         // the Toxiproxy type, e.g. "slow_close"
	attrs  map[string]any // the Toxiproxy attributes
	record map[string]any // the parameters as recorded, with units in the keys
}

// Name is the fault name, e.g. "latency".
func (t *Toxic) Name() string { return t.params.kind }

// Inject adds the toxic on every chosen link and stream.
func (t *Toxic) Inject(ctx context.Context) error {
	links := selectLinks(t.net.Links(), t.nodes, t.class, t.node)
	var places []place
	for _, l := range links {
		for _, s := range streams(t.direction) {
			places = append(places, place{l, s})
		}
	}
	t.set = toxicSet{
		net:    t.net,
		name:   fmt.Sprintf("f%d-%s", t.id, t.params.kind),
		typ:    t.params.typ,
		attrs:  t.params.attrs,
		places: places,
	}
	if err := t.set.add(ctx); err != nil {
		return fmt.Errorf("%s on %s links: %w", t.params.kind, t.class, err)
	}
	return nil
}

// Heal removes the toxic everywhere it was added.
func (t *Toxic) Heal(ctx context.Context) error {
	if t.set.net == nil {
		return nil
	}
	if err := t.set.remove(ctx); err != nil {
		return fmt.Errorf("healing %s: %w", t.params.kind, err)
	}
	return nil
}

// Describe reports the parameters, direction and links.
func (t *Toxic) Describe() map[string]any {
	d := maps.Clone(t.params.record)
	d["direction"] = t.direction
	d["links"] = t.set.links()
	if t.node != "" {
		d["node"] = t.node
	}
	return d
}

// selectLinks picks the links a toxic acts on: of class NodeLinks (both
// ends are nodes), ClientLinks (the connecting end is not a node) or
// AllLinks; and, when node is set, only the links to or from it.
func selectLinks(links []Link, nodes []string, class, node string) []Link {
	var out []Link
	for _, l := range links {
		isNode := slices.Contains(nodes, l.From) && slices.Contains(nodes, l.To)
		switch {
		case class == NodeLinks && !isNode, class == ClientLinks && isNode:
			continue
		case node != "" && l.From != node && l.To != node:
			continue
		}
		out = append(out, l)
	}
	return out
}
