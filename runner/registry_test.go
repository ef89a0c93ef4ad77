package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/builtin"
	"github.com/faultline/faultline/workloads"
)

// memSystem is the smallest system there is: registers in memory behind a
// mutex, one node, no processes. It is added to a registry here, in a
// test, to show that a system is one type and one registry line. With
// Stale set, reads answer from a copy taken at the start of the run: the
// harness must catch that.
type memSystem struct{}

type memSettings struct {
	workloads.RegisterSettings
	Stale bool `json:"stale"`
}

func (s *memSettings) AddFlags(fs *pflag.FlagSet) {
	systems.AddRegisterFlags(fs, &s.RegisterSettings)
	fs.BoolVar(&s.Stale, "stale", s.Stale, "answer reads from a stale copy")
}

func (s *memSettings) Validate(systems.Run) error { return s.RegisterSettings.Validate() }

func (memSystem) Name() string        { return "memregister" }
func (memSystem) Describe() string    { return "registers in memory" }
func (memSystem) Workloads() []string { return []string{"register"} }
func (memSystem) Faults() []string    { return nil }
func (memSystem) NewSettings() systems.Settings {
	return &memSettings{RegisterSettings: workloads.DefaultRegisterSettings()}
}
func (memSystem) Checkers(string, time.Duration) []checker.Checker { return nil }

func (memSystem) Start(_ context.Context, env *systems.Env) (systems.Target, error) {
	cfg := workloads.DefaultRegisterConfig()
	cfg.Common, cfg.RegisterSettings = env.Run.Common, env.Settings.(*memSettings).RegisterSettings
	return &memTarget{cfg: cfg, stale: env.Settings.(*memSettings).Stale, regs: map[string]int64{}}, nil
}

type memTarget struct {
	cfg   workloads.RegisterConfig
	stale bool

	mu   sync.Mutex
	regs map[string]int64
	old  map[string]int64 // what a stale read answers from
	keys int
}

func (t *memTarget) Nodes() []string                        { return []string{"m1"} }
func (t *memTarget) Processes() nemesis.Processes           { return nil }
func (t *memTarget) Leader(context.Context) (string, error) { return "m1", nil }
func (t *memTarget) Labels() map[string]string              { return map[string]string{"mode": "in memory"} }
func (t *memTarget) Stop(context.Context) error             { return nil }

func (t *memTarget) Read(_ context.Context, key string) (int64, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	regs := t.regs
	if t.stale {
		if t.old == nil || len(t.old) > 0 && t.regs[key] != t.old[key] && len(t.regs)%2 == 0 {
			// Refresh the stale copy now and then, so that reads are
			// sometimes fresh and sometimes old: a node that lags.
			t.old = map[string]int64{}
			for k, v := range t.regs {
				t.old[k] = v
			}
		}
		regs = t.old
	}
	v, ok := regs[key]
	return v, ok, nil
}

func (t *memTarget) Write(_ context.Context, key string, v int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.regs[key] = v
	return nil
}

func (t *memTarget) CAS(_ context.Context, key string, old, v int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.regs[key]; !ok || cur != old {
		return workloads.ErrMismatch
	}
	t.regs[key] = v
	return nil
}

func (t *memTarget) Run(ctx context.Context, rec *workloads.Recorder) error {
	clients := make([]workloads.RegisterClient, t.cfg.Concurrency)
	for i := range clients {
		clients[i] = t
	}
	keys, err := workloads.RunRegister(ctx, t.cfg, rec, clients)
	t.keys = keys
	return err
}

func (t *memTarget) Final(ctx context.Context, rec *workloads.Recorder) error {
	unread, err := workloads.FinalReads(ctx, t.cfg, rec, t, workloads.FinalProcess, max(t.keys, t.cfg.Keys))
	if err == nil && len(unread) > 0 {
		err = fmt.Errorf("unread keys: %v", unread)
	}
	return err
}

// TestASystemIsOnePackageAndOneRegistryLine runs the register workload for
// two seconds through the runner against a system registered here, and
// re-checks the stored run through the same registry: a correct register is
// valid, and one that serves stale reads is caught.
func TestASystemIsOnePackageAndOneRegistryLine(t *testing.T) {
	reg := builtin.Registry()
	require.NoError(t, reg.Register(memSystem{}))
	for _, tc := range []struct {
		stale bool
		want  checker.Validity
	}{{false, checker.Valid}, {true, checker.Invalid}} {
		t.Run(fmt.Sprintf("stale=%v", tc.stale), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Systems, cfg.System, cfg.Nemesis = reg, "memregister", nil
			cfg.Time, cfg.Seed, cfg.Rate, cfg.Results = 2*time.Second, 7, 1000, t.TempDir()
			cfg.Settings = &memSettings{RegisterSettings: workloads.DefaultRegisterSettings(), Stale: tc.stale}
			out, err := Run(context.Background(), cfg, testLogger(t))
			require.NoError(t, err)
			require.NotNil(t, out.Summary)
			assert.Equal(t, tc.want, out.Valid(), out.Summary.VerdictLine())
			assert.Greater(t, out.Summary.Stats().Ops.Ok, 500, "two seconds at 1000/s")

			// run.json holds this system's settings and no other's.
			b, err := os.ReadFile(filepath.Join(out.Dir, "run.json"))
			require.NoError(t, err)
			var meta struct {
				Config map[string]json.RawMessage `json:"config"`
			}
			require.NoError(t, json.Unmarshal(b, &meta))
			assert.JSONEq(t, fmt.Sprintf(`{"keys":8,"ops_per_key":300,"client_routing":"bound","stale":%v}`, tc.stale), string(meta.Config["settings"]))
			assert.NotContains(t, meta.Config, "lock")
			assert.NotContains(t, meta.Config, "breaker")

			again, err := Check(context.Background(), out.Dir, CheckOptions{Systems: reg}, testLogger(t))
			require.NoError(t, err)
			assert.Equal(t, tc.want, again.Valid, "the stored run re-checks to the same verdict")
		})
	}
}

func TestRegistryRefusesTwoSystemsOfOneName(t *testing.T) {
	reg := builtin.Registry()
	assert.Error(t, reg.Register(memSystem{}.renamed("raftkv")))
	assert.Panics(t, func() { systems.NewRegistry(memSystem{}, memSystem{}) })
}

// renamedSystem is memSystem under another name.
type renamedSystem struct {
	memSystem
	name string
}

func (s renamedSystem) Name() string { return s.name }

func (m memSystem) renamed(name string) systems.System { return renamedSystem{m, name} }
