package etcd_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/etcd"
)

// needEtcd returns the etcd executable, skipping the test where there is
// none (failing under FAULTLINE_REQUIRE_ETCD=1).
func needEtcd(t *testing.T) string {
	t.Helper()
	bin, _, err := etcd.FindBinary(context.Background(), "")
	if err != nil {
		if os.Getenv(etcd.EnvRequireEtcd) == "1" {
			t.Fatalf("%s=1 but: %v", etcd.EnvRequireEtcd, err)
		}
		t.Skipf("needs a real etcd 3 on PATH (apt-get install etcd-server): %v", err)
	}
	return bin
}

func TestFindBinaryRejectsWhatIsNotEtcd3(t *testing.T) {
	ctx := context.Background()
	_, _, err := etcd.FindBinary(ctx, filepath.Join(t.TempDir(), "no-such-etcd"))
	require.ErrorIs(t, err, history.ErrBadConfig)
	assert.Contains(t, err.Error(), "apt-get install etcd-server", "the error says what to install")

	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to fake an old etcd with")
	}
	old := filepath.Join(t.TempDir(), "etcd")
	require.NoError(t, os.WriteFile(old, []byte("#!/bin/sh\necho 'etcd Version: 2.3.8'\n"), 0o755))
	_, _, err = etcd.FindBinary(ctx, old)
	require.ErrorIs(t, err, history.ErrBadConfig)
	assert.Contains(t, err.Error(), "is not etcd 3")

	failing := filepath.Join(t.TempDir(), "etcd")
	require.NoError(t, os.WriteFile(failing, []byte("#!/bin/sh\nexit 3\n"), 0o755))
	_, _, err = etcd.FindBinary(ctx, failing)
	require.ErrorIs(t, err, history.ErrBadConfig)
}

func TestFindBinaryFindsEtcd(t *testing.T) {
	needEtcd(t)
	_, version, err := etcd.FindBinary(context.Background(), "")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(version, "3."), "version %q", version)
}

// startCluster starts a three-member cluster behind an embedded Toxiproxy
// and returns it with the Toxiproxy's URL and the Net's proxy prefix.
func startCluster(t *testing.T, bin string) (*etcd.Cluster, *nemesis.Net) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := nemesis.StartServer(ctx, logger)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	n, err := nemesis.Connect(ctx, srv.URL())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, n.Close(context.Background())) })
	dir := t.TempDir()
	c, err := etcd.Start(ctx, etcd.Config{
		Members: 3, Binary: bin, DataDir: filepath.Join(dir, "data"), LogDir: dir,
		Net: n, Logger: logger, Token: "test-" + n.Prefix(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Stop(context.Background())) })
	return c, n
}

// blackhole cuts both streams of every peer link to and from node, as the
// nemesis's partition does (a timeout toxic at 0), and returns the heal.
func blackhole(t *testing.T, n *nemesis.Net, node string) (heal func()) {
	t.Helper()
	client := toxiclient.NewClient(n.URL())
	var cut []*toxiclient.Proxy
	for _, l := range n.Links() {
		if l.From == etcd.ClientLink || (l.From != node && l.To != node) {
			continue
		}
		p, err := client.Proxy(n.Prefix() + l.String())
		require.NoError(t, err)
		for _, stream := range []string{"upstream", "downstream"} {
			_, err := p.AddToxic("cut-"+stream, "timeout", stream, 1, toxiclient.Attributes{"timeout": 0})
			require.NoError(t, err)
		}
		cut = append(cut, p)
	}
	require.Len(t, cut, 4, "a member of three has two peer links each way")
	return func() {
		for _, p := range cut {
			for _, stream := range []string{"upstream", "downstream"} {
				assert.NoError(t, p.RemoveToxic("cut-"+stream))
			}
		}
	}
}

// TestIsolatingALeaderCutsItsPeerTraffic proves that the peer links go
// through the proxies: with the leader's peer links blackholed, a write
// through its own client port cannot commit, while the other two elect a
// leader and keep serving; after the heal the old leader catches up. A
// member that reached its peers some other way would go on committing.
func TestIsolatingALeaderCutsItsPeerTraffic(t *testing.T) {
	c, n := startCluster(t, needEtcd(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	leader, err := c.WaitLeader(ctx)
	require.NoError(t, err)
	urls := c.ClientURLs()
	client := func(id string) *etcd.RegisterClient {
		rc, err := etcd.NewRegisterClient([]string{urls[id]}, id, time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { rc.Close() })
		return rc
	}
	isolated := client(leader)
	opCtx := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 2*time.Second) }
	wctx, wcancel := opCtx()
	require.NoError(t, isolated.Write(wctx, "k", 1), "a healthy cluster commits")
	wcancel()

	heal := blackhole(t, n, leader)
	var other string
	for _, id := range c.IDs() {
		if id != leader {
			other = id
			break
		}
	}
	majority := client(other)
	require.Eventually(t, func() bool {
		wctx, wcancel := opCtx()
		defer wcancel()
		return majority.Write(wctx, "k", 2) == nil
	}, 30*time.Second, 200*time.Millisecond, "the majority elects a leader and commits")

	wctx, wcancel = opCtx()
	err = isolated.Write(wctx, "k", 3)
	wcancel()
	require.Error(t, err, "the isolated old leader must not commit a write")
	rctx, rcancel := opCtx()
	_, _, err = isolated.Read(rctx, "k")
	rcancel()
	require.Error(t, err, "nor answer a linearizable read")

	heal()
	require.Eventually(t, func() bool {
		rctx, rcancel := opCtx()
		defer rcancel()
		v, ok, err := isolated.Read(rctx, "k")
		return err == nil && ok && v == 2
	}, 30*time.Second, 200*time.Millisecond, "after the heal the old leader serves the majority's value")
}

// TestEtcdIsValidUnderFaults runs the register workload against real
// etcd under partitions, kills and pauses, through the runner as
// `faultline run --system etcd` does: etcd is correct, so anything but
// valid is a false alarm of the checkers (or a harness bug).
func TestEtcdIsValidUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30-second run")
	}
	needEtcd(t)
	cfg := runner.DefaultConfig()
	cfg.System, cfg.Nemesis = "etcd", []string{"partition", "kill", "pause"}
	cfg.Time, cfg.Seed = 30*time.Second, 2
	cfg.Results = t.TempDir()
	out, err := runner.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.NotNil(t, out.Summary)
	require.Equal(t, checker.Valid, out.Valid(), "verdict: %s", out.Summary.VerdictLine())
	cov := out.Summary.Faults.Coverage
	assert.Empty(t, cov.Missing, "every requested fault was injected")
	hit := 0
	for _, f := range cov.Faults {
		hit += f.HitLeader
	}
	assert.Positive(t, hit, "some fault struck the leader")
	stats := out.Summary.Stats()
	assert.Greater(t, stats.Ops.Ok, 1000, "etcd did real work: %+v", stats.Ops)
}
