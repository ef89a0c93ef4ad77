package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/impl/raftkv"
)

// newNodeCmd runs one node of the reference Raft KV store until SIGTERM or
// SIGINT (exit 0) or a failure such as a corrupt data directory (exit 255).
func newNodeCmd() *cobra.Command {
	cfg := raftkv.DefaultConfig()
	var peers []string
	var verbose bool
	engine := "raft"
	cmd := &cobra.Command{
		Use:   "node --id ID --listen ADDR --client-listen ADDR --peer ID=ADDR... --data DIR",
		Short: "Run one node of the reference Raft key-value store",
		Long: "Node runs one member of the reference Raft KV store: Raft traffic on --listen, the client API\n" +
			"(POST /kv), GET /status and GET /metrics on --client-listen, the write-ahead log and snapshots\n" +
			"in --data. Every other member is named with --peer ID=ADDR, where ADDR is the address this node\n" +
			"dials to reach it (possibly a proxy). It logs to stderr and exits 0 on SIGTERM or SIGINT.",
		Example: "  faultline node --id n1 --listen 127.0.0.1:7001 --client-listen 127.0.0.1:8001 \\\n" +
			"    --peer n2=127.0.0.1:7002 --peer n3=127.0.0.1:7003 --data /tmp/raftkv/n1",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"id", "listen", "client-listen", "data"} {
				if !cmd.Flags().Changed(f) {
					return fmt.Errorf("%w: --%s is required (see faultline node --help)", history.ErrBadConfig, f)
				}
			}
			var err error
			if cfg.Peers, err = parsePeers(peers); err != nil {
				return err
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("%w: %w", history.ErrBadConfig, err)
			}
			switch engine {
			case "raft":
			case "hashicorp":
				hn, err := raftkv.NewHashiNode(cfg)
				if err != nil {
					return fmt.Errorf("starting node %s: %w", cfg.ID, err)
				}
				return hn.Run(cmd.Context())
			default:
				return fmt.Errorf("%w: --engine %q: want raft or hashicorp", history.ErrBadConfig, engine)
			}
			node, err := raftkv.NewNode(cfg)
			if err != nil {
				if errors.Is(err, raftkv.ErrCorrupt) {
					return err
				}
				return fmt.Errorf("starting node %s: %w", cfg.ID, err)
			}
			return node.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.ID, "id", "", "this node's id, e.g. n1")
	f.StringVar(&cfg.RaftAddr, "listen", "", "address for Raft traffic from peers, e.g. 127.0.0.1:7001")
	f.StringVar(&cfg.ClientAddr, "client-listen", "", "address of the client API, /status and /metrics, e.g. 127.0.0.1:8001")
	f.StringArrayVar(&peers, "peer", nil, "another member as ID=ADDR, the address to dial it at (repeat for each peer)")
	f.StringVar(&cfg.DataDir, "data", "", "directory of the write-ahead log and snapshots (created if missing)")
	f.DurationVar(&cfg.TickInterval, "tick", cfg.TickInterval, "duration of one Raft tick")
	f.IntVar(&cfg.ElectionTicks, "election-ticks", cfg.ElectionTicks, "election timeout in ticks (randomized up to twice that)")
	f.IntVar(&cfg.HeartbeatTicks, "heartbeat-ticks", cfg.HeartbeatTicks, "leader heartbeat interval in ticks")
	f.Uint64Var(&cfg.SnapshotEntries, "snapshot-entries", cfg.SnapshotEntries, "applied entries between snapshots")
	f.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "bound of one client request on the node")
	f.Var(bugFlag{&cfg.Bugs}, "bug", "run with a deliberate bug of the catalog, to test a harness (repeatable; see `faultline list`)")
	f.StringVar(&engine, "engine", engine, "the consensus under the same KV service: raft (impl/raft, the reference) or hashicorp (github.com/hashicorp/raft with raft-boltdb, a control)")
	f.BoolVarP(&verbose, "verbose", "v", false, "log debug events too")
	return cmd
}

// parsePeers turns repeated ID=ADDR flags into a map.
func parsePeers(flags []string) (map[string]string, error) {
	peers := make(map[string]string, len(flags))
	for _, p := range flags {
		id, addr, ok := strings.Cut(p, "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("%w: --peer %q: want ID=ADDR, e.g. n2=127.0.0.1:7002", history.ErrBadConfig, p)
		}
		if _, dup := peers[id]; dup {
			return nil, fmt.Errorf("%w: --peer %s given twice", history.ErrBadConfig, id)
		}
		peers[id] = addr
	}
	return peers, nil
}

// bugFlag is a repeatable --bug NAME that accepts only the catalog's names.
type bugFlag struct{ bugs *[]raftkv.Bug }

func (f bugFlag) String() string {
	if f.bugs == nil {
		return ""
	}
	names := make([]string, len(*f.bugs))
	for i, b := range *f.bugs {
		names[i] = string(b)
	}
	return strings.Join(names, ",")
}

func (f bugFlag) Set(s string) error {
	b, err := raftkv.ParseBug(s)
	if err != nil {
		return err
	}
	*f.bugs = append(*f.bugs, b)
	return nil
}

func (bugFlag) Type() string { return "name" }
