package nemesis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func planFor(t *testing.T, seed int64, overlap bool) []Step {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Faults = []string{MixAll}
	cfg.Seed = seed
	cfg.Overlap = overlap
	n, err := New(cfg, Deps{Net: &Net{}, Processes: &childProcesses{}, Nodes: []string{"n1", "n2", "n3", "n4", "n5"}, Leader: staticLeader("n1")})
	require.NoError(t, err)
	return n.Plan(200)
}

func TestPlanIsDeterministicForASeed(t *testing.T) {
	for _, overlap := range []bool{false, true} {
		a, b := planFor(t, 42, overlap), planFor(t, 42, overlap)
		assert.Equal(t, a, b, "overlap=%t", overlap)
		assert.NotEqual(t, a, planFor(t, 43, overlap), "another seed, another plan")
	}
}

func TestPlanDrawsEveryFaultAndTopology(t *testing.T) {
	faults, topos := map[string]bool{}, map[string]bool{}
	for _, s := range planFor(t, 7, false) {
		faults[s.Fault] = true
		if s.Fault == FaultPartition {
			topos[s.Params["topology"].(string)] = true
		}
	}
	assert.Len(t, faults, len(FaultNames()))
	assert.Len(t, topos, len(TopologyNames()))
}

func TestPlanWithoutOverlapAlternatesFaultAndQuiet(t *testing.T) {
	steps := planFor(t, 1, false)
	iv := DefaultConfig().Interval
	assert.Equal(t, iv, steps[0].At, "a quiet interval first")
	for i := 1; i < len(steps); i++ {
		assert.Equal(t, steps[i-1].At+steps[i-1].Hold+iv, steps[i].At)
	}
}

func TestPlanWithOverlapNeverOverlapsProcessFaults(t *testing.T) {
	steps := planFor(t, 3, true)
	var procEnd time.Duration
	overlapped := false
	for i, s := range steps {
		if i > 0 && s.At < steps[i-1].At+steps[i-1].Hold {
			overlapped = true
		}
		if IsProcessFault(s.Fault) {
			assert.GreaterOrEqual(t, s.At, procEnd, "step %d", i)
			procEnd = s.At + s.Hold
		}
	}
	assert.True(t, overlapped, "with overlap some faults overlap")
}

func TestPlanParamsWithinBounds(t *testing.T) {
	c := DefaultConfig()
	for _, s := range planFor(t, 9, false) {
		switch s.Fault {
		case FaultLatency:
			l := s.Params["latency_ms"].(int64)
			assert.GreaterOrEqual(t, l, c.LatencyMin.Milliseconds())
			assert.LessOrEqual(t, l, c.LatencyMax.Milliseconds())
			assert.LessOrEqual(t, s.Params["jitter_ms"].(int64), c.Jitter.Milliseconds())
		case FaultBandwidth:
			r := s.Params["rate_kbps"].(int64)
			assert.GreaterOrEqual(t, r, c.BandwidthMin)
			assert.LessOrEqual(t, r, c.BandwidthMax)
		case FaultLimitData:
			b := s.Params["bytes"].(int64)
			assert.GreaterOrEqual(t, b, c.LimitDataMin)
			assert.LessOrEqual(t, b, c.LimitDataMax)
		}
		if d, ok := s.Params["direction"]; ok {
			assert.Contains(t, []string{Upstream, Downstream, Both}, d)
		}
	}
}

// TestDefaultPlanAimsAtTheLeaderWithin30s: with the default faults and
// interval, every seed's schedule cuts the leader off, or kills or pauses
// it, in a step that starts within the first 30 s of the run; and the first
// partition and the first process fault of every round are leader-aimed.
func TestDefaultPlanAimsAtTheLeaderWithin30s(t *testing.T) {
	leaderAimed := func(s Step) bool {
		return s.Params["topology"] == TopologyIsolateLeader || s.Params["target"] == TargetLeader
	}
	for _, faults := range [][]string{DefaultConfig().Faults, {FaultPartition, FaultKill, FaultPause, FaultLatency}, {FaultKill}, {FaultPause, FaultLatency}} {
		for seed := int64(1); seed <= 200; seed++ {
			cfg := DefaultConfig()
			cfg.Faults, cfg.Seed = faults, seed
			n, err := New(cfg, Deps{Net: &Net{}, Processes: &childProcesses{}, Nodes: []string{"n1", "n2", "n3"}, Leader: staticLeader("n1")})
			require.NoError(t, err)
			steps := n.Plan(20)
			hit := false
			for _, s := range steps {
				hit = hit || (leaderAimed(s) && s.At < 30*time.Second)
			}
			require.True(t, hit, "faults %v seed %d: no leader-aimed step in the first 30 s: %+v", faults, seed, steps)
			var firstPart, firstProc *Step
			for i := range steps {
				s := &steps[i]
				if s.Fault == FaultPartition && firstPart == nil {
					firstPart = s
				}
				if IsProcessFault(s.Fault) && firstProc == nil {
					firstProc = s
				}
			}
			if firstPart != nil {
				assert.Equal(t, TopologyIsolateLeader, firstPart.Params["topology"])
			}
			if firstProc != nil {
				assert.Equal(t, TargetLeader, firstProc.Params["target"])
			}
		}
	}
}
