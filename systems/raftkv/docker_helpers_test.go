package raftkv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
)

// requireDocker skips the test when no Docker engine answers, or fails it
// when FAULTLINE_REQUIRE_DOCKER=1 (a CI job that must run it). With -short
// it skips unless FAULTLINE_REQUIRE_DOCKER=1: building the binary and the
// image takes a while on a cold build cache. It also
// turns Ryuk off unless the environment says otherwise: Ryuk is an image
// that would have to be pulled, and the test removes what it creates.
func requireDocker(t *testing.T) {
	t.Helper()
	required := os.Getenv("FAULTLINE_REQUIRE_DOCKER") == "1"
	if testing.Short() && !required {
		t.Skip("skipping the Docker test in -short mode (FAULTLINE_REQUIRE_DOCKER=1 runs it anyway)")
	}
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := DockerAvailable(ctx)
	if err == nil {
		return
	}
	if required {
		t.Fatalf("FAULTLINE_REQUIRE_DOCKER=1 but %v", err)
	}
	t.Skipf("skipping: %v (start Docker or set DOCKER_HOST; FAULTLINE_REQUIRE_DOCKER=1 makes this a failure)", err)
}

// buildImage compiles a static faultline binary and builds an image from
// the repository's Dockerfile with it, as scripts/docker-build.sh does,
// under a unique tag; the image is removed when the test ends. When
// FAULTLINE_DOCKER_IMAGE names an image (say faultline:local, built by the
// script), the test uses that one instead and leaves it in place.
func buildImage(t *testing.T) string {
	t.Helper()
	if image := os.Getenv("FAULTLINE_DOCKER_IMAGE"); image != "" {
		t.Logf("using image %s from FAULTLINE_DOCKER_IMAGE", image)
		return image
	}
	// Compiling on a cold build cache of a busy machine takes minutes;
	// the cluster part of the test has its own, tighter deadline.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "faultline"),
		"github.com/faultline/faultline/cmd/faultline")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the static faultline binary:\n%s", out)

	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	require.NoError(t, err, "reading the repository's Dockerfile")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644))

	provider, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(testcontainersLog{t}))
	require.NoError(t, err)
	defer provider.Close()
	tag, err := provider.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        dir,
		Repo:           "faultline",
		Tag:            "test-" + randomSuffix(t),
		BuildLogWriter: io.Discard,
	}})
	require.NoError(t, err, "building the image from the Dockerfile")
	t.Cleanup(func() {
		cli, err := testcontainers.NewDockerClientWithOpts(context.Background())
		if err != nil {
			t.Errorf("removing image %s: %v", tag, err)
			return
		}
		defer cli.Close()
		if _, err := cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("removing image %s: %v", tag, err)
		}
	})
	return tag
}

func randomSuffix(t *testing.T) string {
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

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
