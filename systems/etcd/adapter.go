package etcd

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// EnvRequireEtcd, set to 1, turns the tests' skip for a missing etcd
// binary into a failure (CI sets it after installing etcd-server).
const EnvRequireEtcd = "FAULTLINE_REQUIRE_ETCD"

// Adapter is etcd as a system under test: a cluster of real etcd
// processes that Faultline did not write, as a control for its checkers.
type Adapter struct{}

var (
	_ systems.System      = Adapter{}
	_ systems.Settings    = (*Settings)(nil)
	_ systems.Preflighter = (*Settings)(nil)
)

// Settings are the etcd system's settings: the register workload's and the
// etcd executable.
type Settings struct {
	workloads.RegisterSettings
	// Binary is the etcd executable; empty looks "etcd" up on PATH.
	Binary string `json:"etcd_binary,omitempty"`
}

// DefaultSettings are the register workload's defaults and etcd from PATH.
func DefaultSettings() Settings {
	return Settings{RegisterSettings: workloads.DefaultRegisterSettings()}
}

// AddFlags binds the register workload's flags and --etcd-binary.
func (s *Settings) AddFlags(fs *pflag.FlagSet) {
	systems.AddRegisterFlags(fs, &s.RegisterSettings)
	fs.StringVar(&s.Binary, "etcd-binary", s.Binary, "the etcd executable for --system etcd (default: etcd on PATH)")
}

// Validate reports the first setting that cannot work.
func (s *Settings) Validate(systems.Run) error { return s.RegisterSettings.Validate() }

// Preflight finds the etcd executable and checks that it is etcd 3.
func (s *Settings) Preflight(ctx context.Context) error {
	_, _, err := FindBinary(ctx, s.Binary)
	return err
}

var versionLine = regexp.MustCompile(`etcd Version: (3\.[0-9]+\.[0-9]+\S*)`)

// FindBinary resolves path (empty: "etcd" on PATH) and asks it for its
// version, which must be 3.x. Its errors wrap history.ErrBadConfig and say
// what to install.
func FindBinary(ctx context.Context, path string) (resolved, version string, err error) {
	name := path
	if name == "" {
		name = "etcd"
	}
	resolved, err = exec.LookPath(name)
	if err != nil {
		return "", "", fmt.Errorf("%w: no etcd executable (%s): install etcd 3 (Debian: apt-get install etcd-server) or set etcd_binary to its path", history.ErrBadConfig, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, resolved, "--version").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("%w: %s --version: %w", history.ErrBadConfig, resolved, err)
	}
	m := versionLine.FindSubmatch(out)
	if m == nil {
		return "", "", fmt.Errorf("%w: %s is not etcd 3: its --version says %q", history.ErrBadConfig, resolved, out)
	}
	return resolved, string(m[1]), nil
}

// Name is "etcd".
func (Adapter) Name() string { return "etcd" }

// Describe says what the system is.
func (Adapter) Describe() string {
	return "a cluster of real etcd 3 processes (not written here: a control), through the official Go client"
}

// Workloads: the register workload.
func (Adapter) Workloads() []string { return []string{"register"} }

// Faults lists every fault the cluster takes: its peer and client links
// are all proxied, and its members are processes the harness controls.
func (Adapter) Faults() []string {
	return []string{nemesis.FaultPartition, nemesis.FaultLatency, nemesis.FaultKill, nemesis.FaultPause,
		nemesis.FaultBandwidth, nemesis.FaultSlowClose, nemesis.FaultTimeout, nemesis.FaultResetPeer,
		nemesis.FaultSlicer, nemesis.FaultLimitData}
}

// NewSettings returns the defaults.
func (Adapter) NewSettings() systems.Settings {
	s := DefaultSettings()
	return &s
}

// Checkers: none beyond linearizability, which checker.Check always runs
// for the register workload.
func (Adapter) Checkers(string, time.Duration) []checker.Checker { return nil }

// Start starts the cluster for a run.
func (Adapter) Start(ctx context.Context, env *systems.Env) (systems.Target, error) {
	s := env.Settings.(*Settings)
	bin, version, err := FindBinary(ctx, s.Binary)
	if err != nil {
		return nil, err
	}
	c, err := Start(ctx, Config{
		Members: env.Run.Nodes,
		Binary:  bin,
		DataDir: filepath.Join(env.Dir, "data"),
		LogDir:  env.LogDir,
		Net:     env.Net,
		Logger:  env.Logger,
		Token:   "faultline-" + env.Net.Prefix(),
	})
	if err != nil {
		return nil, err
	}
	cfg := workloads.DefaultRegisterConfig()
	cfg.Common, cfg.RegisterSettings = env.Run.Common, s.RegisterSettings
	return &target{Cluster: c, cfg: cfg, binVersion: version}, nil
}

// target is a started cluster with the register workload's configuration.
type target struct {
	*Cluster
	cfg        workloads.RegisterConfig
	binVersion string
	keys       int
}

func (t *target) Processes() nemesis.Processes { return t.Cluster }

func (t *target) Labels() map[string]string {
	labels := map[string]string{"mode": "child processes", "etcd": t.binVersion,
		"peer links": "each member's peer requests go through its own forward proxy to the directed Toxiproxy link"}
	if v := t.Version(); v != "" {
		labels["etcd server"] = v
	}
	for id, u := range t.DirectURLs() {
		labels[id+".client"] = u
	}
	return labels
}

// newClient is the client of worker i: bound to member i mod N by default,
// to the leader of the moment, or to every member (the client's balancer
// picks). Its connection set-up is bounded by the operation timeout.
func (t *target) newClient(ctx context.Context, i int) (*RegisterClient, error) {
	ids, urls := t.IDs(), t.ClientURLs()
	switch t.cfg.ClientRouting {
	case workloads.RouteLeader:
		if id, err := t.Leader(ctx); err == nil {
			return NewRegisterClient([]string{urls[id]}, id, t.cfg.OpTimeout)
		}
		fallthrough
	case workloads.RouteRandom:
		all := make([]string, len(ids))
		for j, id := range ids {
			all[j] = urls[id]
		}
		return NewRegisterClient(all, "", t.cfg.OpTimeout)
	}
	home := ids[i%len(ids)]
	return NewRegisterClient([]string{urls[home]}, home, t.cfg.OpTimeout)
}

// Run drives the register workload, worker i bound to member i mod N
// under the default routing: each client talks to its member only, as
// Jepsen's etcd clients do.
func (t *target) Run(ctx context.Context, rec *workloads.Recorder) error {
	clients := make([]workloads.RegisterClient, t.cfg.Concurrency)
	for i := range clients {
		c, err := t.newClient(ctx, i)
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = c
	}
	keys, err := workloads.RunRegister(ctx, t.cfg, rec, clients)
	t.keys = keys
	return err
}

// Final reads every key the workload used once the cluster has recovered,
// through a client of every member.
func (t *target) Final(ctx context.Context, rec *workloads.Recorder) error {
	urls := t.ClientURLs()
	all := make([]string, 0, len(urls))
	for _, id := range t.IDs() {
		all = append(all, urls[id])
	}
	c, err := NewRegisterClient(all, "", t.cfg.OpTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	unread, err := workloads.FinalReads(ctx, t.cfg, rec, c, workloads.FinalProcess, max(t.keys, t.cfg.Keys))
	if err != nil {
		return err
	}
	if len(unread) > 0 {
		return fmt.Errorf("%d keys could not be read after the heal: %v", len(unread), unread)
	}
	return nil
}
