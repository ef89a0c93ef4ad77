package nemesis

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

var _ Recorder = (*history.Writer)(nil)

// memRecorder keeps the ops it is given, stamped like history.Writer does.
type memRecorder struct {
	mu    sync.Mutex
	start time.Time
	ops   []history.Op
}

func newMemRecorder() *memRecorder { return &memRecorder{start: time.Now()} }

func (r *memRecorder) Append(op history.Op) (history.Op, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	op.Index = int64(len(r.ops))
	op.Time = int64(time.Since(r.start))
	r.ops = append(r.ops, op)
	return op, nil
}

func (r *memRecorder) all() []history.Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]history.Op(nil), r.ops...)
}

// cluster is three nodes whose node links and client links all go through
// an embedded Toxiproxy, in front of echo servers.
func cluster(t *testing.T) (*Net, []string) {
	t.Helper()
	n := startNet(t)
	nodes := []string{"n1", "n2", "n3"}
	servers := map[string]*echoServer{}
	for _, node := range nodes {
		servers[node] = startEcho(t)
	}
	ctx := testCtx(t, 10*time.Second)
	for _, to := range nodes {
		_, err := n.AddLink(ctx, "client", to, servers[to].Addr())
		require.NoError(t, err)
		for _, from := range nodes {
			if from != to {
				_, err := n.AddLink(ctx, from, to, servers[to].Addr())
				require.NoError(t, err)
			}
		}
	}
	return n, nodes
}

// serverToxics counts the toxics on every proxy of the Toxiproxy server.
func serverToxics(t *testing.T, n *Net) int {
	t.Helper()
	proxies, err := n.client.Proxies()
	require.NoError(t, err)
	count := 0
	for _, p := range proxies {
		count += len(p.ActiveToxics)
		assert.True(t, p.Enabled, p.Name)
	}
	return count
}

// checkPaired asserts that every fault start in ops has exactly one end of
// the right name, and returns the started fault names.
func checkPaired(t *testing.T, ops []history.Op) []string {
	t.Helper()
	var started []string
	for _, w := range history.FaultWindows(ops) {
		assert.False(t, w.Open(), "fault %s #%d was healed", w.Fault, w.ID)
		assert.Positive(t, w.ID)
		end := ops[w.EndIndex]
		assert.Equal(t, endEvent(w.Fault), end.F)
		assert.JSONEq(t, `{"id":`+jsonInt(w.ID)+`}`, string(end.Value))
		started = append(started, w.Fault)
	}
	for _, op := range ops {
		assert.Equal(t, history.NemesisProcess, op.Process)
		assert.Equal(t, history.Info, op.Type)
	}
	return started
}

func jsonInt(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestRunInjectsRecordsAndHeals(t *testing.T) {
	n, nodes := cluster(t)
	rec := newMemRecorder()
	cfg := DefaultConfig()
	cfg.Faults = []string{FaultPartition, FaultLatency, FaultBandwidth}
	cfg.Interval = 100 * time.Millisecond
	cfg.Seed = 5
	nem, err := New(cfg, Deps{Net: n, Nodes: nodes, Leader: staticLeader("n1"), Recorder: rec, Logger: testLogger(t)})
	require.NoError(t, err)

	ctx := testCtx(t, 20*time.Second)
	runCtx, cancel := ctxUntil(ctx, func() bool { return len(rec.all()) >= 8 })
	defer cancel()
	require.NoError(t, nem.Run(runCtx))

	ops := rec.all()
	started := checkPaired(t, ops)
	require.GreaterOrEqual(t, len(started), 4)
	plan := nem.Plan(len(started))
	for i, f := range started {
		assert.Equal(t, plan[i].Fault, f, "the run follows the plan")
	}
	assert.Equal(t, "none", nem.Active())
	assert.Zero(t, n.toxicCount())
	assert.Zero(t, serverToxics(t, n))

	var first map[string]any
	require.NoError(t, json.Unmarshal(ops[0].Value, &first))
	for k, v := range plan[0].Params {
		assert.EqualValues(t, v, first[k], "recorded parameter %s", k)
	}
}

func TestRunWithOverlap(t *testing.T) {
	n, nodes := cluster(t)
	procs := startChildren(t, nodes...)
	rec := newMemRecorder()
	cfg := DefaultConfig()
	cfg.Faults = []string{MixAll}
	cfg.Interval = 80 * time.Millisecond
	cfg.Overlap = true
	cfg.Seed = 11
	cfg.ToxicLinks = AllLinks
	nem, err := New(cfg, Deps{Net: n, Processes: procs, Leader: staticLeader("n2"), Recorder: rec, Logger: testLogger(t)})
	require.NoError(t, err)

	ctx := testCtx(t, 20*time.Second)
	runCtx, cancel := ctxUntil(ctx, func() bool { return len(rec.all()) >= 16 })
	defer cancel()
	require.NoError(t, nem.Run(runCtx))

	checkPaired(t, rec.all())
	assert.Equal(t, "none", nem.Active())
	assert.Zero(t, serverToxics(t, n))
	for _, node := range nodes {
		assert.True(t, running(procs.pid(node)), "%s runs after the run", node)
	}
}

func TestHealAllUndoesEverythingInOrder(t *testing.T) {
	requireProcFS(t)
	n, nodes := cluster(t)
	procs := startChildren(t, nodes...)
	rec := newMemRecorder()
	cfg := DefaultConfig()
	cfg.Faults = []string{MixAll}
	cfg.ToxicLinks = AllLinks
	nem, err := New(cfg, Deps{Net: n, Processes: procs, Leader: staticLeader("n1"), Recorder: rec, Logger: testLogger(t)})
	require.NoError(t, err)
	ctx := testCtx(t, 20*time.Second)

	steps := []Step{
		{Fault: FaultKill, spec: processSpec{Kind: FaultKill, Target: TargetOne, Order: []string{"n3", "n1", "n2"}}},
		{Fault: FaultPause, spec: processSpec{Kind: FaultPause, Target: TargetOne, Order: []string{"n1", "n2", "n3"}}},
		{Fault: FaultPartition, spec: partitionSpec{Topology: TopologyMajorityRing, Order: nodes, Flaps: 1}},
		{Fault: FaultLatency, spec: toxicSpec{Params: drawLatency(nil, Config{LatencyMin: 10 * time.Millisecond, LatencyMax: 10 * time.Millisecond}), Direction: Both}},
		{Fault: FaultPartition, spec: partitionSpec{Topology: TopologyFlapping, Order: nodes, Flaps: 2}, Hold: time.Second},
	}
	for _, s := range steps {
		s.Params = s.spec.params()
		id, err := nem.injectStep(ctx, s)
		require.NoError(t, err)
		require.Positive(t, id)
	}
	assert.Equal(t, "kill(one)#1, pause(one)#2, partition(majority-ring)#3, latency#4, partition(flapping)#5", nem.Active())
	assert.Equal(t, "T", procState(procs.pid("n1")))
	assert.Positive(t, serverToxics(t, n))

	require.NoError(t, nem.HealAll(ctx))
	assert.Equal(t, "none", nem.Active())
	assert.Zero(t, serverToxics(t, n))
	calls := procs.callLog()
	assert.Equal(t, []string{"kill n3", "pause n1", "resume n1", "restart n3"}, calls, "resume before restart")
	for _, node := range nodes {
		eventually(t, node+" runs", func() bool { return running(procs.pid(node)) })
	}
	ops := rec.all()
	assert.Len(t, checkPaired(t, ops), len(steps))

	require.NoError(t, nem.HealAll(ctx), "HealAll is idempotent")
	assert.Len(t, rec.all(), len(ops), "nothing more to heal or record")
	assert.Len(t, procs.callLog(), len(calls))
}

func TestHealAllRemovesToxicsOfAFailedInject(t *testing.T) {
	n, nodes := cluster(t)
	rec := newMemRecorder()
	nem, err := New(DefaultConfig(), Deps{Net: n, Nodes: nodes, Recorder: rec})
	require.NoError(t, err)
	ctx := testCtx(t, 10*time.Second)
	// A toxic Toxiproxy refuses (an unknown type) fails to inject: the
	// fault is undone and nothing is recorded.
	bad := toxicSpec{Params: toxicParams{kind: FaultLatency, typ: "no-such-toxic", attrs: map[string]any{}}, Direction: Upstream}
	_, err = nem.injectStep(ctx, Step{Fault: FaultLatency, Params: bad.params(), spec: bad})
	require.Error(t, err)
	assert.Empty(t, rec.all())
	assert.Equal(t, "none", nem.Active())
	assert.Zero(t, n.toxicCount())
}

func TestRunWithNoFaultsWaits(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = nil
	nem, err := New(cfg, Deps{})
	require.NoError(t, err)
	ctx, cancel := ctxUntil(t.Context(), func() bool { return true })
	defer cancel()
	require.NoError(t, nem.Run(ctx))
	assert.Empty(t, nem.Plan(3))
}

// A run recorded through a real history file reads back as closed fault
// windows, in the format the checker reads.
func TestRunRecordsIntoAHistoryFile(t *testing.T) {
	n, nodes := cluster(t)
	path := filepath.Join(t.TempDir(), "history.jsonl")
	w, err := history.Create(path)
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.Interval = 50 * time.Millisecond
	nem, err := New(cfg, Deps{Net: n, Nodes: nodes, Recorder: w})
	require.NoError(t, err)
	ctx, cancel := ctxUntil(testCtx(t, 20*time.Second), func() bool { return w.Len() >= 4 })
	defer cancel()
	require.NoError(t, nem.Run(ctx))
	require.NoError(t, w.Close())

	h, err := history.ReadFile(path)
	require.NoError(t, err)
	started := checkPaired(t, h.Ops)
	assert.Equal(t, nem.Plan(len(started))[0].Fault, started[0])
	var v struct {
		ID       *int64     `json:"id"`
		Topology string     `json:"topology"`
		Groups   [][]string `json:"groups"`
		Latency  *int64     `json:"latency_ms"`
		Links    []string   `json:"links"`
	}
	require.NoError(t, json.Unmarshal(h.Ops[0].Value, &v))
	require.NotNil(t, v.ID)
	if h.Ops[0].F == FaultPartition {
		assert.NotEmpty(t, v.Topology)
	} else {
		assert.NotNil(t, v.Latency)
		assert.NotEmpty(t, v.Links)
	}
}
