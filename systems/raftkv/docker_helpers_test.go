package raftkv

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/systems/dockertest"
)

func requireDocker(t *testing.T) { dockertest.Require(t) }

func buildImage(t *testing.T) string { return dockertest.Image(t, dockertest.Faultline) }

// testLogger routes a library's slog output to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type testcontainersLog struct{ t *testing.T }

func (l testcontainersLog) Printf(format string, args ...any) { l.t.Logf(format, args...) }

// dumpLogsOnFailure writes every node's log to the test's output when the
// test failed, before the containers are removed.
func dumpLogsOnFailure(t *testing.T, c *DockerCluster) {
	if !t.Failed() {
		return
	}
	for _, id := range c.Nodes() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		logs, err := c.Logs(ctx, id)
		cancel()
		if err != nil {
			t.Logf("logs of %s: %v", id, err)
			continue
		}
		t.Logf("---- log of node %s ----\n%s", id, logs)
	}
}
