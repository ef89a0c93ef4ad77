package runner

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func needRedisServer(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("FAULTLINE_REQUIRE_REDIS") == "1" {
			t.Fatal("redis-server is not on PATH and FAULTLINE_REQUIRE_REDIS=1")
		}
		t.Skip("needs a real redis-server on PATH (apt-get install redis-server)")
	}
}

// TestRedisLockNaiveFailsAndFencedHolds is issue 5's promise, end to end
// through Run on a real redis-server: the seed's lock grants the lock twice
// under latency above the lease and under a pause of the holder, and the
// fenced lock's resource stays consistent under the same faults.
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
			cfg := DefaultConfig()
			cfg.System, cfg.Workload, cfg.Nemesis = "redislock", tc.workload, tc.nemesis
			cfg.Lock.Lock = tc.lock
			cfg.Time, cfg.NemesisInterval, cfg.Seed = 15*time.Second, 2*time.Second, 11
			cfg.Results = t.TempDir()
			out, err := Run(context.Background(), cfg, testLogger(t))
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
