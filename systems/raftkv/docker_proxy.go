package raftkv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	kv "github.com/faultline/faultline/impl/raftkv"
	"github.com/faultline/faultline/nemesis"
)

var _ nemesis.PowerLosser = (*DockerCluster)(nil)

// startProxy runs the Toxiproxy container on the cluster's network, with
// its API and the nodes' client links published on the host, connects a
// Net to it and creates every link, so that the nodes' --peer flags name
// proxies that exist.
func (c *DockerCluster) startProxy(ctx context.Context) error {
	host := make(map[int]string) // container port → host address
	ports := []int{proxyAPIPort}
	for i := range c.nodes {
		ports = append(ports, clientProxyPort(i+1))
	}
	exposed := make([]string, 0, len(ports))
	for _, p := range ports {
		addr, err := freeAddr(c.cfg.HostIP)
		if err != nil {
			return err
		}
		host[p] = addr
		exposed = append(exposed, strconv.Itoa(p)+"/tcp")
	}
	ctr, err := testcontainers.Run(ctx, c.cfg.Image,
		testcontainers.WithLogger(slogPrintf{c.logger.With("node", proxyAlias)}),
		tcnetwork.WithNetwork([]string{proxyAlias}, c.net),
		testcontainers.WithCmd("toxiproxy", "--listen", "0.0.0.0:"+strconv.Itoa(proxyAPIPort)),
		testcontainers.WithExposedPorts(exposed...),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{}
			for p, addr := range host {
				h, port, _ := net.SplitHostPort(addr)
				hc.PortBindings[network.MustParsePort(strconv.Itoa(p)+"/tcp")] = []network.PortBinding{
					{HostIP: netip.MustParseAddr(h), HostPort: port}}
			}
		}),
	)
	if ctr != nil {
		c.proxy = ctr
	}
	if err != nil {
		return fmt.Errorf("starting the Toxiproxy container from image %s (build it with scripts/docker-build.sh): %w", c.cfg.Image, err)
	}
	c.apiAddr = host[proxyAPIPort]
	if c.proxyNet, err = c.connectProxy(ctx); err != nil {
		return err
	}
	if c.peers, err = addFixedLinks(ctx, c.proxyNet, c.Nodes(), c.cfg.RaftPort, c.cfg.ClientPort); err != nil {
		return err
	}
	c.proxyClient = map[string]string{}
	for i, n := range c.nodes {
		c.proxyClient[n.id] = host[clientProxyPort(i+1)]
	}
	return nil
}

// addFixedLinks makes every link of the nodes ids (in order: n1 is the
// first) on a Toxiproxy that shares their network, at the fixed ports the
// nodes' --peer flags name: peerProxyPort for ni→nj, upstream nj:raftPort,
// and clientProxyPort for the clients → ni, upstream ni:clientPort. It
// returns each node's --peer values, dialing the Toxiproxy as proxyAlias.
// The container runtime and the Compose runtime wire the same way.
func addFixedLinks(ctx context.Context, n *nemesis.Net, ids []string, raftPort, clientPort int) (map[string][]string, error) {
	peers := map[string][]string{}
	for i, from := range ids {
		for j, to := range ids {
			if to == from {
				continue
			}
			port := strconv.Itoa(peerProxyPort(i+1, j+1))
			if _, err := n.AddLinkAt(ctx, from, to, "0.0.0.0:"+port, to+":"+strconv.Itoa(raftPort)); err != nil {
				return nil, fmt.Errorf("proxying %s->%s: %w", from, to, err)
			}
			peers[from] = append(peers[from], to+"="+proxyAlias+":"+port)
		}
		port := strconv.Itoa(clientProxyPort(i + 1))
		if _, err := n.AddLinkAt(ctx, ClientLink, from, "0.0.0.0:"+port, from+":"+strconv.Itoa(clientPort)); err != nil {
			return nil, fmt.Errorf("proxying client->%s: %w", from, err)
		}
	}
	return peers, nil
}

// connectProxy waits until the Toxiproxy container's API answers.
func (c *DockerCluster) connectProxy(ctx context.Context) (*nemesis.Net, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := nemesis.Connect(ctx, "http://"+c.apiAddr)
		if err == nil {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the Toxiproxy container's API at %s did not answer within %v: %w", c.apiAddr, c.cfg.StartTimeout, err)
		case <-tick.C:
		}
	}
}

// Net drives the Toxiproxy container of a Proxied cluster; nil otherwise.
func (c *DockerCluster) Net() *nemesis.Net { return c.proxyNet }

// ProxyURL is the URL of the Toxiproxy container's API on the host; empty
// unless Proxied.
func (c *DockerCluster) ProxyURL() string {
	if c.apiAddr == "" {
		return ""
	}
	return "http://" + c.apiAddr
}

// Stop is Terminate: the runner's name for it.
func (c *DockerCluster) Stop(ctx context.Context) error { return c.Terminate(ctx) }

// PowerLoss kills node id's container and then drops from its write-ahead
// log what the node had not fsynced (impl/raftkv.DropUnsynced), on the
// data directory bind-mounted from DataDir; Restart brings it back with
// what is left. Without DataDir the data is out of reach: an error.
func (c *DockerCluster) PowerLoss(ctx context.Context, id string) error {
	if c.cfg.DataDir == "" {
		return fmt.Errorf("power loss of %s: the cluster keeps its data inside the containers (set DataDir)", id)
	}
	if err := c.Kill(ctx, id); err != nil {
		return err
	}
	dropped, err := kv.DropUnsynced(filepath.Join(c.cfg.DataDir, id))
	if err != nil {
		return fmt.Errorf("power loss of %s: %w", id, err)
	}
	c.logger.Info("power loss", "node", id, "unsynced_bytes_dropped", dropped)
	return nil
}

// saveLogs writes what each container wrote (every start of it) to
// LogDir/<id>.log, and the Toxiproxy container's to toxiproxy.log.
func (c *DockerCluster) saveLogs(ctx context.Context) {
	if c.cfg.LogDir == "" {
		return
	}
	save := func(name string, ctr *testcontainers.DockerContainer) error {
		if ctr == nil {
			return nil
		}
		rc, err := ctr.Logs(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		f, err := os.Create(filepath.Join(c.cfg.LogDir, name+".log"))
		if err != nil {
			return err
		}
		_, err = f.ReadFrom(rc)
		return errors.Join(err, f.Close())
	}
	for _, n := range c.nodes {
		if err := save(n.id, n.ctr); err != nil {
			c.logger.Warn("saving a container's log", "node", n.id, "err", err)
		}
	}
	if err := save(proxyAlias, c.proxy); err != nil {
		c.logger.Warn("saving the Toxiproxy container's log", "err", err)
	}
}
