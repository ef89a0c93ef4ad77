package raftkv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems/dockerctl"
)

// ComposeConfig describes a cluster that runs already: the services n1 …
// nN of a Compose stack (docker-compose.yml), each a `faultline node` whose
// --peer flags name the stack's Toxiproxy at the container runtime's ports
// (toxiproxy:21000+100i+j for the link from ni to nj).
type ComposeConfig struct {
	Nodes int
	// Net is the stack's Toxiproxy (--stack-toxiproxy): the run makes
	// its links there, and clients dial its host. Stop closes it.
	Net *nemesis.Net
	// Project is the Compose project; empty for the one the harness runs
	// in.
	Project string
	// RaftPort and ClientPort are the nodes' ports on the stack's network.
	RaftPort, ClientPort int
	// LogDir receives <node>.log: what each container wrote during the run.
	LogDir       string
	StartTimeout time.Duration
	Logger       *slog.Logger
}

// ComposeCluster is a running Compose stack's cluster under one run: its
// links are this run's proxies on the stack's Toxiproxy, its node faults
// go to the containers through the Docker API (dockerctl).
type ComposeCluster struct {
	statuses
	cfg     ComposeConfig
	ctl     *dockerctl.Containers
	ids     []string
	clients map[string]string
	since   time.Time
}

var (
	_ nemesis.Processes    = (*ComposeCluster)(nil)
	_ nemesis.LeaderFinder = (*ComposeCluster)(nil)
)

// AttachCompose finds the stack's node containers, makes this run's links
// on its Toxiproxy, and waits for a leader.
func AttachCompose(ctx context.Context, cfg ComposeConfig) (*ComposeCluster, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(cfg.Net.URL())
	if err != nil {
		return nil, fmt.Errorf("the Toxiproxy URL %q: %w", cfg.Net.URL(), err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil, fmt.Errorf("--runtime compose runs beside the stack's nodes, in the stack, and dials its Toxiproxy by name (--stack-toxiproxy http://toxiproxy:8474), not at %s", cfg.Net.URL())
	}
	byNode := map[string]string{}
	c := &ComposeCluster{cfg: cfg, clients: map[string]string{}, since: time.Now()}
	for i := 1; i <= cfg.Nodes; i++ {
		id := "n" + strconv.Itoa(i)
		byNode[id] = id
		c.ids = append(c.ids, id)
	}
	if c.ctl, err = dockerctl.Connect(ctx, byNode, cfg.Project, cfg.Logger); err != nil {
		return nil, err
	}
	c.statuses = statuses{http: &http.Client{}, timeout: time.Second, up: c.ctl.Up}
	// The stack's nodes were started with the --peer values these links
	// listen on.
	if _, err := addFixedLinks(ctx, cfg.Net, c.ids, cfg.RaftPort, cfg.ClientPort); err != nil {
		return nil, errors.Join(fmt.Errorf("on the stack's Toxiproxy: %w", err), c.ctl.Close())
	}
	for i, n := range c.ids {
		c.statuses.add(n, net.JoinHostPort(n, strconv.Itoa(cfg.ClientPort)))
		c.clients[n] = net.JoinHostPort(host, strconv.Itoa(clientProxyPort(i+1)))
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if _, err := c.WaitLeader(wctx); err != nil {
		return nil, errors.Join(fmt.Errorf("the stack's cluster elected no leader within %s once its links were up: %w", cfg.StartTimeout, err), c.ctl.Close())
	}
	return c, nil
}

// Net is the stack's Toxiproxy, with this run's links.
func (c *ComposeCluster) Net() *nemesis.Net { return c.cfg.Net }

// Nodes names the nodes.
func (c *ComposeCluster) Nodes() []string { return append([]string(nil), c.ids...) }

// ClientAddrs are the client links on the stack's Toxiproxy, by node.
func (c *ComposeCluster) ClientAddrs() map[string]string { return maps.Clone(c.clients) }

// DirectAddrs are the nodes' client ports on the stack's network.
func (c *ComposeCluster) DirectAddrs() map[string]string { return maps.Clone(c.addrs) }

// Kill is `docker kill` of the node's container.
func (c *ComposeCluster) Kill(ctx context.Context, id string) error { return c.ctl.Kill(ctx, id) }

// Restart starts the node's container again and waits until it answers.
func (c *ComposeCluster) Restart(ctx context.Context, id string) error {
	if c.ctl.Up(id) {
		return nil
	}
	if err := c.ctl.Restart(ctx, id); err != nil {
		return err
	}
	return c.waitAnswers(ctx, id, c.cfg.StartTimeout)
}

// Pause freezes the node's container.
func (c *ComposeCluster) Pause(ctx context.Context, id string) error { return c.ctl.Pause(ctx, id) }

// Resume thaws it.
func (c *ComposeCluster) Resume(ctx context.Context, id string) error { return c.ctl.Resume(ctx, id) }

// Stop leaves the stack running: it resumes and restarts what the run
// left down (the heal did already, unless it failed), keeps each
// container's log of the run in LogDir, and removes the run's links from
// the stack's Toxiproxy.
func (c *ComposeCluster) Stop(ctx context.Context) error {
	errs := []error{c.ctl.Heal(ctx)}
	if c.cfg.LogDir != "" {
		for _, id := range c.ids {
			f, err := os.Create(filepath.Join(c.cfg.LogDir, id+".log"))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, c.ctl.WriteLogs(ctx, id, c.since, f), f.Close())
		}
	}
	errs = append(errs, c.cfg.Net.Close(ctx), c.ctl.Close())
	c.statuses.http.CloseIdleConnections()
	return errors.Join(errs...)
}
