package raftkv_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/dockertest"
	"github.com/faultline/faultline/systems/raftkv"
)

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }

// TestDockerRuntime runs `faultline run --system raftkv --runtime docker`
// through the runner: three node containers and a Toxiproxy container on
// their own network. The correct cluster stays valid through partitions
// (through the Toxiproxy container), container kills, pauses and power
// losses (every requested fault must be injected, or the verdict would be
// unknown); the stale-read bug is caught the same way it is under the
// process runtime. Both leave no container behind.
func TestDockerRuntime(t *testing.T) {
	dockertest.Require(t)
	image := dockertest.Image(t, dockertest.Faultline)
	for _, tc := range []struct {
		name    string
		bugs    []string
		nemesis []string
		want    checker.Validity
	}{
		{"correct", nil, []string{"partition", "kill", "pause", "powerloss"}, checker.Valid},
		{"stale-read", []string{"stale-read"}, []string{"partition"}, checker.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := runner.DefaultConfig()
			cfg.System, cfg.Nemesis = "raftkv", tc.nemesis
			s := raftkv.DefaultSettings()
			s.Runtime, s.Image, s.Bugs = raftkv.RuntimeDocker, image, tc.bugs
			cfg.Settings = &s
			cfg.Time, cfg.NemesisInterval, cfg.Seed = 24*time.Second, 2*time.Second, 7
			cfg.Results = t.TempDir()
			out, err := runner.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
			require.NoError(t, err)
			require.NotNil(t, out.Summary)
			assert.Equal(t, tc.want, out.Valid(), "verdict: %s", out.Summary.VerdictLine())

			meta, err := os.ReadFile(filepath.Join(out.Dir, "run.json"))
			require.NoError(t, err)
			assert.Contains(t, string(meta), `"runtime": "docker"`)
			assert.Contains(t, string(meta), "docker containers")
			for _, log := range []string{"n1.log", "n2.log", "n3.log", "toxiproxy.log"} {
				b, err := os.ReadFile(filepath.Join(out.Dir, "logs", log))
				require.NoError(t, err, "the container's log must be kept")
				assert.NotEmpty(t, b, log)
			}
			h, err := history.ReadFile(filepath.Join(out.Dir, "history.jsonl"))
			require.NoError(t, err)
			faults := map[string]int{}
			for _, op := range h.Ops {
				if op.Process == history.NemesisProcess {
					faults[op.F]++
				}
			}
			for _, f := range tc.nemesis {
				assert.Positive(t, faults[f], "fault %s must have been injected: %v", f, faults)
			}
			if tc.name == "correct" {
				// A restarted container came back and served: the final
				// reads of every key went through.
				assert.Positive(t, faults["start"], "killed nodes must be restarted: %v", faults)
			}
		})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestRuntimeSettings(t *testing.T) {
	run := systems.Run{Workload: "register", Nodes: 3, Time: 10 * time.Second, Nemesis: []string{"partition", "kill"}}
	for _, tc := range []struct {
		name string
		mod  func(*raftkv.Settings, *systems.Run)
		ok   bool
	}{
		{"process", func(*raftkv.Settings, *systems.Run) {}, true},
		{"docker", func(s *raftkv.Settings, _ *systems.Run) { s.Runtime = raftkv.RuntimeDocker }, true},
		{"docker with a bug and powerloss", func(s *raftkv.Settings, r *systems.Run) {
			s.Runtime, s.Bugs, r.Nemesis = raftkv.RuntimeDocker, []string{"no-fsync"}, []string{"powerloss"}
		}, true},
		{"docker without an image", func(s *raftkv.Settings, _ *systems.Run) { s.Runtime, s.Image = raftkv.RuntimeDocker, "" }, false},
		{"compose", func(s *raftkv.Settings, _ *systems.Run) { s.Runtime = raftkv.RuntimeCompose }, true},
		{"compose with a bug", func(s *raftkv.Settings, _ *systems.Run) {
			s.Runtime, s.Bugs = raftkv.RuntimeCompose, []string{"stale-read"}
		}, false},
		{"compose with powerloss", func(s *raftkv.Settings, r *systems.Run) {
			s.Runtime, r.Nemesis = raftkv.RuntimeCompose, []string{"kill", "powerloss"}
		}, false},
		{"unknown runtime", func(s *raftkv.Settings, _ *systems.Run) { s.Runtime = "vm" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r := raftkv.DefaultSettings(), run
			tc.mod(&s, &r)
			err := s.Validate(r)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, history.ErrBadConfig)
			}
			container := s.Runtime == raftkv.RuntimeDocker || s.Runtime == raftkv.RuntimeCompose
			assert.Equal(t, container, s.OwnsNet(), "the container runtimes bring their own Toxiproxy")
		})
	}
}
