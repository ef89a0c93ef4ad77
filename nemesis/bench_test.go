package nemesis

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkPlan measures drawing a schedule step.
func BenchmarkPlan(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Faults = []string{MixAll}
	n, err := New(cfg, Deps{Net: &Net{}, Processes: &childProcesses{}, Nodes: []string{"n1", "n2", "n3", "n4", "n5"}, Leader: staticLeader("n1")})
	require.NoError(b, err)
	p := newPlanner(n)
	b.ReportAllocs()
	for b.Loop() {
		p.next()
	}
}

// BenchmarkToxicInjectHeal measures one latency fault on one link of the
// embedded Toxiproxy: two HTTP calls through the official client.
func BenchmarkToxicInjectHeal(b *testing.B) {
	ctx := b.Context()
	srv, err := StartServer(ctx, nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = srv.Close() })
	n, err := Connect(ctx, srv.URL())
	require.NoError(b, err)
	_, err = n.AddLink(ctx, "n1", "n2", "127.0.0.1:1")
	require.NoError(b, err)
	params := drawLatency(rand.New(rand.NewPCG(1, 1)), DefaultConfig())
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f := &Toxic{net: n, id: int64(i + 1), params: params, direction: Downstream, class: AllLinks}
		if err := f.Inject(ctx); err != nil {
			b.Fatal(err)
		}
		if err := f.Heal(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
