package raftkv

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/impl/raftkv"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// Adapter is the reference Raft KV store as a system under test: its nodes
// run as `faultline node` child processes.
type Adapter struct{}

var (
	_ systems.System       = Adapter{}
	_ systems.Settings     = (*Settings)(nil)
	_ systems.NemesisTuner = (*Settings)(nil)
	_ systems.NetOwner     = (*Settings)(nil)
)

// Settings are the Raft KV system's settings: the register workload's,
// and the deliberate bugs of impl/raftkv's catalog the nodes run with
// (none by default).
type Settings struct {
	workloads.RegisterSettings
	Bugs []string `json:"bugs,omitempty"`
	// Runtime is where the nodes run: RuntimeProcess (child processes of
	// the harness), RuntimeDocker (containers of Image, with their own
	// Toxiproxy container) or RuntimeCompose (the services n1 … nN of the
	// Compose stack the harness runs in, through its Toxiproxy).
	Runtime string `json:"runtime"`
	// Image is the image of the nodes and the Toxiproxy container under
	// RuntimeDocker: one built from the repository's Dockerfile.
	Image string `json:"image,omitempty"`
	// StackToxiproxy is the Compose stack's Toxiproxy API under
	// RuntimeCompose: the nodes' peer links go through it.
	StackToxiproxy string `json:"stack_toxiproxy,omitempty"`
}

// The runtimes of the cluster.
const (
	RuntimeProcess = "process"
	RuntimeDocker  = "docker"
	RuntimeCompose = "compose"
)

// DefaultSettings are the register workload's defaults, with the nodes as
// child processes.
func DefaultSettings() Settings {
	return Settings{RegisterSettings: workloads.DefaultRegisterSettings(), Runtime: RuntimeProcess,
		Image: DefaultDockerConfig().Image, StackToxiproxy: "http://toxiproxy:8474"}
}

// AddFlags binds --keys, --ops-per-key, --client-routing, --bug, --runtime
// and --image.
func (s *Settings) AddFlags(fs *pflag.FlagSet) {
	systems.AddRegisterFlags(fs, &s.RegisterSettings)
	systems.AddBugFlag(fs, &s.Bugs, Adapter{}.Bugs())
	fs.StringVar(&s.Runtime, "runtime", s.Runtime,
		"where the Raft KV nodes run: process (child processes), docker (containers of --image, Toxiproxy in a container too) or compose (the services n1…nN of the Compose stack the harness runs in, through --stack-toxiproxy)")
	fs.StringVar(&s.StackToxiproxy, "stack-toxiproxy", s.StackToxiproxy, "under --runtime compose: the API of the stack's Toxiproxy, which the nodes' peer links go through")
	fs.StringVar(&s.Image, "image", s.Image, "the image of the nodes under --runtime docker (scripts/docker-build.sh builds faultline:local)")
}

// Validate reports the first setting that cannot work.
func (s *Settings) Validate(run systems.Run) error {
	for _, b := range s.Bugs {
		if err := systems.CheckBug(b, Adapter{}.Bugs()); err != nil {
			return err
		}
	}
	switch s.Runtime {
	case RuntimeProcess, RuntimeDocker:
	case RuntimeCompose:
		// The stack started the nodes: their flags and their disks are
		// its own.
		if len(s.Bugs) > 0 {
			return fmt.Errorf("%w: --runtime compose runs the stack's nodes as they are; a --bug needs nodes the harness starts (process or docker)", history.ErrBadConfig)
		}
		if slices.Contains(run.Nemesis, nemesis.FaultPowerLoss) {
			return fmt.Errorf("%w: --runtime compose cannot cut a node's power: its disk is a volume of the stack; name the faults without powerloss", history.ErrBadConfig)
		}
	default:
		return fmt.Errorf("%w: unknown runtime %q: use %s, %s or %s", history.ErrBadConfig, s.Runtime, RuntimeProcess, RuntimeDocker, RuntimeCompose)
	}
	if s.Runtime == RuntimeDocker && s.Image == "" {
		return fmt.Errorf("%w: --runtime docker needs --image, an image built from the Dockerfile (scripts/docker-build.sh builds faultline:local)", history.ErrBadConfig)
	}
	return s.RegisterSettings.Validate()
}

// OwnsNet: under the Docker runtime the cluster brings its own Toxiproxy,
// a container on the nodes' network; under the Compose runtime it uses the
// stack's.
func (s *Settings) OwnsNet() bool { return s.Runtime == RuntimeDocker || s.Runtime == RuntimeCompose }

// Bugs lists the catalog of deliberate bugs the system can run with.
func (Adapter) Bugs() []systems.Bug {
	// Short partitions of the leader, again and again.
	partitions := systems.Exposure{Faults: []string{nemesis.FaultPartition}, Time: 20 * time.Second, Interval: 2 * time.Second}
	return systems.Catalog(raftkv.Bugs, map[raftkv.Bug]systems.Exposure{
		// Clients bound to followers ask them at once; any fault, even
		// none, shows it.
		raftkv.BugStaleRead: partitions,
		// Only a leader that has lost its leadership without knowing it
		// answers stale, and an isolated leader steps down by CheckQuorum
		// about as fast as the others elect, so partitions seldom expose
		// it. A pause does: the leader paused, four times, each time for
		// longer than twice the clients' timeout; the others elect a
		// leader and move on, its bound clients send it reads again, and
		// when it wakes up it answers them before it hears of the new term.
		raftkv.BugLeaderRead: {Faults: []string{nemesis.FaultPause}, Time: 40 * time.Second, Interval: 5 * time.Second,
			Targets: nemesis.TargetLeader},
		// The leader's bound clients' writes are acknowledged while it is
		// cut off and lost when the others elect a leader, whose first
		// read of the key shows it.
		raftkv.BugEarlyAck: partitions,
		// Power cuts of the whole cluster: nodes that never fsynced come
		// back without what they acknowledged, so committed writes are
		// gone. (A node that alone loses its log finds out itself: the
		// leader's commit index is past its last entry, and the Raft core
		// stops it, as etcd's does.) Cuts of one node keep the control
		// honest: the correct cluster serves through them, so its run is
		// not unknown for want of work under the fault.
		raftkv.BugNoFsync: {Faults: []string{nemesis.FaultPowerLoss}, Time: 20 * time.Second, Interval: 3 * time.Second,
			Targets: nemesis.TargetOne + "," + nemesis.TargetAll},
	})
}

// TuneNemesis keeps the default latency below the nodes' election timeout
// (150–300 ms): a one-way delay above it makes the cluster spend the fault
// electing leaders instead of serving, which tests liveness, not safety.
func (s *Settings) TuneNemesis(nc *nemesis.Config, _ systems.Run) {
	nc.LatencyMin, nc.LatencyMax, nc.Jitter = 20*time.Millisecond, 100*time.Millisecond, 20*time.Millisecond
}

// Name is "raftkv".
func (Adapter) Name() string { return "raftkv" }

// Describe says what the system is.
func (Adapter) Describe() string {
	return "the reference Raft replicated key-value store, as `faultline node` child processes (or containers: --runtime docker)"
}

// Workloads: the register workload.
func (Adapter) Workloads() []string { return []string{"register"} }

// Faults lists every fault the cluster takes.
func (Adapter) Faults() []string {
	return []string{nemesis.FaultPartition, nemesis.FaultLatency, nemesis.FaultKill, nemesis.FaultPause,
		nemesis.FaultBandwidth, nemesis.FaultSlowClose, nemesis.FaultTimeout, nemesis.FaultResetPeer,
		nemesis.FaultSlicer, nemesis.FaultLimitData, nemesis.FaultPowerLoss}
}

// NewSettings returns the defaults.
func (Adapter) NewSettings() systems.Settings {
	s := DefaultSettings()
	return &s
}

// Checkers: none beyond linearizability, which checker.Check always runs
// for the register workload.
func (Adapter) Checkers(string, time.Duration) []checker.Checker { return nil }

// Start starts the cluster for a run, as child processes or containers.
func (Adapter) Start(ctx context.Context, env *systems.Env) (systems.Target, error) {
	s := env.Settings.(*Settings)
	switch s.Runtime {
	case RuntimeDocker:
		return startDocker(ctx, env, s)
	case RuntimeCompose:
		return attachCompose(ctx, env, s)
	}
	if env.NodeBinary == "" {
		return nil, fmt.Errorf("%w: no faultline binary to run the nodes with", history.ErrBadConfig)
	}
	c, err := Start(ctx, Config{
		Bugs:    s.Bugs,
		Nodes:   env.Run.Nodes,
		Binary:  env.NodeBinary,
		DataDir: filepath.Join(env.Dir, "data"),
		LogDir:  env.LogDir,
		Net:     env.Net,
		Logger:  env.Logger,
	})
	if err != nil {
		return nil, err
	}
	return NewTarget(c, env.Run.Common, s.RegisterSettings), nil
}

// startDocker starts the cluster as containers with their own Toxiproxy.
func startDocker(ctx context.Context, env *systems.Env, s *Settings) (systems.Target, error) {
	cfg := DefaultDockerConfig()
	cfg.Image, cfg.Nodes, cfg.Bugs, cfg.Logger = s.Image, env.Run.Nodes, s.Bugs, env.Logger
	cfg.Proxied, cfg.DataDir, cfg.LogDir = true, filepath.Join(env.Dir, "data"), env.LogDir
	c, err := StartDocker(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &target{cluster: c, cfg: registerConfig(env.Run.Common, s.RegisterSettings), labels: func() map[string]string {
		labels := map[string]string{"mode": "docker containers", "image": cfg.Image, "network": c.Network(),
			"toxiproxy": "container " + proxyAlias + " on the network, API " + c.ProxyURL()}
		for id, addr := range c.DirectAddrs() {
			labels[id+".client"] = addr
		}
		return labels
	}}, nil
}

// attachCompose runs on the Compose stack's cluster. Its registers outlive
// the run, so every key of this run carries the run's id on the wire.
func attachCompose(ctx context.Context, env *systems.Env, s *Settings) (systems.Target, error) {
	d := DefaultDockerConfig()
	n, err := nemesis.Connect(ctx, s.StackToxiproxy)
	if err != nil {
		return nil, fmt.Errorf("%w: --runtime compose: the stack's Toxiproxy: %w", history.ErrBadConfig, err)
	}
	c, err := AttachCompose(ctx, ComposeConfig{Nodes: env.Run.Nodes, Net: n, RaftPort: d.RaftPort, ClientPort: d.ClientPort,
		LogDir: env.LogDir, Logger: env.Logger})
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return nil, errors.Join(err, n.Close(cctx))
	}
	prefix := filepath.Base(env.Dir) + "/"
	return &target{cluster: c, cfg: registerConfig(env.Run.Common, s.RegisterSettings), prefix: prefix, labels: func() map[string]string {
		labels := map[string]string{"mode": "compose stack", "key_prefix": prefix}
		for id, addr := range c.DirectAddrs() {
			labels[id+".client"] = addr
		}
		return labels
	}}, nil
}

// NewTarget is a started cluster under the register workload: worker i
// bound to node i mod N under the default routing, the final reads through
// the leader. It is what `--system raftkv` runs, and any system whose
// nodes speak the same protocol (systems/hraftkv).
func NewTarget(c *Cluster, common workloads.Common, rs workloads.RegisterSettings) systems.Target {
	return &target{cluster: c, cfg: registerConfig(common, rs), labels: func() map[string]string {
		labels := map[string]string{"mode": "child processes"}
		for id, addr := range c.DirectAddrs() {
			labels[id+".client"] = addr
		}
		return labels
	}}
}

func registerConfig(common workloads.Common, rs workloads.RegisterSettings) workloads.RegisterConfig {
	cfg := workloads.DefaultRegisterConfig()
	cfg.Common, cfg.RegisterSettings = common, rs
	return cfg
}

// cluster is what the target needs of a running cluster, in either
// runtime (Cluster, DockerCluster).
type cluster interface {
	nemesis.Processes
	nemesis.LeaderFinder
	ClientAddrs() map[string]string
	Stop(ctx context.Context) error
}

// target is a started cluster with the register workload's configuration.
type target struct {
	cluster
	cfg    workloads.RegisterConfig
	labels func() map[string]string
	prefix string // before every key on the wire (RegisterClient.Prefix)
	keys   int    // registers the workload used, for the final reads
}

var _ systems.NetTarget = (*target)(nil)

func (t *target) Processes() nemesis.Processes { return t.cluster }

func (t *target) Labels() map[string]string { return t.labels() }

// Net is the cluster's own Toxiproxy (the Docker runtime's container, the
// Compose stack's), or nil.
func (t *target) Net() *nemesis.Net {
	if c, ok := t.cluster.(interface{ Net() *nemesis.Net }); ok {
		return c.Net()
	}
	return nil
}

// newClient is the client of worker i: bound to node i mod N under the
// default routing.
func (t *target) newClient(i int) (*RegisterClient, error) {
	ids := t.Nodes()
	c, err := NewRegisterClient(t.ClientAddrs(), t.cfg.OpTimeout, t.cfg.ClientRouting, ids[i%len(ids)])
	if c != nil {
		c.Prefix = t.prefix
	}
	return c, err
}

func (t *target) Run(ctx context.Context, rec *workloads.Recorder) error {
	clients := make([]workloads.RegisterClient, t.cfg.Concurrency)
	for i := range clients {
		c, err := t.newClient(i)
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

// Final reads every key the workload used once the cluster has recovered.
func (t *target) Final(ctx context.Context, rec *workloads.Recorder) error {
	c, err := NewRegisterClient(t.ClientAddrs(), t.cfg.OpTimeout, workloads.RouteLeader, "")
	if err != nil {
		return err
	}
	c.Prefix = t.prefix
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
