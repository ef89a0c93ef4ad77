// Package dockertest is what the Docker tests of the systems share: the
// rule for skipping where no engine answers (and failing instead under
// FAULTLINE_REQUIRE_DOCKER=1), and the images they run, built once per test
// binary with scripts/docker-build.sh, so that the script a user runs is
// the one the tests prove. It is imported by tests only.
package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Require skips the test when no Docker engine answers, or fails it when
// FAULTLINE_REQUIRE_DOCKER=1 (a CI job that must run it). With -short it
// skips unless FAULTLINE_REQUIRE_DOCKER=1: building the images takes a
// while on a cold build cache. It turns Ryuk off unless the environment
// says otherwise: Ryuk is an image that would have to be pulled, and the
// tests remove what they create.
func Require(t testing.TB) {
	t.Helper()
	required := os.Getenv("FAULTLINE_REQUIRE_DOCKER") == "1"
	if testing.Short() && !required {
		t.Skip("skipping the Docker test in -short mode (FAULTLINE_REQUIRE_DOCKER=1 runs it anyway)")
	}
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// An engine on a unix socket is on this host and publishes ports on
	// it; testcontainers, finding itself in a container (/.dockerenv),
	// would look for them on the default gateway instead.
	if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !set && localEngine() {
		t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := ping(ctx)
	if err == nil {
		return
	}
	if required {
		t.Fatalf("FAULTLINE_REQUIRE_DOCKER=1 but no Docker engine answers: %v", err)
	}
	t.Skipf("skipping: no Docker engine answers: %v (start Docker or set DOCKER_HOST; FAULTLINE_REQUIRE_DOCKER=1 makes this a failure)", err)
}

// localEngine reports whether DOCKER_HOST is unset or a unix socket.
func localEngine() bool {
	h := os.Getenv("DOCKER_HOST")
	return h == "" || strings.HasPrefix(h, "unix://")
}

// ping asks the engine testcontainers would use for a pong.
// testcontainers panics when it cannot even find where an engine would
// be; that is an error here too.
func ping(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err
}

// The images scripts/docker-build.sh builds, with the variable that names
// each one's tag and the variable a test run can set to use an image
// built already (by .ci/run, say) instead of building its own.
const (
	Faultline = "faultline" // FAULTLINE_IMAGE; tests: FAULTLINE_DOCKER_IMAGE
	Redis     = "redis"     // REDIS_IMAGE; tests: FAULTLINE_REDIS_IMAGE
)

var (
	imagesMu sync.Mutex
	built    = map[string]string{} // what → tag, built by this process
	failed   = map[string]error{}
)

// Image returns the tag of image what (Faultline or Redis): the one its
// environment variable names, or one this test binary builds with
// scripts/docker-build.sh under a unique tag, once, and removes in Main.
func Image(t testing.TB, what string) string {
	t.Helper()
	env := map[string]string{Faultline: "FAULTLINE_DOCKER_IMAGE", Redis: "FAULTLINE_REDIS_IMAGE"}[what]
	if env == "" {
		t.Fatalf("dockertest: unknown image %q", what)
	}
	if tag := os.Getenv(env); tag != "" {
		t.Logf("using image %s from %s", tag, env)
		return tag
	}
	imagesMu.Lock()
	defer imagesMu.Unlock()
	if tag, ok := built[what]; ok {
		return tag
	}
	if err, ok := failed[what]; ok {
		t.Fatal(err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	tag := "faultline-test-" + what + ":" + hex.EncodeToString(b[:])
	// Compiling on a cold build cache of a busy machine takes minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(repoRoot(), "scripts", "docker-build.sh"), what)
	cmd.Env = append(os.Environ(), "FAULTLINE_IMAGE="+tag, "REDIS_IMAGE="+tag)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		failed[what] = fmt.Errorf("scripts/docker-build.sh %s: %v\n%s", what, err, out)
		t.Fatal(failed[what])
	}
	t.Logf("built image %s with scripts/docker-build.sh in %v", tag, time.Since(start).Round(time.Second))
	built[what] = tag
	return tag
}

// Main runs the tests and then removes the images Image built: a test
// package that calls Image has `func TestMain(m *testing.M) {
// os.Exit(dockertest.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	imagesMu.Lock()
	defer imagesMu.Unlock()
	if len(built) == 0 {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockertest: removing the test images: %v\n", err)
		return code
	}
	defer cli.Close()
	for _, tag := range built {
		if _, err := cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			fmt.Fprintf(os.Stderr, "dockertest: removing image %s: %v\n", tag, err)
		}
	}
	return code
}

// repoRoot is the checkout the test runs in: the first directory up from
// the package's (a test's working directory) that holds go.mod.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
