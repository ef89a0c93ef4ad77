package nemesis

import (
	"context"
	"errors"
	"fmt"
)

// place is one stream of one link's proxy.
type place struct {
	link   Link
	stream string
}

// toxicSet is one Toxiproxy toxic applied at several places: what a network
// fault adds on Inject and removes on Heal.
type toxicSet struct {
	net    *Net
	name   string // unique to the fault, e.g. "f3-latency"
	typ    string // the Toxiproxy toxic type
	attrs  map[string]any
	places []place
}

func (s toxicSet) toxicName(p place) string { return s.name + "-" + p.stream }

// add adds the toxic at every place. On an error the toxics already added
// stay recorded in the Net, so remove (or Net.HealAll) takes them away.
func (s toxicSet) add(ctx context.Context) error {
	if len(s.places) == 0 {
		return fmt.Errorf("adding %s: %w", s.name, ErrNoLinks)
	}
	for _, p := range s.places {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("adding %s: %w", s.name, err)
		}
		if err := s.net.addToxic(ctx, p.link, s.toxicName(p), s.typ, p.stream, s.attrs); err != nil {
			return err
		}
	}
	return nil
}

// remove removes the toxic from every place; it is idempotent.
func (s toxicSet) remove(ctx context.Context) error {
	var errs []error
	for _, p := range s.places {
		if err := s.net.removeToxic(ctx, p.link, s.toxicName(p)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// links returns the distinct links of the set's places, in order.
func (s toxicSet) links() []string {
	var names []string
	seen := map[Link]bool{}
	for _, p := range s.places {
		if !seen[p.link] {
			seen[p.link] = true
			names = append(names, p.link.String())
		}
	}
	return names
}

// blackholePlaces maps cuts onto the proxies that carry them: packets from
// a to b travel upstream on link a->b (a's requests) and downstream on
// link b->a (a's replies to b's requests). Places without a proxy are left
// out.
func blackholePlaces(cuts []Cut, have map[Link]bool) []place {
	var places []place
	seen := map[place]bool{}
	for _, c := range cuts {
		for _, p := range []place{
			{Link(c), Upstream},
			{Link{From: c.To, To: c.From}, Downstream},
		} {
			if have[p.link] && !seen[p] {
				seen[p] = true
				places = append(places, p)
			}
		}
	}
	return places
}

// linkSet returns the links of n as a set.
func linkSet(n *Net) map[Link]bool {
	have := map[Link]bool{}
	for _, l := range n.Links() {
		have[l] = true
	}
	return have
}
