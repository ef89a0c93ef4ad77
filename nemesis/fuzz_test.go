package nemesis

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline/history"
)

// FuzzParseFaults: any --nemesis value either parses into known, distinct
// fault names or fails with history.ErrBadConfig.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "none", "all", "kill,pause,partition,latency", "latency,,x", " slicer , limit-data "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		faults, err := ParseFaults(s)
		if err != nil {
			if !errors.Is(err, history.ErrBadConfig) {
				t.Fatalf("error %v is not history.ErrBadConfig", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, name := range faults {
			if _, ok := faultKinds[name]; !ok && name != MixAll {
				t.Fatalf("parsed unknown fault %q from %q", name, s)
			}
			if seen[name] {
				t.Fatalf("fault %q twice from %q", name, s)
			}
			seen[name] = true
		}
	})
}

// FuzzParseLink: a parsed link prints back as its input.
func FuzzParseLink(f *testing.F) {
	for _, s := range []string{"n1->n2", "client->n3", "->", "a->b->c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			return
		}
		if l.String() != s || l.From == "" || l.To == "" || strings.Contains(l.To, "->") {
			t.Fatalf("ParseLink(%q) = %#v", s, l)
		}
	})
}

// FuzzTopologies: every topology over any node set only cuts pairs of
// distinct nodes of that set.
func FuzzTopologies(f *testing.F) {
	f.Add("n1,n2,n3", "n2")
	f.Add("a,b,c,d,e", "e")
	f.Fuzz(func(t *testing.T, list, leader string) {
		nodes := slices.Compact(slices.Sorted(slices.Values(strings.Split(list, ","))))
		if len(nodes) < 3 || !slices.Contains(nodes, leader) {
			return
		}
		for name, topo := range topologies {
			for _, c := range topo.split(nodes, leader).Cuts {
				if c.From == c.To || !slices.Contains(nodes, c.From) || !slices.Contains(nodes, c.To) {
					t.Fatalf("%s over %v cuts %v", name, nodes, c)
				}
			}
		}
	})
}
