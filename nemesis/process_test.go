package nemesis

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// childProcesses implements Processes with real child processes (sleep),
// so kill and pause send real signals.
type childProcesses struct {
	t     *testing.T
	mu    sync.Mutex
	procs map[string]*exec.Cmd
	dead  map[string]bool // killed and not restarted
	calls []string        // "kill n1", "resume n2", … in order
}

func startChildren(t *testing.T, nodes ...string) *childProcesses {
	t.Helper()
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("sleep not on PATH: process-fault tests need it")
	}
	p := &childProcesses{t: t, procs: map[string]*exec.Cmd{}, dead: map[string]bool{}}
	for _, n := range nodes {
		require.NoError(t, p.start(n))
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.procs {
			_ = c.Process.Signal(syscall.SIGCONT)
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	return p
}

func (p *childProcesses) start(node string) error {
	c := exec.Command("sleep", "60")
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", node, err)
	}
	p.procs[node] = c
	return nil
}

func (p *childProcesses) Nodes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var nodes []string
	for n := range p.procs {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	return nodes
}

func (p *childProcesses) pid(node string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.procs[node].Process.Pid
}

func (p *childProcesses) signal(node string, sig syscall.Signal, call string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, call+" "+node)
	c, ok := p.procs[node]
	if !ok {
		return fmt.Errorf("no node %s", node)
	}
	return c.Process.Signal(sig)
}

func (p *childProcesses) Kill(_ context.Context, node string) error {
	if err := p.signal(node, syscall.SIGKILL, "kill"); err != nil {
		return err
	}
	p.mu.Lock()
	c := p.procs[node]
	p.dead[node] = true
	p.mu.Unlock()
	_ = c.Wait() // reap it: killed, not a zombie
	return nil
}

// PowerLoss kills node; the storage a real system would truncate is not
// the nemesis's business.
func (p *childProcesses) PowerLoss(ctx context.Context, node string) error {
	p.mu.Lock()
	p.calls = append(p.calls, "powerloss "+node)
	p.mu.Unlock()
	return p.Kill(ctx, node)
}

func (p *childProcesses) Restart(_ context.Context, node string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "restart "+node)
	if !p.dead[node] {
		return nil // runs: left alone, as Processes requires
	}
	delete(p.dead, node)
	return p.start(node)
}

func (p *childProcesses) Pause(_ context.Context, node string) error {
	return p.signal(node, syscall.SIGSTOP, "pause")
}

func (p *childProcesses) Resume(_ context.Context, node string) error {
	return p.signal(node, syscall.SIGCONT, "resume")
}

func (p *childProcesses) callLog() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// procState returns the state letter of /proc/PID/stat ('S' sleeping,
// 'T' stopped, …), or "gone".
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "gone"
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return "?"
	}
	return s[i+2 : i+3]
}

// running reports whether pid is alive and not stopped.
func running(pid int) bool {
	s := procState(pid)
	return s == "S" || s == "R" || s == "D"
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func requireProcFS(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: cannot observe process states")
	}
}

func TestPauseStopsAndResumes(t *testing.T) {
	requireProcFS(t)
	p := startChildren(t, "n1", "n2", "n3")
	ctx := testCtx(t, 10*time.Second)
	f := newPause(p, nil, TargetMajority, []string{"n3", "n1", "n2"})

	require.NoError(t, f.Inject(ctx))
	for _, n := range []string{"n1", "n3"} {
		eventually(t, n+" is stopped", func() bool { return procState(p.pid(n)) == "T" })
	}
	assert.True(t, running(p.pid("n2")), "n2 is not a target")
	assert.Equal(t, []string{"n1", "n3"}, f.Describe()["nodes"])

	require.NoError(t, f.Heal(ctx))
	for _, n := range []string{"n1", "n3"} {
		eventually(t, n+" runs again", func() bool { return running(p.pid(n)) })
	}
	require.NoError(t, f.Heal(ctx), "healing twice is harmless")
	assert.Len(t, p.callLog(), 4)
}

func TestKillTerminatesAndRestarts(t *testing.T) {
	requireProcFS(t)
	p := startChildren(t, "n1", "n2", "n3")
	ctx := testCtx(t, 10*time.Second)
	before := map[string]int{}
	for _, n := range p.Nodes() {
		before[n] = p.pid(n)
	}
	f := newKill(p, staticLeader("n2"), TargetLeader, []string{"n1", "n2", "n3"})

	require.NoError(t, f.Inject(ctx))
	eventually(t, "n2 is gone", func() bool { return procState(before["n2"]) == "gone" })
	assert.True(t, running(before["n1"]), "n1 is not a target")

	require.NoError(t, f.Heal(ctx))
	assert.NotEqual(t, before["n2"], p.pid("n2"), "restarted as a new process")
	eventually(t, "n2 runs", func() bool { return running(p.pid("n2")) })
}

func TestPowerLossKillsAndRestarts(t *testing.T) {
	requireProcFS(t)
	p := startChildren(t, "n1", "n2", "n3")
	ctx := testCtx(t, 10*time.Second)
	pid := p.pid("n3")
	f := newPowerLoss(p, staticLeader("n3"), TargetLeader, []string{"n1", "n2", "n3"})
	require.NoError(t, f.Inject(ctx))
	eventually(t, "n3 is gone", func() bool { return procState(pid) == "gone" })
	assert.Contains(t, p.callLog(), "powerloss n3")
	require.NoError(t, f.Heal(ctx))
	eventually(t, "n3 runs", func() bool { return running(p.pid("n3")) })
	assert.Equal(t, map[string]any{"target": TargetLeader, "nodes": []string{"n3"}, "hit_leader": true}, f.Describe())
}

// cutShort are processes whose Kill reaches the node and then fails, as a
// `docker kill` does when the run ends while the engine answers.
type cutShort struct{ *childProcesses }

func (c cutShort) Kill(ctx context.Context, node string) error {
	if err := c.childProcesses.Kill(ctx, node); err != nil {
		return err
	}
	return context.Canceled
}

// A kill that failed may have killed: the failed inject's heal restarts
// every node it was tried on, not only those it reported done.
func TestAKillThatFailedIsStillHealed(t *testing.T) {
	requireProcFS(t)
	p := startChildren(t, "n1", "n2", "n3")
	ctx := testCtx(t, 10*time.Second)
	cfg := DefaultConfig()
	cfg.Faults = []string{FaultKill}
	rec := newMemRecorder()
	nem, err := New(cfg, Deps{Processes: cutShort{p}, Nodes: p.Nodes(), Recorder: rec, Logger: testLogger(t)})
	require.NoError(t, err)
	pid := p.pid("n2")
	spec := processSpec{Kind: FaultKill, Target: TargetOne, Order: []string{"n2", "n1", "n3"}}
	_, err = nem.injectStep(ctx, Step{Fault: FaultKill, Params: spec.params(), spec: spec})
	require.Error(t, err)
	assert.Equal(t, "gone", procState(pid))
	assert.Equal(t, []string{"kill n2", "restart n2"}, p.callLog())
	eventually(t, "n2 runs again", func() bool { return running(p.pid("n2")) })
	assert.Equal(t, "none", nem.Active())
	assert.Empty(t, rec.all(), "a fault that failed to inject is not recorded")
}

// killOnly are processes whose storage cannot lose power.
type killOnly struct{ Processes }

func TestPowerLossNeedsAPowerLosser(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = []string{FaultPowerLoss}
	_, err := New(cfg, Deps{Processes: killOnly{&childProcesses{}}, Nodes: []string{"n1", "n2", "n3"}})
	require.ErrorIs(t, err, history.ErrBadConfig)
	assert.Contains(t, err.Error(), "fsynced")
}

func TestKillAllCrashesTheWholeCluster(t *testing.T) {
	requireProcFS(t)
	p := startChildren(t, "n1", "n2", "n3")
	ctx := testCtx(t, 10*time.Second)
	pids := []int{p.pid("n1"), p.pid("n2"), p.pid("n3")}
	f := newKill(p, nil, TargetAll, []string{"n2", "n3", "n1"})
	require.NoError(t, f.Inject(ctx))
	for _, pid := range pids {
		eventually(t, "every node is gone", func() bool { return procState(pid) == "gone" })
	}
	require.NoError(t, f.Heal(ctx))
	for _, n := range p.Nodes() {
		eventually(t, n+" runs", func() bool { return running(p.pid(n)) })
	}
}
