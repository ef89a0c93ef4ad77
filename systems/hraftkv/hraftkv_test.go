package hraftkv_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/raftkv"
)

var faultlineBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faultline-hraftkv-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	faultlineBin = filepath.Join(dir, "faultline")
	if out, err := exec.Command("go", "build", "-o", faultlineBin, "../../cmd/faultline").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building faultline: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// put sends a write to node's own client port, and nowhere else.
func put(addr, key string, v int64) (int, error) {
	body := fmt.Sprintf(`{"op":"write","key":%q,"value":%d}`, key, v)
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Post("http://"+addr+"/kv", "application/json", bytes.NewBufferString(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// TestIsolatedLeaderCannotCommit proves that the hashicorp/raft nodes'
// peer traffic goes through the directed links: with the leader's peer
// links blackholed, a write to it does not commit, while the other two
// elect a leader that does.
func TestIsolatedLeaderCannotCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of child processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := nemesis.StartServer(ctx, quiet())
	require.NoError(t, err)
	defer srv.Close()
	n, err := nemesis.Connect(ctx, srv.URL())
	require.NoError(t, err)
	defer n.Close(context.Background())
	dir := t.TempDir()
	c, err := raftkv.Start(ctx, raftkv.Config{Engine: "hashicorp", Nodes: 3, Binary: faultlineBin,
		DataDir: filepath.Join(dir, "data"), LogDir: dir, Net: n, Logger: quiet()})
	require.NoError(t, err)
	defer c.Stop(context.Background())
	leader, err := c.WaitLeader(ctx)
	require.NoError(t, err)
	direct := c.DirectAddrs()
	code, err := put(direct[leader], "k", 1)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "a healthy cluster commits")

	tc := toxiclient.NewClient(n.URL())
	for _, l := range n.Links() {
		if l.From == raftkv.ClientLink || (l.From != leader && l.To != leader) {
			continue
		}
		p, err := tc.Proxy(n.Prefix() + l.String())
		require.NoError(t, err)
		for _, stream := range []string{"upstream", "downstream"} {
			_, err := p.AddToxic("cut-"+stream, "timeout", stream, 1, toxiclient.Attributes{"timeout": 0})
			require.NoError(t, err)
		}
	}
	code, err = put(direct[leader], "k", 2)
	assert.True(t, err != nil || code != http.StatusOK, "the isolated leader must not commit (HTTP %d, %v)", code, err)
	var other string
	for _, id := range c.IDs() {
		if id != leader {
			other = id
		}
	}
	require.Eventually(t, func() bool {
		for _, id := range c.IDs() {
			if id == leader {
				continue
			}
			if code, err := put(direct[id], "k", 3); err == nil && code == http.StatusOK {
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the majority (%s and the other) elects a leader and commits", other)
}

// TestHashicorpRaftIsValidUnderFaults: a correct system that nobody here
// wrote, under partitions, kills and pauses, must be valid.
func TestHashicorpRaftIsValidUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30-second run")
	}
	cfg := runner.DefaultConfig()
	cfg.System, cfg.Nemesis, cfg.NodeBinary = "hraftkv", []string{"partition", "kill", "pause"}, faultlineBin
	cfg.Time, cfg.Seed, cfg.Results = 30*time.Second, 1, t.TempDir()
	out, err := runner.Run(context.Background(), cfg, quiet())
	require.NoError(t, err)
	require.NotNil(t, out.Summary)
	require.Equal(t, checker.Valid, out.Valid(), "verdict: %s", out.Summary.VerdictLine())
	assert.Empty(t, out.Summary.Faults.Coverage.Missing)
	assert.Greater(t, out.Summary.Stats().Ops.Ok, 1000)
}
