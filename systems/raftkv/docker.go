package raftkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"golang.org/x/sync/errgroup"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems/dockerctl"
)

// DockerConfig describes the cluster to start. Start from DefaultDockerConfig.
type DockerConfig struct {
	// Image is an image built from the repository's Dockerfile: its
	// entrypoint is the faultline binary.
	Image string
	// Nodes is the number of nodes, named n1 … nN.
	Nodes int
	// RaftPort and ClientPort are the ports each node listens on inside its
	// container, for its peers and for clients. Only ClientPort is
	// published on the host.
	RaftPort   int
	ClientPort int
	// HostIP is the host address the client ports are published on.
	HostIP string
	// StartTimeout bounds the wait for one container to answer /status,
	// and then the wait for the cluster's first leader.
	StartTimeout time.Duration
	// RequestTimeout bounds one /status request.
	RequestTimeout time.Duration
	// Logger receives the cluster's and testcontainers' events; nil
	// discards them.
	Logger *slog.Logger

	// Proxied starts a Toxiproxy container (the same image, `faultline
	// toxiproxy`) on the cluster's network and sends every link through
	// it, node → node and client → node, as the process runtime does:
	// Net then drives it. Without it the nodes dial each other directly.
	Proxied bool
	// DataDir, if set, is a host directory holding one subdirectory per
	// node, bind-mounted as the node's data directory: the run directory
	// keeps the data, and PowerLoss can drop what a node had not fsynced.
	// Empty keeps each node's data inside its container.
	DataDir string
	// LogDir, if set, receives <node>.log (and toxiproxy.log) with what
	// each container wrote, when the cluster is terminated.
	LogDir string
	// Bugs are passed to every node (--bug); none by default.
	Bugs []string
}

// The ports of the Toxiproxy container: its API, the client link to node i
// (1-based) and the link from node i to node j. Fixed, so that each node's
// --peer flags can name them before the proxies exist.
const (
	proxyAPIPort = 8474
	proxyAlias   = "toxiproxy"
)

func clientProxyPort(i int) int  { return 20000 + i }
func peerProxyPort(i, j int) int { return 21000 + 100*i + j }

// DefaultDockerConfig is a three-node cluster of faultline:local, published on
// loopback.
func DefaultDockerConfig() DockerConfig {
	return DockerConfig{
		Image:          "faultline:local",
		Nodes:          3,
		RaftPort:       7000,
		ClientPort:     8000,
		HostIP:         "127.0.0.1",
		StartTimeout:   30 * time.Second,
		RequestTimeout: time.Second,
	}
}

// Validate reports the first problem with c, wrapping history.ErrBadConfig.
func (c *DockerConfig) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", history.ErrBadConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Image == "":
		return fail("Image must name an image built from the Dockerfile (scripts/docker-build.sh builds faultline:local)")
	case c.Nodes < 1:
		return fail("Nodes must be at least 1, got %d", c.Nodes)
	case c.RaftPort < 1 || c.RaftPort > 65535 || c.ClientPort < 1 || c.ClientPort > 65535:
		return fail("RaftPort and ClientPort must be ports (1-65535), got %d and %d", c.RaftPort, c.ClientPort)
	case c.RaftPort == c.ClientPort:
		return fail("RaftPort and ClientPort must differ, both are %d", c.RaftPort)
	case c.Proxied && c.Nodes > 99:
		return fail("a proxied cluster has at most 99 nodes, got %d", c.Nodes)
	case c.StartTimeout <= 0 || c.RequestTimeout <= 0:
		return fail("StartTimeout and RequestTimeout must be > 0, got %v and %v", c.StartTimeout, c.RequestTimeout)
	}
	if _, err := netip.ParseAddr(c.HostIP); err != nil {
		return fail("HostIP must be an IP address such as 127.0.0.1: %v", err)
	}
	return nil
}

// Available reports whether a Docker engine answers: nil, or ErrNoDocker
// with the reason. testcontainers panics when it cannot even find where an
// engine would be; that is turned into ErrNoDocker too.
func DockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	return nil
}

// slogPrintf hands testcontainers' Printf-style log lines to a slog.Logger
// at debug level: they narrate progress (creating, starting, waiting).
type slogPrintf struct{ l *slog.Logger }

var _ tclog.Logger = slogPrintf{}

func (s slogPrintf) Printf(format string, args ...any) {
	s.l.Debug(fmt.Sprintf(format, args...), "source", "testcontainers")
}

// DockerCluster is a running Raft KV cluster, one container per node (see
// the package documentation).
type DockerCluster struct {
	statuses // Status, Leader and WaitLeader
	cfg      DockerConfig
	logger   *slog.Logger
	cli      *testcontainers.DockerClient
	net      *testcontainers.DockerNetwork
	netName  string
	nodes    []*dockerNode
	byID     map[string]*dockerNode

	// With Proxied: the Toxiproxy container, the Net on it, and the host
	// addresses its client links are published on, by node.
	proxy       *testcontainers.DockerContainer
	proxyNet    *nemesis.Net
	apiAddr     string
	proxyClient map[string]string
	peers       map[string][]string // --peer values of each node

	// ctl drives the node faults once every container has started.
	ctl *dockerctl.Containers
}

// dockerNode is one member of the cluster.
type dockerNode struct {
	id         string
	clientAddr string // host:port the client port is published on
	ctr        *testcontainers.DockerContainer
}

// StartDocker creates the network and one container per node, waits until every
// node answers /status and then until one of them leads. On error it
// removes whatever it created.
func StartDocker(ctx context.Context, cfg DockerConfig) (*DockerCluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// testcontainers writes what its provider does (the engine it found)
	// through its package-wide logger, straight to stderr unless told
	// otherwise: send it to the cluster's logger, at debug level, too.
	tclog.SetDefault(slogPrintf{logger})
	if err := DockerAvailable(ctx); err != nil {
		return nil, err
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	c := &DockerCluster{cfg: cfg, logger: logger, cli: cli, byID: map[string]*dockerNode{}}
	c.statuses = statuses{http: &http.Client{}, timeout: cfg.RequestTimeout,
		up: func(id string) bool { return c.ctl != nil && c.ctl.Up(id) },
	}
	if err := c.start(ctx); err != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return nil, errors.Join(err, c.Terminate(cleanup))
	}
	return c, nil
}

func (c *DockerCluster) start(ctx context.Context) error {
	nw, err := tcnetwork.New(ctx)
	if err != nil {
		return fmt.Errorf("creating the cluster's Docker network: %w", err)
	}
	c.net, c.netName = nw, nw.Name
	for i := 1; i <= c.cfg.Nodes; i++ {
		id := "n" + strconv.Itoa(i)
		// Another process may take the port before the container binds
		// it; Start then fails with a clear error rather than silently
		// using another port.
		addr, err := freeAddr(c.cfg.HostIP)
		if err != nil {
			return err
		}
		if c.cfg.DataDir != "" {
			if err := os.MkdirAll(filepath.Join(c.cfg.DataDir, id), 0o755); err != nil {
				return fmt.Errorf("creating the data directory of %s: %w", id, err)
			}
		}
		n := &dockerNode{id: id, clientAddr: addr}
		c.nodes = append(c.nodes, n)
		c.byID[id] = n
		c.statuses.add(id, addr)
	}
	if c.cfg.Proxied {
		if err := c.startProxy(ctx); err != nil {
			return err
		}
	}
	// Containers start in parallel: each takes seconds on a busy engine.
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range c.nodes {
		g.Go(func() error { return c.run(gctx, n) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	ids := make(map[string]string, len(c.nodes))
	for _, n := range c.nodes {
		ids[n.id] = n.ctr.GetContainerID()
	}
	c.ctl = dockerctl.New(c.cli, ids)
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
func (c *DockerCluster) run(ctx context.Context, n *dockerNode) error {
	publish := c.publish(n)
	bind := c.bindData(n.id)
	ctr, err := testcontainers.Run(ctx, c.cfg.Image,
		testcontainers.WithLogger(slogPrintf{c.logger.With("node", n.id)}),
		tcnetwork.WithNetwork([]string{n.id}, c.net),
		testcontainers.WithCmd(c.nodeArgs(n.id)...),
		testcontainers.WithExposedPorts(strconv.Itoa(c.cfg.ClientPort)+"/tcp"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			publish(hc)
			bind(hc)
		}),
	)
	if ctr != nil {
		n.ctr = ctr // even a failed one, so that Terminate removes it
	}
	if err != nil {
		return fmt.Errorf("starting node %s from image %s (build it with scripts/docker-build.sh): %w", n.id, c.cfg.Image, err)
	}
	// Poll the published address rather than use a testcontainers wait
	// strategy: inside a container (a CI runner, a dev container),
	// testcontainers looks for published ports on the bridge gateway, not
	// on the HostIP they were published on.
	return c.waitAnswers(ctx, n.id, c.cfg.StartTimeout)
}

// nodeArgs is the command line of one node: it reaches its peers by their
// names on the cluster's network.
func (c *DockerCluster) nodeArgs(id string) []string {
	raftPort := strconv.Itoa(c.cfg.RaftPort)
	args := []string{"node",
		"--id", id,
		"--listen", "0.0.0.0:" + raftPort,
		"--client-listen", "0.0.0.0:" + strconv.Itoa(c.cfg.ClientPort),
		"--data", "/data/" + id,
	}
	for _, b := range c.cfg.Bugs {
		args = append(args, "--bug", b)
	}
	if c.cfg.Proxied {
		for _, p := range c.peers[id] {
			args = append(args, "--peer", p)
		}
		return args
	}
	for _, p := range c.nodes {
		if p.id != id {
			args = append(args, "--peer", p.id+"="+p.id+":"+raftPort)
		}
	}
	return args
}

// bindData mounts the node's data directory from the host, if DataDir is
// set.
func (c *DockerCluster) bindData(id string) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		if c.cfg.DataDir != "" {
			dir, err := filepath.Abs(filepath.Join(c.cfg.DataDir, id))
			if err != nil {
				dir = filepath.Join(c.cfg.DataDir, id)
			}
			hc.Binds = append(hc.Binds, dir+":/data/"+id)
		}
	}
}

// publish binds the node's client port to its fixed host address, so that
// the address stays the same when the container is restarted.
func (c *DockerCluster) publish(n *dockerNode) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		host, port, _ := net.SplitHostPort(n.clientAddr)
		p := network.MustParsePort(strconv.Itoa(c.cfg.ClientPort) + "/tcp")
		hc.PortBindings = network.PortMap{p: {{HostIP: netip.MustParseAddr(host), HostPort: port}}}
	}
}

// Nodes names the nodes, n1 … nN.
func (c *DockerCluster) Nodes() []string {
	ids := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		ids[i] = n.id
	}
	return ids
}

// ClientAddrs are the host addresses clients dial to reach the nodes, by
// id: the client links of the Toxiproxy container when Proxied, else the
// nodes' own published client ports. They stay the same across Kill and
// Restart.
func (c *DockerCluster) ClientAddrs() map[string]string {
	if c.cfg.Proxied {
		return maps.Clone(c.proxyClient)
	}
	return c.DirectAddrs()
}

// DirectAddrs are the host addresses of the nodes' own client ports, by
// id, never through a proxy (where /status is asked).
func (c *DockerCluster) DirectAddrs() map[string]string {
	out := make(map[string]string, len(c.nodes))
	for _, n := range c.nodes {
		out[n.id] = n.clientAddr
	}
	return out
}

// Network is the name of the Docker network the nodes share.
func (c *DockerCluster) Network() string { return c.netName }

// Logs returns what node id wrote to stdout and stderr so far.
func (c *DockerCluster) Logs(ctx context.Context, id string) ([]byte, error) {
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
func (c *DockerCluster) Terminate(ctx context.Context) error {
	var errs []error
	c.saveLogs(ctx)
	if c.proxy != nil {
		if err := c.proxy.Terminate(ctx); err != nil {
			errs = append(errs, fmt.Errorf("removing the Toxiproxy container: %w", err))
		}
		c.proxy = nil
	}
	for _, n := range c.nodes {
		if n.ctr != nil {
			if c.ctl != nil {
				// A frozen container cannot be stopped everywhere.
				errs = append(errs, c.ctl.Resume(ctx, n.id))
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
	c.statuses.http.CloseIdleConnections()
	return errors.Join(errs...)
}

func (c *DockerCluster) node(id string) (*dockerNode, error) {
	n, ok := c.byID[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w %q: the cluster has %v", ErrUnknownNode, id, c.Nodes())
	case n.ctr == nil:
		return nil, fmt.Errorf("node %s: %w", id, ErrTerminated)
	}
	return n, nil
}
