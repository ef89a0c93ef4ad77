package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// startRun starts `faultline run` as a real process with its results under
// a temporary directory, and returns the command and that directory.
func startRun(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	results := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(faultlineBin, append([]string{"run", "--results", results}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd, results, &out
}

// exitCode waits for cmd and returns its exit code.
func exitCode(t *testing.T, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(within):
		t.Fatalf("faultline did not exit within %s", within)
		return -1
	}
}

// runDir waits for results/latest to appear and returns the run directory.
func runDir(t *testing.T, results string) string {
	t.Helper()
	var dir string
	require.Eventually(t, func() bool {
		target, err := os.Readlink(filepath.Join(results, "latest"))
		if err != nil {
			return false
		}
		dir = filepath.Join(results, target)
		return true
	}, 30*time.Second, 50*time.Millisecond, "no run directory appeared")
	return dir
}

// readOps reads whatever history the run has written so far.
func readOps(dir string) []history.Op {
	h, err := history.ReadFile(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return nil
	}
	return h.Ops
}

// nodeProcesses lists the pids of processes whose command line mentions
// dir: the nodes of that run.
func nodeProcesses(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, " node ") && strings.Contains(cmdline, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestRunEndToEnd(t *testing.T) {
	cmd, results, out := startRun(t, "--time", "8s", "--nemesis", "partition,latency",
		"--nemesis-interval", "2s", "--seed", "7")
	code := exitCode(t, cmd, 3*time.Minute)
	require.Equal(t, 0, code, "output:\n%s", out)
	dir := runDir(t, results)
	for _, f := range []string{"run.json", "history.jsonl", "summary.json", "linearizability.html"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	var sum struct {
		Valid any `json:"valid"`
		Ops   struct {
			Ok int `json:"ok"`
		} `json:"ops"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &sum))
	assert.Equal(t, true, sum.Valid)
	assert.Positive(t, sum.Ops.Ok)
	assert.Contains(t, out.String(), "VALID")
	assert.Empty(t, nodeProcesses(t, dir), "nodes outlived the run")

	// The stored run re-checks to the same verdict.
	code, stdout, stderr := cli(t, "check", dir)
	assert.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
}

// startToxiproxy builds and starts a separate Toxiproxy server process from
// the toxiproxy module's own server command.
func startToxiproxy(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "toxiproxy-server")
	build := exec.Command("go", "build", "-o", bin, "github.com/Shopify/toxiproxy/v2/cmd/server")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building toxiproxy-server: %s", out)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port))
	require.NoError(t, srv.Start())
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		_, _ = srv.Process.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := toxiclient.NewClient(url)
	require.Eventually(t, func() bool {
		_, err := client.Proxies()
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "toxiproxy-server did not answer")
	return url
}

func TestSIGTERMMidFaultHealsAndStopsEverything(t *testing.T) {
	url := startToxiproxy(t)
	cmd, results, out := startRun(t, "--time", "2m", "--nemesis", "partition,pause",
		"--nemesis-overlap", "--nemesis-interval", "3s", "--toxiproxy", url, "--seed", "3")
	dir := runDir(t, results)

	// Wait until a partition and a pause are both in force.
	require.Eventually(t, func() bool {
		active := map[string]bool{}
		for _, w := range history.FaultWindows(readOps(dir)) {
			if w.Open() {
				active[w.Fault] = true
			}
		}
		return active["partition"] && active["pause"]
	}, 90*time.Second, 100*time.Millisecond, "never saw a partition and a pause at once; output:\n%s", out)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code := exitCode(t, cmd, time.Minute)
	assert.Equal(t, 2, code, "an interrupted run is unknown; output:\n%s", out)

	assert.Empty(t, nodeProcesses(t, dir), "faultline node processes outlived the run")
	proxies, err := toxiclient.NewClient(url).Proxies()
	require.NoError(t, err)
	for name, p := range proxies {
		toxics, err := p.Toxics()
		require.NoError(t, err)
		assert.Empty(t, toxics, "proxy %s still has toxics", name)
	}
	for _, w := range history.FaultWindows(readOps(dir)) {
		assert.False(t, w.Open(), "fault %s (id %d) was never healed in the history", w.Fault, w.ID)
	}
	code, stdout, stderr := cli(t, "check", dir)
	assert.Contains(t, []int{0, 1, 2}, code, "the history so far is checkable; stdout: %s\nstderr: %s", stdout, stderr)
}

func TestRunKilledHalfwayIsCheckable(t *testing.T) {
	cmd, results, out := startRun(t, "--time", "2m", "--nemesis", "partition", "--nemesis-interval", "2s")
	dir := runDir(t, results)
	require.Eventually(t, func() bool { return len(readOps(dir)) > 500 }, 90*time.Second, 100*time.Millisecond,
		"the run recorded too little; output:\n%s", out)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = exitCode(t, cmd, 30*time.Second)

	require.Eventually(t, func() bool { return len(nodeProcesses(t, dir)) == 0 }, 10*time.Second, 50*time.Millisecond,
		"nodes outlived a harness killed with SIGKILL")
	code, stdout, stderr := cli(t, "check", dir)
	assert.Contains(t, []int{0, 1, 2}, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.NotContains(t, stderr, "malformed")
	var last string
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		last = sc.Text()
	}
	assert.Contains(t, last, dir)
}

func TestHealClearsAToxiproxyLeftWithToxics(t *testing.T) {
	url := startToxiproxy(t)
	client := toxiclient.NewClient(url)
	p, err := client.CreateProxy("left-behind", "127.0.0.1:0", "127.0.0.1:9")
	require.NoError(t, err)
	_, err = p.AddToxic("blackhole", "timeout", "downstream", 1, toxiclient.Attributes{"timeout": 0})
	require.NoError(t, err)
	_, err = p.AddToxic("slow", "latency", "upstream", 1, toxiclient.Attributes{"latency": 500})
	require.NoError(t, err)
	off, err := client.CreateProxy("disabled", "127.0.0.1:0", "127.0.0.1:9")
	require.NoError(t, err)
	require.NoError(t, off.Disable())

	code, stdout, stderr := cli(t, "heal", "--toxiproxy", url)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	proxies, err := client.Proxies()
	require.NoError(t, err)
	require.Len(t, proxies, 2)
	for name, p := range proxies {
		toxics, err := p.Toxics()
		require.NoError(t, err)
		assert.Empty(t, toxics, "proxy %s still has toxics", name)
		assert.True(t, p.Enabled, "proxy %s is still disabled", name)
	}

	code, _, stderr = cli(t, "heal", "--toxiproxy", "http://127.0.0.1:1")
	assert.Equal(t, 254, code)
	assert.Contains(t, stderr, "not reachable")
}

// TestEveryProcessAndNetworkFaultHeals is issue 4's run, shortened: kill,
// pause, partition and latency on the Raft KV, each injected and healed, and
// a valid verdict (the final reads find every acknowledged write).
func TestEveryProcessAndNetworkFaultHeals(t *testing.T) {
	cmd, results, out := startRun(t, "--time", "24s", "--nemesis", "kill,pause,partition,latency",
		"--nemesis-interval", "2s", "--seed", "4")
	code := exitCode(t, cmd, 3*time.Minute)
	require.Equal(t, 0, code, "output:\n%s", out)
	dir := runDir(t, results)
	injected := map[string]int{}
	for _, w := range history.FaultWindows(readOps(dir)) {
		injected[w.Fault]++
		assert.False(t, w.Open(), "fault %s (id %d) never healed", w.Fault, w.ID)
	}
	for _, f := range []string{"kill", "pause", "partition", "latency"} {
		assert.Positive(t, injected[f], "fault %s never injected", f)
		assert.Contains(t, out.String(), "  "+f+": injected", "the closing lines report %s", f)
	}
	assert.Empty(t, nodeProcesses(t, dir), "nodes outlived the run")
}

// TestStaleReadBugIsCaught proves the harness catches the most classic bug
// there is: nodes that answer reads from their own state. With clients
// bound to every node (the default routing), a follower's read of an old
// value is in the history, and the run must end INVALID.
func TestStaleReadBugIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("an 8-second run of a real cluster")
	}
	cmd, results, out := startRun(t, "--bug", "stale-read", "--time", "8s", "--nemesis", "partition,pause",
		"--nemesis-interval", "2s", "--seed", "3")
	code := exitCode(t, cmd, 3*time.Minute)
	require.Equal(t, 1, code, "a node that serves stale reads must make the run INVALID; output:\n%s", out)
	assert.Contains(t, out.String(), "INVALID: linearizability")
	b, err := os.ReadFile(filepath.Join(runDir(t, results), "run.json"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"stale-read"`, "run.json must record the bug the run was started with")
	assert.Contains(t, string(b), `"client_routing": "bound"`)
	// The run shrank its anomaly as it ended (--shrink-timeout's default).
	assert.Regexp(t, `(?m)^shrunk( \(the smallest of the \d+ keys that failed\))?: key \S+: `, out.String())
	assert.FileExists(t, filepath.Join(runDir(t, results), checker.ShrunkHistoryFile))
	report, err := os.ReadFile(filepath.Join(runDir(t, results), checker.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(report), "Shrunk: the few operations")
}

func TestUnknownBugIsBadInput(t *testing.T) {
	code, _, stderr := cli(t, "run", "--bug", "no-such-bug", "--results", t.TempDir())
	assert.Equal(t, 254, code)
	assert.Contains(t, stderr, "stale-read", "the error must name the bugs there are")
}

// TestBreakerBugsAreCaught: each bug of the breaker's catalog turns a run
// INVALID, with the checker naming the broken rule.
func TestBreakerBugsAreCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("two 12-second runs")
	}
	for bug, says := range map[string]string{
		"unbounded-half-open": "half_open_max_calls",
		"no-generation":       "generation",
	} {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			cmd, _, out := startRun(t, "--system", "breaker", "--bug", bug, "--time", "12s",
				"--nemesis-interval", "2s", "--seed", "1")
			code := exitCode(t, cmd, 2*time.Minute)
			require.Equal(t, 1, code, "--bug %s must make the run INVALID; output:\n%s", bug, out)
			assert.Contains(t, out.String(), "INVALID: breaker:")
			assert.Contains(t, out.String(), says)
		})
	}
}
