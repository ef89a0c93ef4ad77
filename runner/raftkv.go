package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/nemesis"
	syskv "github.com/faultline/faultline/systems/raftkv"
	"github.com/faultline/faultline/workloads"
)

// raftkvSystem is the reference Raft KV store, run as child processes.
type raftkvSystem struct{}

func (raftkvSystem) Name() string { return "raftkv" }

func (raftkvSystem) Describe() string {
	return "the reference Raft replicated key-value store, as `faultline node` child processes"
}

func (raftkvSystem) Workloads() []string { return []string{"register"} }

func (raftkvSystem) Faults() []string {
	return []string{"partition", "latency", "kill", "pause", "bandwidth", "slow-close", "timeout",
		"reset-peer", "slicer", "limit-data"}
}

func (raftkvSystem) Start(ctx context.Context, env *Env) (Target, error) {
	if env.Config.NodeBinary == "" {
		return nil, fmt.Errorf("%w: no faultline binary to run the nodes with", ErrBadInput)
	}
	c, err := syskv.Start(ctx, syskv.Config{
		Nodes:   env.Config.Nodes,
		Binary:  env.Config.NodeBinary,
		DataDir: filepath.Join(env.Dir, "data"),
		LogDir:  env.LogDir,
		Net:     env.Net,
		Logger:  env.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &raftkvTarget{Cluster: c, cfg: env.Config}, nil
}

type raftkvTarget struct {
	*syskv.Cluster
	cfg  Config
	keys int // registers the workload used, for the final reads
}

func (t *raftkvTarget) Processes() nemesis.Processes { return t.Cluster }

func (t *raftkvTarget) Labels() map[string]string {
	labels := map[string]string{"mode": "child processes"}
	for id, addr := range t.DirectAddrs() {
		labels[id+".client"] = addr
	}
	return labels
}

func (t *raftkvTarget) registerConfig() workloads.RegisterConfig {
	return workloads.RegisterConfig{
		Keys:        t.cfg.Keys,
		OpsPerKey:   t.cfg.OpsPerKey,
		InfoPause:   100 * time.Millisecond,
		Mix:         workloads.Mix{Read: 2, Write: 1, CAS: 1},
		Concurrency: t.cfg.Concurrency,
		Rate:        t.cfg.Rate,
		OpTimeout:   t.cfg.OpTimeout,
		Seed:        t.cfg.Seed,
	}
}

func (t *raftkvTarget) newClient() (*syskv.RegisterClient, error) {
	return syskv.NewRegisterClient(t.ClientAddrs(), t.cfg.OpTimeout)
}

func (t *raftkvTarget) Run(ctx context.Context, rec *workloads.Recorder) error {
	cfg := t.registerConfig()
	clients := make([]workloads.RegisterClient, cfg.Concurrency)
	for i := range clients {
		c, err := t.newClient()
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = c
	}
	keys, err := workloads.RunRegister(ctx, cfg, rec, clients)
	t.keys = keys
	return err
}

func (t *raftkvTarget) Final(ctx context.Context, rec *workloads.Recorder) error {
	cfg := t.registerConfig()
	c, err := t.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	// Process ids above any a worker can have used in the timed phase.
	first := 1 << 20
	unread, err := workloads.FinalReads(ctx, cfg, rec, c, first, max(t.keys, cfg.Keys))
	if err != nil {
		return err
	}
	if len(unread) > 0 {
		return fmt.Errorf("%d keys could not be read after the heal: %v", len(unread), unread)
	}
	return nil
}

// TuneNemesis keeps the default latency below the nodes' election timeout
// (150–300 ms): a one-way delay above it makes the cluster spend the fault
// electing leaders instead of serving, which tests liveness, not safety.
func (raftkvSystem) TuneNemesis(nc *nemesis.Config, _ Config) {
	nc.LatencyMin, nc.LatencyMax, nc.Jitter = 20*time.Millisecond, 100*time.Millisecond, 20*time.Millisecond
}
