package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems/proc"
)

// ClientLink is the From of the links clients use to reach a member.
const ClientLink = "client"

// ErrNoLeader: no running member names a leader that other members agree on.
var ErrNoLeader = errors.New("no etcd member is leader")

// ErrUnknownNode: a fault named a member the cluster does not have.
var ErrUnknownNode = errors.New("no such etcd member")

// Config describes the cluster to start.
type Config struct {
	Members int
	Binary  string // the etcd executable
	DataDir string // one subdirectory per member
	LogDir  string // one <member>.log per member
	Net     *nemesis.Net
	Logger  *slog.Logger
	// Token makes the cluster's identity unique (--initial-cluster-token).
	Token string
	// StartTimeout bounds the wait for the first leader.
	StartTimeout time.Duration
}

// member is one etcd process and what routes to it.
type member struct {
	id         string
	peerAddr   string // where it listens for peers
	clientAddr string // where it serves clients
	proxyAddr  string // the client link's proxy in front of clientAddr
	peerURL    string // what it advertises to the other members
	proxy      *peerProxy
	proc       *proc.Process
	status     *clientv3.Client // direct to clientAddr, for Leader only
}

// Cluster is a running etcd cluster of child processes, every peer and
// client link behind a proxy of Config.Net.
type Cluster struct {
	cfg     Config
	members []*member
	byID    map[string]*member

	mu      sync.Mutex
	version string
}

// Start starts the cluster and waits until it has a leader. On error it
// has stopped whatever it started.
func Start(ctx context.Context, cfg Config) (_ *Cluster, err error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cluster{cfg: cfg, byID: map[string]*member{}}
	defer func() {
		if err != nil {
			c.Stop(context.WithoutCancel(ctx))
		}
	}()
	for i := 1; i <= cfg.Members; i++ {
		m := &member{id: fmt.Sprintf("n%d", i)}
		if m.peerAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		if m.clientAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		_, port, _ := net.SplitHostPort(m.peerAddr)
		m.peerURL = "http://" + net.JoinHostPort(peerHost, port)
		c.members = append(c.members, m)
		c.byID[m.id] = m
	}
	if err := c.wire(ctx); err != nil {
		return nil, err
	}
	for _, m := range c.members {
		if err := m.proc.Start(); err != nil {
			return nil, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if _, err := c.WaitLeader(wctx); err != nil {
		return nil, fmt.Errorf("the etcd cluster elected no leader within %s (see the member logs in %s): %w", cfg.StartTimeout, cfg.LogDir, err)
	}
	return c, nil
}

// wire puts a proxy on every directed link, starts each member's peer
// proxy and prepares its command line.
func (c *Cluster) wire(ctx context.Context) error {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.id+"="+m.peerURL)
	}
	for _, m := range c.members {
		routes := map[string]string{}
		for _, peer := range c.members {
			if peer == m {
				continue
			}
			addr, err := c.cfg.Net.AddLink(ctx, m.id, peer.id, peer.peerAddr)
			if err != nil {
				return fmt.Errorf("proxying %s->%s: %w", m.id, peer.id, err)
			}
			routes[strings.TrimPrefix(peer.peerURL, "http://")] = addr
		}
		proxy, err := startPeerProxy(m.id, routes, c.cfg.Logger)
		if err != nil {
			return err
		}
		m.proxy = proxy
		if m.proxyAddr, err = c.cfg.Net.AddLink(ctx, ClientLink, m.id, m.clientAddr); err != nil {
			return fmt.Errorf("proxying client->%s: %w", m.id, err)
		}
		dir := filepath.Join(c.cfg.DataDir, m.id)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating the data directory of %s: %w", m.id, err)
		}
		m.proc = &proc.Process{
			Name: m.id,
			Path: c.cfg.Binary,
			Args: []string{
				"--name", m.id,
				"--data-dir", dir,
				"--listen-peer-urls", "http://" + m.peerAddr,
				"--initial-advertise-peer-urls", m.peerURL,
				"--listen-client-urls", "http://" + m.clientAddr,
				"--advertise-client-urls", "http://" + m.clientAddr,
				"--initial-cluster", strings.Join(initial, ","),
				"--initial-cluster-state", "new",
				"--initial-cluster-token", c.cfg.Token,
				"--logger", "zap", "--log-outputs", "stderr",
			},
			// The member's peer requests go through its own proxy; nothing
			// the harness's environment says about proxies may change that.
			Env: []string{"HTTP_PROXY=" + proxy.URL(), "http_proxy=" + proxy.URL(),
				"NO_PROXY=", "no_proxy=", "HTTPS_PROXY=", "https_proxy="},
			LogPath: filepath.Join(c.cfg.LogDir, m.id+".log"),
		}
		m.status, err = clientv3.New(clientv3.Config{
			Endpoints:   []string{"http://" + m.clientAddr},
			DialTimeout: time.Second,
			Logger:      zap.NewNop(),
		})
		if err != nil {
			return fmt.Errorf("status client of %s: %w", m.id, err)
		}
	}
	return nil
}

// freeAddr finds a free TCP port on loopback. The port is released before
// the member binds it; a member that cannot bind says so in its log and the
// cluster then fails to start.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// IDs names the members.
func (c *Cluster) IDs() []string {
	ids := make([]string, len(c.members))
	for i, m := range c.members {
		ids[i] = m.id
	}
	return ids
}

// ClientURLs are the members' proxied client URLs, by member.
func (c *Cluster) ClientURLs() map[string]string {
	out := map[string]string{}
	for _, m := range c.members {
		out[m.id] = "http://" + m.proxyAddr
	}
	return out
}

// DirectURLs are the members' client URLs without a proxy.
func (c *Cluster) DirectURLs() map[string]string {
	out := map[string]string{}
	for _, m := range c.members {
		out[m.id] = "http://" + m.clientAddr
	}
	return out
}

// Version is the etcd server version the members reported, once known.
func (c *Cluster) Version() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// statusTimeout bounds one member's status request.
const statusTimeout = time.Second

// Leader is the member that the running, unpaused members name as leader
// in the highest raft term; a member names itself as soon as it wins an
// election, so a majority is not required: a stale leader in a lower term
// loses to the newer one.
func (c *Cluster) Leader(ctx context.Context) (string, error) {
	names := map[uint64]string{}
	var bestTerm uint64
	var best uint64
	for _, m := range c.members {
		if !m.proc.Running() || m.proc.Paused() {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, statusTimeout)
		st, err := m.status.Status(sctx, "http://"+m.clientAddr)
		cancel()
		if err != nil {
			continue
		}
		names[st.Header.MemberId] = m.id
		c.mu.Lock()
		c.version = st.Version
		c.mu.Unlock()
		if st.Leader != 0 && st.RaftTerm >= bestTerm {
			bestTerm, best = st.RaftTerm, st.Leader
		}
	}
	if name, ok := names[best]; ok && best != 0 {
		return name, nil
	}
	return "", ErrNoLeader
}

// WaitLeader polls Leader until some member leads, or ctx ends.
func (c *Cluster) WaitLeader(ctx context.Context) (string, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if id, err := c.Leader(ctx); err == nil {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop stops every member (paused ones are resumed first), then the peer
// proxies and status clients. It is safe to call twice.
func (c *Cluster) Stop(ctx context.Context) error {
	var errs []error
	for _, m := range c.members {
		if m.proc != nil {
			errs = append(errs, m.proc.Stop(ctx))
		}
	}
	for _, m := range c.members {
		if m.proxy != nil {
			errs = append(errs, m.proxy.close(ctx))
		}
		if m.status != nil {
			_ = m.status.Close()
		}
	}
	return errors.Join(errs...)
}

var (
	_ nemesis.Processes    = (*Cluster)(nil)
	_ nemesis.LeaderFinder = (*Cluster)(nil)
)

func (c *Cluster) member(id string) (*member, error) {
	m, ok := c.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w %q: the cluster has %v", ErrUnknownNode, id, c.IDs())
	}
	return m, nil
}

// Nodes names the members.
func (c *Cluster) Nodes() []string { return c.IDs() }

// Kill kills a member with SIGKILL.
func (c *Cluster) Kill(ctx context.Context, id string) error {
	m, err := c.member(id)
	if err != nil {
		return err
	}
	return m.proc.Kill(ctx)
}

// Restart starts a killed member again from its data directory (etcd
// ignores the initial-cluster flags once the directory holds a member).
func (c *Cluster) Restart(_ context.Context, id string) error {
	m, err := c.member(id)
	if err != nil {
		return err
	}
	if m.proc.Running() {
		return nil
	}
	return m.proc.Start()
}

// Pause stops a member with SIGSTOP.
func (c *Cluster) Pause(_ context.Context, id string) error {
	m, err := c.member(id)
	if err != nil {
		return err
	}
	return m.proc.Pause()
}

// Resume continues a paused member with SIGCONT.
func (c *Cluster) Resume(_ context.Context, id string) error {
	m, err := c.member(id)
	if err != nil {
		return err
	}
	return m.proc.Resume()
}
