package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"golang.org/x/sync/errgroup"
)

// Cluster is a running Raft KV cluster, one container per node.
type Cluster struct {
	cfg     Config
	logger  *slog.Logger
	cli     *testcontainers.DockerClient
	net     *testcontainers.DockerNetwork
	netName string
	nodes   []*node
	byID    map[string]*node
	http    *http.Client

	mu sync.Mutex // guards node.running and node.paused
}

// node is one member of the cluster.
type node struct {
	id         string
	clientAddr string // host:port the client port is published on
	ctr        *testcontainers.DockerContainer
	running    bool
	paused     bool
}

// Start creates the network and one container per node, waits until every
// node answers /status and then until one of them leads. On error it
// removes whatever it created.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := Available(ctx); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	c := &Cluster{cfg: cfg, logger: logger, cli: cli, byID: map[string]*node{}, http: &http.Client{}}
	if err := c.start(ctx); err != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return nil, errors.Join(err, c.Terminate(cleanup))
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	nw, err := tcnetwork.New(ctx)
	if err != nil {
		return fmt.Errorf("creating the cluster's Docker network: %w", err)
	}
	c.net, c.netName = nw, nw.Name
	for i := 1; i <= c.cfg.Nodes; i++ {
		id := "n" + strconv.Itoa(i)
		port, err := freePort(c.cfg.HostIP)
		if err != nil {
			return err
		}
		n := &node{id: id, clientAddr: net.JoinHostPort(c.cfg.HostIP, strconv.Itoa(port))}
		c.nodes = append(c.nodes, n)
		c.byID[id] = n
	}
	// Containers start in parallel: each takes seconds on a busy engine.
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range c.nodes {
		g.Go(func() error { return c.run(gctx, n) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, n := range c.nodes {
		c.setState(n, true, false)
	}
	wctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	leader, err := c.WaitLeader(wctx)
	if err != nil {
		return fmt.Errorf("waiting for the first leader of the cluster in Docker: %w", err)
	}
	c.logger.Info("raftkv cluster up in Docker", "nodes", len(c.nodes), "leader", leader, "network", nw.Name)
	return nil
}

// run creates and starts the container of n and waits until it answers
// /status.
func (c *Cluster) run(ctx context.Context, n *node) error {
	ctr, err := testcontainers.Run(ctx, c.cfg.Image,
		testcontainers.WithLogger(slogPrintf{c.logger.With("node", n.id)}),
		tcnetwork.WithNetwork([]string{n.id}, c.net),
		testcontainers.WithCmd(c.nodeArgs(n.id)...),
		testcontainers.WithExposedPorts(strconv.Itoa(c.cfg.ClientPort)+"/tcp"),
		testcontainers.WithHostConfigModifier(c.publish(n)),
	)
	if ctr != nil {
		n.ctr = ctr // even a failed one, so that Terminate removes it
	}
	if err != nil {
		return fmt.Errorf("starting node %s from image %s (build it with scripts/docker-build.sh): %w", n.id, c.cfg.Image, err)
	}
	return c.waitAnswers(ctx, n)
}

// waitAnswers polls /status of n until it answers or StartTimeout passes.
// It asks the published address itself rather than using a testcontainers
// wait strategy: inside a container (a CI runner, a dev container),
// testcontainers looks for published ports on the bridge gateway, not on
// the HostIP they were published on.
func (c *Cluster) waitAnswers(ctx context.Context, n *node) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := c.Status(ctx, n.id)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s did not answer on %s within %v: %w", n.id, n.clientAddr, c.cfg.StartTimeout, err)
		case <-tick.C:
		}
	}
}

// nodeArgs is the command line of one node: it reaches its peers by their
// names on the cluster's network.
func (c *Cluster) nodeArgs(id string) []string {
	raftPort := strconv.Itoa(c.cfg.RaftPort)
	args := []string{"node",
		"--id", id,
		"--listen", "0.0.0.0:" + raftPort,
		"--client-listen", "0.0.0.0:" + strconv.Itoa(c.cfg.ClientPort),
		"--data", "/data/" + id,
	}
	for _, p := range c.nodes {
		if p.id != id {
			args = append(args, "--peer", p.id+"="+p.id+":"+raftPort)
		}
	}
	return args
}

// publish binds the node's client port to its fixed host address, so that
// the address stays the same when the container is restarted.
func (c *Cluster) publish(n *node) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		host, port, _ := net.SplitHostPort(n.clientAddr)
		p := network.MustParsePort(strconv.Itoa(c.cfg.ClientPort) + "/tcp")
		hc.PortBindings = network.PortMap{p: {{HostIP: netip.MustParseAddr(host), HostPort: port}}}
	}
}

// freePort asks the kernel for a free TCP port on ip. Another process may
// take it before the container binds it; Start then fails with a clear
// error rather than silently using another port.
func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s for a node's client port: %w", ip, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Nodes names the nodes, n1 … nN.
func (c *Cluster) Nodes() []string {
	ids := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		ids[i] = n.id
	}
	return ids
}

// ClientAddrs are the host addresses of the nodes' client ports, by id.
// They stay the same across Kill and Restart.
func (c *Cluster) ClientAddrs() map[string]string {
	out := make(map[string]string, len(c.nodes))
	for _, n := range c.nodes {
		out[n.id] = n.clientAddr
	}
	return out
}

// Network is the name of the Docker network the nodes share.
func (c *Cluster) Network() string { return c.netName }

// Logs returns what node id wrote to stdout and stderr so far.
func (c *Cluster) Logs(ctx context.Context, id string) ([]byte, error) {
	n, err := c.node(id)
	if err != nil {
		return nil, err
	}
	rc, err := n.ctr.Logs(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the logs of node %s: %w", id, err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Terminate removes the containers and the network. It is safe to call on
// a cluster that is partly started or already terminated.
func (c *Cluster) Terminate(ctx context.Context) error {
	var errs []error
	for _, n := range c.nodes {
		if n.ctr != nil {
			if c.isPaused(n) {
				// A frozen container cannot be stopped everywhere.
				errs = append(errs, c.Resume(ctx, n.id))
			}
			if err := n.ctr.Terminate(ctx); err != nil {
				errs = append(errs, fmt.Errorf("removing the container of node %s: %w", n.id, err))
			}
			n.ctr = nil
		}
	}
	if c.net != nil {
		if err := c.net.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("removing network %s: %w", c.net.Name, err))
		}
		c.net = nil
	}
	if c.cli != nil {
		errs = append(errs, c.cli.Close())
		c.cli = nil
	}
	c.http.CloseIdleConnections()
	return errors.Join(errs...)
}

func (c *Cluster) node(id string) (*node, error) {
	n, ok := c.byID[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w %q: the cluster has %v", ErrUnknownNode, id, c.Nodes())
	case n.ctr == nil:
		return nil, fmt.Errorf("node %s: %w", id, ErrTerminated)
	}
	return n, nil
}
