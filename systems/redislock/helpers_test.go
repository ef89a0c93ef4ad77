package redislock

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems/redislock/redisserver"
	"github.com/faultline/faultline/workloads"
)

// needRedis skips without redis-server, unless FAULTLINE_REQUIRE_REDIS=1.
func needRedis(t *testing.T) {
	t.Helper()
	if !redisserver.Available("redis-server") {
		if os.Getenv(EnvRequireRedis) == "1" {
			t.Fatal("redis-server not found on PATH and FAULTLINE_REQUIRE_REDIS=1")
		}
		t.Skip("redis-server not found on PATH; install it to run this test")
	}
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// record runs fn with a recorder and returns the history it wrote.
func record(t *testing.T, fn func(rec *workloads.Recorder)) []history.Op {
	t.Helper()
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	fn(workloads.NewRecorder(w))
	require.NoError(t, w.Close())
	h, err := history.Read(&buf)
	require.NoError(t, err)
	return h.Ops
}

// overlaps counts pairs of holders whose beliefs overlap: from the ok of an
// acquire to the invoke of the same process's release.
func overlaps(ops []history.Op) int {
	type hold struct{ from, to int64 }
	open := map[int]int64{}
	var holds []hold
	for _, op := range ops {
		switch {
		case op.F == workloads.FAcquire && op.Type == history.Ok:
			open[op.Process] = op.Time
		case op.F == workloads.FRelease && op.Type == history.Invoke:
			if from, ok := open[op.Process]; ok {
				holds = append(holds, hold{from, op.Time})
				delete(open, op.Process)
			}
		}
	}
	n := 0
	for i := range holds {
		for j := i + 1; j < len(holds); j++ {
			if holds[i].from < holds[j].to && holds[j].from < holds[i].to {
				n++
			}
		}
	}
	return n
}
