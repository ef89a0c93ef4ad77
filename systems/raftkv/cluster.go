package raftkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems/proc"
)

// ClientLink is the From of the links clients use to reach a node.
const ClientLink = "client"

// Config describes the cluster to start.
type Config struct {
	Nodes   int
	Binary  string // the faultline executable that runs `faultline node`
	DataDir string // one subdirectory per node
	LogDir  string // one <node>.log per node
	Net     *nemesis.Net
	Logger  *slog.Logger
	// Bugs are passed to every node (--bug); none by default.
	Bugs []string
	// Engine is the consensus under the nodes' KV service (`faultline
	// node --engine`): "" or "raft" for impl/raft, "hashicorp" for
	// github.com/hashicorp/raft.
	Engine string
	// StartTimeout bounds the wait for the first leader.
	StartTimeout time.Duration
}

// node is one member of the cluster.
type node struct {
	id         string
	raftAddr   string // where the node listens for peers
	clientAddr string // where it serves clients, /status and /metrics
	proxyAddr  string // the client link's proxy in front of clientAddr
	proc       *proc.Process
}

// Cluster is a running Raft KV cluster of child processes.
type Cluster struct {
	statuses // Status, Leader and WaitLeader
	cfg      Config
	nodes    []*node
	byID     map[string]*node
}

// Start starts the cluster and waits until it has a leader.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	c := &Cluster{cfg: cfg, byID: map[string]*node{}}
	c.statuses = statuses{http: &http.Client{}, timeout: time.Second,
		up: func(id string) bool {
			n, ok := c.byID[id]
			return ok && n.proc.Running() && !n.proc.Paused()
		},
	}
	for i := 1; i <= cfg.Nodes; i++ {
		n := &node{id: fmt.Sprintf("n%d", i)}
		var err error
		if n.raftAddr, err = freeAddr("127.0.0.1"); err != nil {
			return nil, err
		}
		if n.clientAddr, err = freeAddr("127.0.0.1"); err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
		c.byID[n.id] = n
		c.statuses.add(n.id, n.clientAddr)
	}
	if err := c.wire(ctx); err != nil {
		return nil, err
	}
	for _, n := range c.nodes {
		if err := n.proc.Start(); err != nil {
			c.Stop(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if _, err := c.WaitLeader(wctx); err != nil {
		c.Stop(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("the cluster elected no leader within %s (see the node logs in %s): %w", cfg.StartTimeout, cfg.LogDir, err)
	}
	return c, nil
}

// wire puts a proxy on every directed link and prepares each node's
// command line.
func (c *Cluster) wire(ctx context.Context) error {
	for _, n := range c.nodes {
		args := []string{"node", "--id", n.id, "--listen", n.raftAddr, "--client-listen", n.clientAddr,
			"--data", filepath.Join(c.cfg.DataDir, n.id)}
		for _, b := range c.cfg.Bugs {
			args = append(args, "--bug", b)
		}
		if c.cfg.Engine != "" {
			args = append(args, "--engine", c.cfg.Engine)
		}
		for _, peer := range c.nodes {
			if peer == n {
				continue
			}
			addr, err := c.cfg.Net.AddLink(ctx, n.id, peer.id, peer.raftAddr)
			if err != nil {
				return fmt.Errorf("proxying %s->%s: %w", n.id, peer.id, err)
			}
			args = append(args, "--peer", peer.id+"="+addr)
		}
		addr, err := c.cfg.Net.AddLink(ctx, ClientLink, n.id, n.clientAddr)
		if err != nil {
			return fmt.Errorf("proxying client->%s: %w", n.id, err)
		}
		n.proxyAddr = addr
		if err := os.MkdirAll(filepath.Join(c.cfg.DataDir, n.id), 0o755); err != nil {
			return fmt.Errorf("creating the data directory of %s: %w", n.id, err)
		}
		n.proc = &proc.Process{Name: n.id, Path: c.cfg.Binary, Args: args,
			LogPath: filepath.Join(c.cfg.LogDir, n.id+".log")}
	}
	return nil
}

// freeAddr finds a free TCP port on ip and returns ip:port. The port is
// released before the node binds it, so another process could take it in
// between; on a test machine that race is rare, and a node that cannot bind
// says so in its log.
func freeAddr(ip string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return "", fmt.Errorf("finding a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// IDs names the nodes.
func (c *Cluster) IDs() []string {
	ids := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		ids[i] = n.id
	}
	return ids
}

// ClientAddrs are the proxied client addresses of the nodes, by id.
func (c *Cluster) ClientAddrs() map[string]string {
	out := map[string]string{}
	for _, n := range c.nodes {
		out[n.id] = n.proxyAddr
	}
	return out
}

// DirectAddrs are the nodes' client addresses without a proxy.
func (c *Cluster) DirectAddrs() map[string]string {
	out := map[string]string{}
	for _, n := range c.nodes {
		out[n.id] = n.clientAddr
	}
	return out
}

// Stop stops every node: paused ones are resumed first, then all are asked
// to terminate and killed if they do not.
func (c *Cluster) Stop(ctx context.Context) error {
	var errs []error
	for _, n := range c.nodes {
		if n.proc != nil {
			errs = append(errs, n.proc.Stop(ctx))
		}
	}
	return errors.Join(errs...)
}
