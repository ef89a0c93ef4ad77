package nemesis

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func cuts(pairs ...string) []Cut {
	var out []Cut
	for _, p := range pairs {
		l, err := ParseLink(p)
		if err != nil {
			panic(err)
		}
		out = append(out, Cut(l))
	}
	return sortCuts(out)
}

func TestTopologies(t *testing.T) {
	tests := []struct {
		name   string
		split  Split
		groups [][]string
		cuts   []Cut
	}{
		{"halves of 3", Halves([]string{"n2", "n1", "n3"}),
			[][]string{{"n2"}, {"n1", "n3"}},
			cuts("n2->n1", "n2->n3", "n1->n2", "n3->n2")},
		{"halves of 4", Halves([]string{"a", "b", "c", "d"}),
			[][]string{{"a", "b"}, {"c", "d"}},
			cuts("a->c", "a->d", "b->c", "b->d", "c->a", "c->b", "d->a", "d->b")},
		{"isolate one", Isolate([]string{"n1", "n2", "n3"}, "n3"),
			[][]string{{"n3"}, {"n1", "n2"}},
			cuts("n3->n1", "n3->n2", "n1->n3", "n2->n3")},
		{"bridge of 5", Bridge([]string{"a", "b", "c", "d", "e"}),
			[][]string{{"a", "b", "c"}, {"c", "d", "e"}},
			cuts("a->d", "a->e", "b->d", "b->e", "d->a", "d->b", "e->a", "e->b")},
		{"bridge of 3", Bridge([]string{"a", "b", "c"}),
			[][]string{{"a", "b"}, {"b", "c"}},
			cuts("a->c", "c->a")},
		{"majority ring of 3", MajorityRing([]string{"a", "b", "c"}),
			nil,
			cuts("c->a", "a->b", "b->c")},
		{"majority ring of 5", MajorityRing([]string{"a", "b", "c", "d", "e"}),
			nil,
			cuts("d->a", "e->a", "e->b", "a->b", "a->c", "b->c", "b->d", "c->d", "c->e", "d->e")},
		{"one way", OneWay([]string{"a", "b", "c"}),
			[][]string{{"a"}, {"b", "c"}},
			cuts("a->b", "a->c")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.groups, tt.split.Groups)
			assert.Equal(t, tt.cuts, tt.split.Cuts)
		})
	}
}

// In a majority ring every node still hears from a majority (itself
// included), and no two nodes hear the same set.
func TestMajorityRingEachHearsADistinctMajority(t *testing.T) {
	for _, nodes := range [][]string{{"a", "b", "c"}, {"a", "b", "c", "d"}, {"a", "b", "c", "d", "e"}, {"a", "b", "c", "d", "e", "f", "g"}} {
		t.Run(string(rune('0'+len(nodes))), func(t *testing.T) {
			dropped := map[Cut]bool{}
			for _, c := range MajorityRing(nodes).Cuts {
				dropped[c] = true
			}
			seen := map[string]bool{}
			for _, to := range nodes {
				hears := ""
				count := 0
				for _, from := range nodes {
					if !dropped[Cut{from, to}] {
						hears += from + ","
						count++
					}
				}
				assert.Greater(t, count, len(nodes)/2, "node %s hears %s", to, hears)
				assert.False(t, seen[hears], "two nodes hear %s", hears)
				seen[hears] = true
			}
		})
	}
}

func TestBlackholePlaces(t *testing.T) {
	have := map[Link]bool{{"a", "b"}: true, {"b", "a"}: true, {"a", "c"}: true}
	tests := []struct {
		name string
		cuts []Cut
		want []place
	}{
		{"both ways", cuts("a->b", "b->a"), []place{
			{Link{"a", "b"}, Upstream}, {Link{"b", "a"}, Downstream},
			{Link{"b", "a"}, Upstream}, {Link{"a", "b"}, Downstream},
		}},
		{"one way", cuts("a->b"), []place{{Link{"a", "b"}, Upstream}, {Link{"b", "a"}, Downstream}}},
		{"only one proxy exists", cuts("c->a"), []place{{Link{"a", "c"}, Downstream}}},
		{"no proxy", cuts("b->c"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, blackholePlaces(tt.cuts, have))
		})
	}
}

func TestSelectLinks(t *testing.T) {
	nodes := []string{"n1", "n2", "n3"}
	links := []Link{{"client", "n1"}, {"client", "n2"}, {"n1", "n2"}, {"n2", "n1"}, {"n2", "n3"}}
	tests := []struct {
		class, node string
		want        []Link
	}{
		{NodeLinks, "", []Link{{"n1", "n2"}, {"n2", "n1"}, {"n2", "n3"}}},
		{ClientLinks, "", []Link{{"client", "n1"}, {"client", "n2"}}},
		{AllLinks, "", links},
		{NodeLinks, "n3", []Link{{"n2", "n3"}}},
		{AllLinks, "n1", []Link{{"client", "n1"}, {"n1", "n2"}, {"n2", "n1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.class+"/"+tt.node, func(t *testing.T) {
			assert.Equal(t, tt.want, selectLinks(links, nodes, tt.class, tt.node))
		})
	}
}

func TestTargetNodes(t *testing.T) {
	order := []string{"n4", "n2", "n5", "n1", "n3"}
	tests := []struct {
		target string
		want   []string
	}{
		{TargetOne, []string{"n4"}},
		{TargetLeader, []string{"n3"}},
		{TargetMinority, []string{"n2", "n4"}},
		{TargetMajority, []string{"n2", "n4", "n5"}},
		{TargetAll, []string{"n1", "n2", "n3", "n4", "n5"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			assert.Equal(t, tt.want, TargetNodes(tt.target, order, "n3"))
		})
	}
	assert.Equal(t, []string{"a"}, TargetNodes(TargetMinority, []string{"a", "b"}, ""), "a minority has at least one node")
}

func TestParseLink(t *testing.T) {
	l, err := ParseLink("n1->n2")
	assert.NoError(t, err)
	assert.Equal(t, Link{"n1", "n2"}, l)
	for _, bad := range []string{"", "n1", "->n2", "n1->", "a->b->c"} {
		_, err := ParseLink(bad)
		assert.Error(t, err, bad)
	}
}
