package raftkv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync"
	"time"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Nodes maps node ids to the client addresses to reach them
	// (host:port), which may be proxies.
	Nodes map[string]string
	// Timeout bounds a call whose context has no deadline.
	Timeout time.Duration
	// DialTimeout bounds connecting to one node.
	DialTimeout time.Duration
	// RoundBackoff is the pause after every node was tried without finding
	// a leader (an election is probably under way).
	RoundBackoff time.Duration
	// Routing says which node a call goes to first: the last known leader
	// (RouteLeader, the default), Home (RouteBound: a client bound to one
	// node, as Jepsen binds its clients), or any node at random
	// (RouteRandom). A "not leader" answer is followed to the leader in
	// every mode.
	Routing Routing
	// Home is the node of a bound client.
	Home string
	// SessionID identifies the client's session for exactly-once writes;
	// 0 picks a random one.
	SessionID uint64
}

// DefaultClientConfig returns the defaults; Nodes is left to the caller.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{Routing: RouteLeader, Timeout: 5 * time.Second, DialTimeout: time.Second, RoundBackoff: 20 * time.Millisecond}
}

// Validate reports the first problem with c, wrapping ErrInvalidConfig.
func (c ClientConfig) Validate() error {
	switch {
	case len(c.Nodes) == 0:
		return fmt.Errorf("%w: the client needs at least one node address", ErrInvalidConfig)
	case c.Timeout <= 0 || c.DialTimeout <= 0:
		return fmt.Errorf("%w: Timeout and DialTimeout must be > 0", ErrInvalidConfig)
	case c.RoundBackoff < 0:
		return fmt.Errorf("%w: RoundBackoff must be >= 0", ErrInvalidConfig)
	}
	switch c.Routing {
	case "", RouteLeader, RouteRandom:
	case RouteBound:
		if _, ok := c.Nodes[c.Home]; !ok {
			return fmt.Errorf("%w: a bound client's Home %q is not one of its nodes", ErrInvalidConfig, c.Home)
		}
	default:
		return fmt.Errorf("%w: unknown Routing %q (want %s, %s or %s)", ErrInvalidConfig, c.Routing, RouteBound, RouteLeader, RouteRandom)
	}
	for id, addr := range c.Nodes {
		if id == "" || addr == "" {
			return fmt.Errorf("%w: node %q=%q: both id and address are required", ErrInvalidConfig, id, addr)
		}
	}
	return nil
}

// Routing is how a client picks the node a call goes to first.
type Routing string

// The routings.
const (
	RouteLeader Routing = "leader"
	RouteBound  Routing = "bound"
	RouteRandom Routing = "random"
)

// maxPending bounds the indeterminate requests a client keeps retryable;
// beyond it the oldest is acknowledged (its retry then fails as expired).
const maxPending = 128

// Client talks to a Raft KV cluster. It finds the leader (following the
// hints of "not leader" answers, else trying the nodes in turn) and makes
// each call one attempt at application: it redirects only while no node
// has accepted the request, and never resends a request whose fate is
// unknown. Errors are classified as documented on ErrMismatch and its
// siblings. A Client is safe for concurrent use; it keeps connections
// alive between calls.
type Client struct {
	cfg  ClientConfig
	ids  []string // sorted node ids
	http *http.Client

	mu       sync.Mutex
	leader   string
	lastNode string
	nextSeq  uint64
	pending  map[uint64]struct{} // seqs still retryable
}

// NewClient returns a client for the nodes in cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SessionID == 0 {
		cfg.SessionID = rand.Uint64()>>1 | 1
	}
	ids := make([]string, 0, len(cfg.Nodes))
	for id := range cfg.Nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &Client{cfg: cfg, ids: ids, http: &http.Client{Transport: tr}, pending: map[uint64]struct{}{}}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// LastNode returns the node that answered (or was last tried by) the most
// recent call; with concurrent calls, use the Result of Do instead.
func (c *Client) LastNode() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastNode
}

// Read returns the value of key; found is false when the key is absent.
func (c *Client) Read(ctx context.Context, key string) (value int64, found bool, err error) {
	res, err := c.Do(ctx, Request{Op: OpRead, Key: key})
	return res.Value, res.Found, err
}

// Write sets key to value.
func (c *Client) Write(ctx context.Context, key string, value int64) error {
	_, err := c.Do(ctx, c.NewRequest(OpWrite, key, value, 0))
	return err
}

// CAS sets key to newValue if it holds old; ErrMismatch when it does not
// (or the key is absent).
func (c *Client) CAS(ctx context.Context, key string, old, newValue int64) error {
	_, err := c.Do(ctx, c.NewRequest(OpCAS, key, newValue, old))
	return err
}

// NewRequest returns a write or cas with the next sequence number of the
// client's session. Passing the same Request to Do again after an
// ErrIndeterminate is an explicit retry: it is applied at most once and
// answers the first result.
func (c *Client) NewRequest(op Op, key string, value, expect int64) Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextSeq++
	c.pending[c.nextSeq] = struct{}{}
	if len(c.pending) > maxPending {
		delete(c.pending, slices.Min(slices.Collect(maps.Keys(c.pending))))
	}
	return Request{Op: op, Key: key, Value: value, Expect: expect, Client: c.cfg.SessionID, Seq: c.nextSeq}
}

// Do executes req: one attempt at application, with redirects to the
// leader while no node has accepted it. Writes and cas should come from
// NewRequest (a zero Client field means no exactly-once session).
func (c *Client) Do(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: bad request: %v", ErrUnavailable, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	if req.Client != 0 {
		req.Ack = c.ack()
	}
	res, err := c.attempt(ctx, req)
	if req.Client != 0 && (err == nil || IsDefinite(err)) {
		c.mu.Lock()
		delete(c.pending, req.Seq)
		c.mu.Unlock()
	}
	return res, err
}

// ack is the lowest seq the client may still retry.
func (c *Client) ack() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return c.nextSeq + 1
	}
	return slices.Min(slices.Collect(maps.Keys(c.pending)))
}

// attempt sends req to the leader, or node after node, until one accepts
// or refuses it with an answer that ends the call.
func (c *Client) attempt(ctx context.Context, req Request) (Result, error) {
	c.mu.Lock()
	target := c.leader
	switch c.cfg.Routing {
	case RouteBound:
		target = c.cfg.Home
	case RouteRandom:
		target = c.ids[rand.IntN(len(c.ids))]
	}
	c.mu.Unlock()
	if target == "" {
		target = c.ids[0]
	}
	var lastErr error
	tried := 0
	for {
		res, hint, err := c.send(ctx, target, req)
		c.mu.Lock()
		c.lastNode = target
		switch {
		case err == nil || errors.Is(err, ErrMismatch):
			c.leader = target
		case !IsDefinite(err) && c.leader == target:
			// No answer after sending: the node is probably down (a proxy
			// in front of a dead node accepts and then hangs up) or stopped
			// (a paused process never answers). Start the next call
			// elsewhere — a live node redirects it to the leader — so one
			// crash costs one indeterminate call, not one per call.
			c.leader = c.ids[(slices.Index(c.ids, target)+1)%len(c.ids)]
		}
		c.mu.Unlock()
		if err == nil || !IsDefinite(err) || errors.Is(err, ErrMismatch) {
			return res, err
		}
		lastErr = err
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("deadline reached before any node accepted the request: %w", lastErr)
		}
		tried++
		if _, known := c.cfg.Nodes[hint]; known && hint != target && tried < 2*len(c.ids) {
			target = hint
			continue
		}
		target = c.ids[(slices.Index(c.ids, target)+1)%len(c.ids)]
		if tried%len(c.ids) == 0 && !sleepCtx(ctx, c.cfg.RoundBackoff) {
			return Result{}, fmt.Errorf("deadline reached before any node accepted the request: %w", lastErr)
		}
	}
}

// send makes one HTTP exchange with node id. It returns the leader hint
// of a "not leader" answer.
func (c *Client) send(ctx context.Context, id string, req Request) (Result, string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Result{}, "", fmt.Errorf("%w: encoding request: %v", ErrUnavailable, err)
	}
	var w writeTracker
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, w.trace()), http.MethodPost,
		"http://"+c.cfg.Nodes[id]+"/kv", bytes.NewReader(body))
	if err != nil {
		return Result{}, "", fmt.Errorf("%w: building request for node %s: %v", ErrUnavailable, id, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if dl, ok := ctx.Deadline(); ok {
		// Leave the node a little less time than we have, so that it can
		// answer "indeterminate" itself.
		if ms := time.Until(dl).Milliseconds() * 9 / 10; ms > 0 {
			hreq.Header.Set(timeoutHeader, strconv.FormatInt(ms, 10))
		}
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		if w.certainlyNotSent() {
			return Result{}, "", fmt.Errorf("%w: node %s (%s) not reached before sending: %v", ErrUnavailable, id, c.cfg.Nodes[id], err)
		}
		return Result{}, "", fmt.Errorf("%w: node %s: request sent, no answer: %w", ErrIndeterminate, id, err)
	}
	defer resp.Body.Close()
	var r response
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &r)
	}
	if err != nil {
		return Result{}, "", fmt.Errorf("%w: node %s: unreadable answer (HTTP %d): %v", ErrIndeterminate, id, resp.StatusCode, err)
	}
	return classify(id, resp.StatusCode, r)
}

// classify maps a protocol answer to the client's errors.
func classify(id string, status int, r response) (Result, string, error) {
	switch {
	case status == http.StatusOK && r.Error == "":
		return Result{Node: id, Value: r.Value, Found: r.Found}, "", nil
	case r.Error == codeMismatch:
		return Result{Node: id}, "", ErrMismatch
	case r.Error == codeNotLeader:
		return Result{Node: id}, r.Leader, &NotLeaderError{Node: id, Leader: r.Leader}
	case r.Error == codeExpired:
		return Result{Node: id}, "", fmt.Errorf("%w: node %s: %w", ErrIndeterminate, id, ErrSessionExpired)
	case r.Error == codeUnavailable || r.Error == codeBadRequest:
		return Result{Node: id}, "", fmt.Errorf("%w: node %s: %s", ErrUnavailable, id, r.Message)
	}
	return Result{Node: id}, "", fmt.Errorf("%w: node %s (HTTP %d): %s", ErrIndeterminate, id, status, r.Message)
}

// writeTracker follows an HTTP exchange far enough to tell whether the
// request can have reached the node: not when no connection was obtained,
// nor when writing it failed (a node never acts on an incomplete request).
// A write that was under way or done when the call failed may have.
type writeTracker struct {
	mu      sync.Mutex
	gotConn bool
	state   int // 0: writing or not started, 1: written, 2: write failed
}

func (w *writeTracker) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			w.mu.Lock()
			w.gotConn, w.state = true, 0
			w.mu.Unlock()
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			w.mu.Lock()
			w.state = 1
			if i.Err != nil {
				w.state = 2
			}
			w.mu.Unlock()
		},
	}
}

func (w *writeTracker) certainlyNotSent() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.gotConn || w.state == 2
}
