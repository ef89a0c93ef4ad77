package redislock_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/dockertest"
	"github.com/faultline/faultline/systems/redislock"
)

func TestSettingsValidate(t *testing.T) {
	run := systems.Run{Workload: redislock.WorkloadLock, Time: 10 * time.Second}
	tests := []struct {
		name string
		mod  func(*redislock.Settings, *systems.Run)
		ok   bool
	}{
		{"default", func(*redislock.Settings, *systems.Run) {}, true},
		{"lease 0", func(s *redislock.Settings, _ *systems.Run) { s.Lease = 0 }, false},
		{"unknown lock", func(s *redislock.Settings, _ *systems.Run) { s.Kind = "magic" }, false},
		{"negative think", func(s *redislock.Settings, _ *systems.Run) { s.Think = -time.Second }, false},
		{"hold longer than the run", func(s *redislock.Settings, _ *systems.Run) { s.Hold = time.Minute }, false},
		{"external redis with kill", func(s *redislock.Settings, r *systems.Run) { s.Redis = "127.0.0.1:6379"; r.Nemesis = []string{"kill"} }, false},
		{"external redis with pause", func(s *redislock.Settings, r *systems.Run) {
			s.Redis = "127.0.0.1:6379"
			r.Nemesis = []string{"latency", "pause"}
		}, false},
		{"external redis with latency", func(s *redislock.Settings, r *systems.Run) {
			s.Redis = "127.0.0.1:6379"
			r.Nemesis = []string{"latency"}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := redislock.DefaultSettings(), run
			tt.mod(&s, &r)
			if tt.ok {
				assert.NoError(t, s.Validate(r))
			} else {
				assert.ErrorIs(t, s.Validate(r), history.ErrBadConfig)
			}
		})
	}
}

func needRedisServer(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv(redislock.EnvRequireRedis) == "1" {
			t.Fatalf("redis-server is not on PATH and %s=1", redislock.EnvRequireRedis)
		}
		t.Skip("needs a real redis-server on PATH (apt-get install redis-server)")
	}
}

// TestRedisLockNaiveFailsAndFencedHolds is issue 5's promise, end to end
// through the runner on a real redis-server: the seed's lock grants the lock
// twice under latency above the lease and under a pause of the holder, and
// the fenced lock's resource stays consistent under the same faults.
func TestRedisLockNaiveFailsAndFencedHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three 15-second tests")
	}
	needRedisServer(t)
	for _, tc := range []struct {
		lock, workload string
		nemesis        []string
		want           checker.Validity
	}{
		{"naive", "lock", []string{"latency"}, checker.Invalid},
		{"naive", "lock", []string{"pause"}, checker.Invalid},
		{"fenced", "fenced", []string{"latency", "pause"}, checker.Valid},
	} {
		t.Run(tc.lock+"/"+tc.nemesis[0], func(t *testing.T) {
			cfg := runner.DefaultConfig()
			cfg.System, cfg.Workload, cfg.Nemesis = "redislock", tc.workload, tc.nemesis
			settings := redislock.DefaultSettings()
			settings.Kind = tc.lock
			cfg.Settings = &settings
			cfg.Time, cfg.NemesisInterval, cfg.Seed = 15*time.Second, 2*time.Second, 11
			cfg.Results = t.TempDir()
			out, err := runner.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			require.NotNil(t, out.Summary)
			assert.Equal(t, tc.want, out.Valid(), "verdict: %s", out.Summary.VerdictLine())
			if tc.want == checker.Invalid {
				assert.Contains(t, out.Summary.VerdictLine(), "held twice")
				assert.Contains(t, out.Summary.VerdictLine(), "fault in force")
			}
		})
	}
}

// TestTokenReuseBugIsCaught: fencing tokens that repeat let two holders
// write with the same token, and the fenced resource's check must see the
// lost update that the correct fenced lock (above) never shows under the
// same faults.
func TestTokenReuseBugIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("runs of 30 seconds")
	}
	needRedisServer(t)
	requireCaught(t, "token-reuse", "fenced-resource")
}

// TestNoOwnerCheckBugIsCaught: a release that deletes whoever's lock it
// finds frees the next holder's lock while its lease runs, and the lock is
// granted twice. Fencing still protects the resource, so only the lease
// check, which knows when each grant's lease surely ran, can see it; under
// the same faults the correct fenced lock is valid (above).
func TestNoOwnerCheckBugIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("runs of 30 seconds")
	}
	needRedisServer(t)
	requireCaught(t, "no-owner-check", "granted twice within its lease")
}

// requireCaught runs the fenced lock with bug under the catalog's exposure
// of it (the one `faultline detect` measures: caught in 9 or 10 of 10
// seeds), seed after seed until a run is invalid, and fails if none of
// three is, or if the anomaly is not the one the bug makes.
func requireCaught(t *testing.T, bug, anomaly string) {
	t.Helper()
	var exp systems.Exposure
	for _, b := range (redislock.Adapter{}).Bugs() {
		if b.Name == bug {
			exp = b.Exposure
		}
	}
	require.NotEmpty(t, exp.Faults, "no exposure of %s in the catalog", bug)
	var verdicts []string
	for seed := int64(1); seed <= 3; seed++ {
		cfg := runner.DefaultConfig()
		cfg.System, cfg.Workload, cfg.Nemesis = "redislock", exp.Workload, exp.Faults
		settings := redislock.DefaultSettings()
		settings.Kind, settings.Bugs = redislock.LockFenced, []string{bug}
		cfg.Settings = &settings
		cfg.Time, cfg.NemesisInterval, cfg.Bounds.Directions = exp.Time, exp.Interval, exp.Directions
		cfg.Seed, cfg.Results = seed, t.TempDir()
		out, err := runner.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.NoError(t, err)
		require.NotNil(t, out.Summary)
		if out.Valid() == checker.Invalid {
			assert.Contains(t, out.Summary.VerdictLine(), anomaly)
			return
		}
		verdicts = append(verdicts, fmt.Sprintf("seed %d: %s", seed, out.Summary.VerdictLine()))
	}
	t.Fatalf("%s was not caught in 3 seeds:\n%s", bug, strings.Join(verdicts, "\n"))
}

func TestBugsAreTheFencedLocks(t *testing.T) {
	s := redislock.DefaultSettings()
	s.Bugs = []string{"token-reuse"}
	assert.ErrorIs(t, s.Validate(systems.Run{Workload: redislock.WorkloadLock, Time: 10 * time.Second}), history.ErrBadConfig, "the naive lock has no such bug")
	s.Kind = redislock.LockFenced
	assert.NoError(t, s.Validate(systems.Run{Workload: "fenced", Time: 10 * time.Second}))
	s.Bugs = []string{"typo"}
	assert.ErrorIs(t, s.Validate(systems.Run{Workload: "fenced", Time: 10 * time.Second}), history.ErrBadConfig)
}

// TestLockWorkloadOnRedisInContainer points the lock workloads at a Redis
// in a container (testcontainers' redis module, on an image built from
// Debian's redis-server by scripts/docker-build.sh), as a user points them
// at a Redis they did not start, with its container named so that pauses
// reach it through the Docker API: the naive lock is caught holding twice
// under latency and pauses, the fenced lock holds under the same faults.
func TestLockWorkloadOnRedisInContainer(t *testing.T) {
	dockertest.Require(t)
	image := dockertest.Image(t, dockertest.Redis)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// A fixed host port: a container started again after a kill gets a
	// new random one otherwise, and the Redis's address would change.
	port := freePort(t)
	ctr, err := tcredis.Run(ctx, image, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hc.PortBindings = network.PortMap{network.MustParsePort("6379/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: port}}}
	}))
	t.Cleanup(func() {
		if ctr != nil {
			assert.NoError(t, ctr.Terminate(context.Background()))
		}
	})
	require.NoError(t, err)
	addr := "127.0.0.1:" + port

	// The container's faults, through the Docker API: a paused Redis does
	// not answer, a killed one neither, and both come back.
	rc := redislock.DefaultRedisConfig()
	rc.Addr, rc.Container = addr, ctr.GetContainerID()
	r, err := redislock.StartRedis(ctx, rc)
	require.NoError(t, err)
	require.True(t, r.CanFault())
	assert.Contains(t, r.Label(), "Docker API")
	for _, f := range []struct {
		name       string
		stop, back func(context.Context, string) error
	}{{"pause", r.Pause, r.Resume}, {"kill", r.Kill, r.Restart}} {
		require.NoError(t, f.stop(ctx, redislock.ServerNode), f.name)
		assert.Error(t, redislock.CheckReachable(ctx, addr), "a Redis after %s must not answer", f.name)
		require.NoError(t, f.back(ctx, redislock.ServerNode), f.name)
		require.NoError(t, redislock.CheckReachable(ctx, addr), "the Redis must answer again after %s", f.name)
	}
	require.NoError(t, r.Stop())

	for _, tc := range []struct {
		lock, workload string
		want           checker.Validity
	}{
		{"naive", "lock", checker.Invalid},
		{"fenced", "fenced", checker.Valid},
	} {
		t.Run(tc.lock, func(t *testing.T) {
			cfg := runner.DefaultConfig()
			cfg.System, cfg.Workload, cfg.Nemesis = "redislock", tc.workload, []string{"latency", "pause"}
			settings := redislock.DefaultSettings()
			settings.Kind, settings.Redis, settings.RedisContainer = tc.lock, addr, ctr.GetContainerID()
			cfg.Settings = &settings
			cfg.Time, cfg.NemesisInterval, cfg.Seed = 15*time.Second, 2*time.Second, 11
			cfg.Results = t.TempDir()
			out, err := runner.Run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			require.NotNil(t, out.Summary)
			assert.Equal(t, tc.want, out.Valid(), "verdict: %s", out.Summary.VerdictLine())
			meta, err := os.ReadFile(filepath.Join(out.Dir, "run.json"))
			require.NoError(t, err)
			assert.Contains(t, string(meta), addr, "run.json must name the Redis the run used")
		})
	}
}

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
