package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/impl/raftkv"
)

// nodeProc is one `faultline node` child process.
type nodeProc struct {
	id         string
	args       []string
	clientAddr string
	cmd        *exec.Cmd
	log        *syncBuffer
	exited     chan error
}

// syncBuffer collects a process's output for the test log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (p *nodeProc) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command(faultlineBin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(t, p.cmd.Start())
	p.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(p.cmd, p.exited)
}

func (p *nodeProc) signal(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.exited:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("node %s did not exit after %v", p.id, sig)
		return nil
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// nodeStatus polls GET /status of one node.
func nodeStatus(ctx context.Context, addr string) (raftkv.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		return raftkv.Status{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return raftkv.Status{}, err
	}
	defer resp.Body.Close()
	var st raftkv.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return raftkv.Status{}, err
	}
	return st, nil
}

// waitLeader polls the given nodes until they agree on a leader among them.
func waitLeader(t *testing.T, nodes []*nodeProc) string {
	t.Helper()
	var leader string
	require.Eventually(t, func() bool {
		leader = ""
		for _, n := range nodes {
			st, err := nodeStatus(t.Context(), n.clientAddr)
			if err != nil || st.Leader == "" || (leader != "" && st.Leader != leader) {
				return false
			}
			leader = st.Leader
		}
		for _, n := range nodes {
			if n.id == leader {
				return true
			}
		}
		return false
	}, 15*time.Second, 50*time.Millisecond, "no leader among the running nodes")
	return leader
}

// TestNodeProcessesSurviveLeaderKill runs three `faultline node` processes,
// SIGKILLs the leader while a client writes, checks that the other two
// elect a leader and keep serving, restarts the killed node from its data
// directory and waits for it to catch up.
func TestNodeProcessesSurviveLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three node processes for about 10 s; skipped with -short")
	}
	base := t.TempDir()
	ids := []string{"n1", "n2", "n3"}
	raftAddrs, clientAddrs := map[string]string{}, map[string]string{}
	for _, id := range ids {
		raftAddrs[id], clientAddrs[id] = freeLoopbackAddr(t), freeLoopbackAddr(t)
	}
	procs := map[string]*nodeProc{}
	var all []*nodeProc
	for _, id := range ids {
		args := []string{"node", "--id", id, "--listen", raftAddrs[id], "--client-listen", clientAddrs[id],
			"--data", filepath.Join(base, id)}
		for _, peer := range ids {
			if peer != id {
				args = append(args, "--peer", peer+"="+raftAddrs[peer])
			}
		}
		p := &nodeProc{id: id, args: args, clientAddr: clientAddrs[id], log: &syncBuffer{}}
		p.start(t)
		procs[id] = p
		all = append(all, p)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.cmd.Process.Kill()
		}
		if t.Failed() {
			for _, p := range procs {
				t.Logf("log of %s:\n%s", p.id, p.log.String())
			}
		}
	})

	leader := waitLeader(t, all)
	ccfg := raftkv.DefaultClientConfig()
	ccfg.Nodes = clientAddrs
	client, err := raftkv.NewClient(ccfg)
	require.NoError(t, err)
	defer client.Close()

	// One writer: sequential writes of 1, 2, 3 …, remembering which were
	// acknowledged and which are unknown.
	var (
		mu        sync.Mutex
		lastOK    int64
		uncertain = map[int64]bool{}
		okAfter   int // acknowledged after the kill
		killed    bool
	)
	writeCtx, stopWriting := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := int64(1); writeCtx.Err() == nil; v++ {
			ctx, cancel := context.WithTimeout(writeCtx, 2*time.Second)
			err := client.Write(ctx, "k", v)
			cancel()
			mu.Lock()
			switch {
			case err == nil:
				lastOK = v
				if killed {
					okAfter++
				}
			case !raftkv.IsDefinite(err):
				uncertain[v] = true
			}
			mu.Unlock()
		}
	}()

	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return lastOK >= 20 },
		10*time.Second, 10*time.Millisecond, "no writes succeeded before the kill")
	mu.Lock()
	killed = true
	mu.Unlock()
	require.Error(t, procs[leader].signal(t, syscall.SIGKILL))

	var rest []*nodeProc
	for _, p := range all {
		if p.id != leader {
			rest = append(rest, p)
		}
	}
	newLeader := waitLeader(t, rest)
	assert.NotEqual(t, leader, newLeader)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return okAfter >= 20 },
		15*time.Second, 10*time.Millisecond, "the remaining two nodes did not keep serving writes")

	// The killed node restarts from its data directory and catches up.
	procs[leader].start(t)
	stopWriting()
	wg.Wait()
	mu.Lock()
	final, finalUncertain := lastOK, uncertain
	mu.Unlock()

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	v, found, err := client.Read(ctx, "k")
	cancel()
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, v == final || (v > final && finalUncertain[v]),
		"read %d after the last acknowledged write of %d", v, final)

	target, err := nodeStatus(t.Context(), procs[newLeader].clientAddr)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := nodeStatus(t.Context(), procs[leader].clientAddr)
		return err == nil && st.AppliedIndex >= target.CommitIndex && st.Leader != ""
	}, 15*time.Second, 50*time.Millisecond, "the restarted node did not catch up to index %d", target.CommitIndex)

	// SIGTERM stops every node cleanly (exit status 0).
	for _, p := range all {
		err := p.signal(t, syscall.SIGTERM)
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Errorf("node %s exited with %v after SIGTERM", p.id, exitErr)
		} else {
			require.NoError(t, err, fmt.Sprintf("waiting for %s", p.id))
		}
	}
}
