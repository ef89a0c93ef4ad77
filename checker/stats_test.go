package checker

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// runBuilder writes small histories with explicit times (ns).
type runBuilder struct{ ops []history.Op }

func (b *runBuilder) add(t int64, p int, typ history.Type, f string, v any) *runBuilder {
	op := history.Op{Index: int64(len(b.ops)), Time: t, Process: p, Type: typ, F: f, Key: "k", Value: history.MustValue(v)}
	if p == history.NemesisProcess {
		op.Key = ""
	}
	b.ops = append(b.ops, op)
	return b
}

func (b *runBuilder) call(start, end int64, p int, typ history.Type, f string, v any) *runBuilder {
	return b.add(start, p, history.Invoke, f, v).add(end, p, typ, f, v)
}

func (b *runBuilder) fault(t int64, f string, id int) *runBuilder {
	return b.add(t, history.NemesisProcess, history.Info, f, map[string]int{"id": id})
}

func TestComputeStats(t *testing.T) {
	b := &runBuilder{}
	b.call(0, 10, 0, history.Ok, FWrite, 1)
	b.fault(15, "partition", 1)
	b.call(20, 40, 0, history.Ok, FWrite, 2)
	b.call(30, 60, 1, history.Fail, FWrite, 3)
	b.fault(70, "heal", 1)
	b.call(80, 180, 2, history.Info, FRead, nil)
	b.add(190, 3, history.Invoke, FRead, nil) // never completed
	for i := int64(0); i < 100; i++ {
		b.call(1000+i*10, 1000+i*10+i+1, 4, history.Ok, FRead, 2)
	}
	pairs, err := Pairs(b.ops)
	require.NoError(t, err)
	s := ComputeStats(b.ops, pairs, history.FaultWindows(b.ops))

	assert.Equal(t, OpCounts{Total: 105, Ok: 102, Fail: 1, Info: 2, Open: 1}, s.Ops)
	assert.Equal(t, OpCounts{Total: 3, Ok: 2, Fail: 1}, s.ByF[FWrite])
	assert.Equal(t, OpCounts{Total: 102, Ok: 100, Info: 2, Open: 1}, s.ByF[FRead])
	assert.Equal(t, 1, s.FaultWindows)
	assert.Equal(t, 1, s.OkDuringFaults, "only the write completed at 40 falls in the partition [15, 70]")
	assert.Equal(t, int64(1000+99*10+100)-0, s.Duration)

	byKey := map[string]Latency{}
	for _, l := range s.Latencies {
		byKey[l.F+"/"+string(l.Outcome)] = l
	}
	assert.Equal(t, Latency{F: FRead, Outcome: history.Ok, Count: 100, P50: 50, P90: 90, P99: 99, Max: 100}, byKey["read/ok"])
	assert.Equal(t, Latency{F: FRead, Outcome: history.Info, Count: 1, P50: 100, P90: 100, P99: 100, Max: 100}, byKey["read/info"])
	assert.Equal(t, Latency{F: FWrite, Outcome: history.Ok, Count: 2, P50: 10, P90: 20, P99: 20, Max: 20}, byKey["write/ok"])
	assert.Equal(t, []string{"read", "read", "write", "write"}, []string{s.Latencies[0].F, s.Latencies[1].F, s.Latencies[2].F, s.Latencies[3].F})
	assert.Equal(t, history.Ok, s.Latencies[0].Outcome, "ok before info")
	assert.InDelta(t, 104/(float64(s.Duration)/1e9), s.Throughput, 1e-6)
}

func TestStatsChecker(t *testing.T) {
	tests := []struct {
		name  string
		build func(*runBuilder)
		want  Validity
		says  string
	}{
		{"ok ops, no faults", func(b *runBuilder) { b.call(0, 1, 0, history.Ok, FWrite, 1) }, Valid, "1 ops (1 ok, 0 fail, 0 info)"},
		{"no ok op", func(b *runBuilder) { b.call(0, 1, 0, history.Info, FWrite, 1) }, Unknown, "no client operation succeeded"},
		{"ok op only outside the fault", func(b *runBuilder) {
			b.call(0, 1, 0, history.Ok, FWrite, 1).fault(2, "kill", 1).fault(3, "start", 1)
		}, Unknown, "no client operation succeeded while a fault was active (1 fault windows)"},
		{"ok op inside an unhealed fault", func(b *runBuilder) {
			b.fault(0, "pause", 1).call(1, 2, 0, history.Ok, FWrite, 1)
		}, Valid, "1 ok while a fault was active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &runBuilder{}
			tt.build(b)
			r := StatsChecker{}.Check(context.Background(), b.ops)
			assert.Equal(t, tt.want, r.Valid)
			assert.Contains(t, r.Explanation, tt.says)
		})
	}
}

func TestComputeCoverage(t *testing.T) {
	b := &runBuilder{}
	b.fault(0, "partition", 1)
	b.call(1, 5, 0, history.Ok, FWrite, 1)
	b.fault(10, "heal", 1)
	b.fault(20, "partition", 2)
	b.fault(25, "pause", 3)
	b.call(26, 30, 1, history.Fail, FWrite, 2) // during partition and pause
	b.fault(50, "heal", 2)
	b.call(55, 60, 2, history.Info, FWrite, 3) // during the pause only
	b.call(61, 62, 3, history.Ok, FRead, nil)  // during the pause only
	b.add(63, 4, history.Invoke, FRead, nil)   // never completes: not counted
	b.fault(100, "kill", 4)                    // never ended
	b.add(120, 3, history.Invoke, FRead, nil)
	pairs, err := Pairs(b.ops)
	require.NoError(t, err)
	cov := ComputeCoverage(b.ops, pairs, history.FaultWindows(b.ops), []string{"partition", "pause", "latency"})

	require.Len(t, cov.Faults, 3)
	assert.Equal(t, FaultCoverage{Fault: "partition", Injected: 2, LeaderUnknown: 2, Total: 40, Max: 30, Ops: OpCounts{Total: 2, Ok: 1, Fail: 1}}, cov.Faults[0])
	assert.Equal(t, FaultCoverage{Fault: "pause", Injected: 1, Unhealed: 1, LeaderUnknown: 1, Total: 95, Max: 95, Ops: OpCounts{Total: 3, Ok: 1, Fail: 1, Info: 1}}, cov.Faults[1])
	assert.Equal(t, FaultCoverage{Fault: "kill", Injected: 1, Unhealed: 1, LeaderUnknown: 1, Total: 20, Max: 20}, cov.Faults[2])
	assert.Equal(t, []string{"latency"}, cov.Missing)

	r := CoverageChecker{Requested: []string{"partition", "pause", "latency"}}.Check(context.Background(), b.ops)
	assert.Equal(t, Unknown, r.Valid)
	assert.Equal(t, "fault latency was requested but never injected", r.Explanation)
	r = CoverageChecker{Requested: []string{"partition"}}.Check(context.Background(), b.ops)
	assert.Equal(t, Valid, r.Valid)
	assert.Contains(t, r.Explanation, "partition ×2")
}

func TestCoverageCountsTheFaultsThatHitTheLeader(t *testing.T) {
	windows := []history.Window{
		{Fault: "kill", EndIndex: 1, End: 10, Value: []byte(`{"id":1,"target":"leader","nodes":["n2"],"hit_leader":true}`)},
		{Fault: "kill", EndIndex: 3, Start: 20, End: 30, Value: []byte(`{"id":2,"target":"one","nodes":["n3"],"hit_leader":false}`)},
		{Fault: "kill", EndIndex: 5, Start: 40, End: 50, Value: []byte(`{"id":3,"target":"one","nodes":["n1"],"leader_unknown":true}`)},
		{Fault: "partition", EndIndex: 7, Start: 60, End: 70, Value: []byte(`{"id":4,"topology":"isolate-leader","hit_leader":true}`)},
	}
	cov := ComputeCoverage(nil, nil, windows, []string{"kill", "partition"})
	require.Len(t, cov.Faults, 2)
	assert.Equal(t, 1, cov.Faults[0].HitLeader)
	assert.Equal(t, 1, cov.Faults[0].LeaderUnknown)
	assert.Equal(t, 1, cov.Faults[1].HitLeader)
	assert.Contains(t, cov.Lines()[0], "hit the leader 1 of 2")
	assert.Contains(t, cov.Lines()[1], "hit the leader 1 of 1")
}
