package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// peerHost is the host of every member's advertised peer URL. No process
// ever dials it: each member sends its peer traffic through its own
// forward proxy (HTTP_PROXY), which routes by the URL's port to the
// Toxiproxy link from that member to the peer. It is an address of
// TEST-NET-1 (RFC 5737) rather than a loopback one because Go's HTTP
// client never sends loopback requests to a proxy; and should a member
// ever bypass its proxy, it dials an address that goes nowhere, so the
// cluster fails to form and the run says so, instead of running with
// peer links the faults cannot reach.
const peerHost = "192.0.2.1"

// peerProxy is one member's forward HTTP proxy for its peer traffic.
//
// etcd advertises one peer URL to every member, so a Toxiproxy in front of
// each member's peer port would carry the traffic of every other member at
// once and could not cut one direction of one pair. The proxy undoes that:
// a member's requests to peer P (raft streams, pipelined messages,
// snapshots, version probes) go to its own proxy, which forwards them over
// the directed link member→P, so a partition of that link cuts exactly what
// it cuts for the reference Raft KV.
type peerProxy struct {
	from   string
	routes map[string]string // advertised peer host:port → the link from→peer's listen address
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
	logger *slog.Logger

	mu     sync.Mutex
	closed bool
}

// dialTimeout bounds the proxy's connect to a link; headerTimeout bounds
// the wait for a peer's response headers (the raft streams answer at once
// and then stream their bodies, which only the members' own read timeouts
// bound).
const (
	dialTimeout   = time.Second
	headerTimeout = 10 * time.Second
)

// startPeerProxy listens on a free loopback port and serves until close.
func startPeerProxy(from string, routes map[string]string, logger *slog.Logger) (*peerProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("peer proxy of %s: %w", from, err)
	}
	p := &peerProxy{from: from, routes: routes, ln: ln, done: make(chan struct{}), logger: logger}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = p.routes[pr.In.URL.Host]
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			ResponseHeaderTimeout: headerTimeout,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       30 * time.Second,
		},
		FlushInterval: -1, // the raft streams must not wait in a buffer
		// A stream cut by a fault ends mid-body: that is the fault, not
		// news, so it goes to the run's log at debug level, not stderr.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A cut link, a dead peer: the member sees what it would see
			// on a real network, a failed request, and retries.
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := p.routes[r.URL.Host]; !ok || r.URL.Scheme != "http" {
				http.Error(w, fmt.Sprintf("faultline peer proxy of %s: no route to %q", from, r.URL.Host), http.StatusForbidden)
				return
			}
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(p.done)
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("peer proxy stopped", "member", from, "err", err)
		}
	}()
	return p, nil
}

// URL is the proxy's address as HTTP_PROXY spells it.
func (p *peerProxy) URL() string { return "http://" + p.ln.Addr().String() }

// close stops the proxy and every connection through it. It is safe to
// call twice.
func (p *peerProxy) close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.srv.Close()
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	return err
}
