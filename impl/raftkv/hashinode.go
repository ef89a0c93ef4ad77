package raftkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// HashiNode is the same key-value service on github.com/hashicorp/raft
// with raft-boltdb (which fsyncs every batch of log entries): the same
// commands, state machine and client protocol as Node, so that the same
// client and the same harness drive both. Nobody here wrote its
// consensus: it is the control a harness runs beside the reference
// implementation, and the peer its benchmarks compare against.
//
// Reads are linearizable the way hashicorp/raft users make them: once per
// term the leader applies a barrier (so that it has applied everything an
// earlier leader committed), then each read asks VerifyLeader (a quorum
// round) and waits until the state machine has applied what was committed
// when the read arrived. Writes and cas go through Apply. Peers are dialed
// at Config.Peers (possibly one proxy per directed link) through the
// transport's ServerAddressProvider. Config.Bugs are not supported.
type HashiNode struct {
	cfg    Config
	logger *slog.Logger
	fsm    *hashiFSM
	raft   *raft.Raft
	store  *raftboltdb.BoltStore
	trans  *raft.NetworkTransport
	srv    *http.Server

	mu        sync.Mutex
	readyTerm uint64 // the term whose barrier has been applied
	stopOnce  sync.Once
	stopErr   error
}

// NewHashiNode opens the node's store in cfg.DataDir, bootstraps the
// cluster of cfg.ID and cfg.Peers if the store is new, and starts Raft. It
// serves clients once Run is called.
func NewHashiNode(cfg Config) (*HashiNode, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Bugs) > 0 {
		return nil, fmt.Errorf("%w: the hashicorp/raft node has no bug catalog, got %v", ErrInvalidConfig, cfg.Bugs)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("node", cfg.ID, "engine", "hashicorp/raft")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	n := &HashiNode{cfg: cfg, logger: logger, fsm: &hashiFSM{kv: newKVState()}}
	ok := false
	defer func() {
		if !ok {
			n.close()
		}
	}()
	var err error
	if n.store, err = raftboltdb.NewBoltStore(filepath.Join(cfg.DataDir, "raft.db")); err != nil {
		return nil, fmt.Errorf("opening the bolt store: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStore(cfg.DataDir, 2, io.Discard)
	if err != nil {
		return nil, fmt.Errorf("opening the snapshot store: %w", err)
	}
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Output: slogWriter{logger}, Level: hclog.Info})
	if n.trans, err = raft.NewTCPTransportWithConfig(cfg.RaftAddr, nil, &raft.NetworkTransportConfig{
		ServerAddressProvider: addrsOf(cfg),
		MaxPool:               4,
		Timeout:               2 * time.Second,
		Logger:                hlog,
	}); err != nil {
		return nil, fmt.Errorf("listening for peers on %s: %w", cfg.RaftAddr, err)
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.Logger = hlog
	// Faster than the defaults (1 s), as the reference node's 150 ms
	// election timeout is, but not so fast that a loaded 2-core machine
	// loses its leader for nothing.
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = 500*time.Millisecond, 500*time.Millisecond, 250*time.Millisecond
	rc.SnapshotThreshold = max(cfg.SnapshotEntries, 1024)
	servers := []raft.Server{{ID: rc.LocalID, Address: raft.ServerAddress(cfg.ID)}}
	for id := range cfg.Peers {
		// The address is never dialed: peerAddrs resolves every id.
		servers = append(servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(id)})
	}
	err = raft.BootstrapCluster(rc, n.store, n.store, snaps, n.trans, raft.Configuration{Servers: servers})
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return nil, fmt.Errorf("bootstrapping the cluster: %w", err)
	}
	if n.raft, err = raft.NewRaft(rc, n.fsm, n.store, n.store, snaps, n.trans); err != nil {
		return nil, fmt.Errorf("starting hashicorp/raft: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /kv", n.handleKV)
	mux.HandleFunc("GET /status", n.handleStatus)
	n.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: cfg.RequestTimeout + 5*time.Second, IdleTimeout: 2 * time.Minute}
	ok = true
	logger.Info("node started", "raft", cfg.RaftAddr, "client", cfg.ClientAddr, "peers", cfg.Peers)
	return n, nil
}

// Run serves clients on cfg.ClientAddr until ctx ends, then stops.
func (n *HashiNode) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", n.cfg.ClientAddr)
		if err != nil {
			errc <- fmt.Errorf("listening for clients on %s: %w", n.cfg.ClientAddr, err)
			return
		}
		if err := n.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	select {
	case <-ctx.Done():
		return n.Stop()
	case err := <-errc:
		return errors.Join(err, n.Stop())
	}
}

// Stop shuts down the client server, Raft, the transport and the store.
func (n *HashiNode) Stop() error {
	n.stopOnce.Do(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		if n.srv != nil {
			errs = append(errs, n.srv.Shutdown(sctx))
		}
		errs = append(errs, n.close())
		n.stopErr = errors.Join(errs...)
	})
	return n.stopErr
}

func (n *HashiNode) close() error {
	var errs []error
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	if n.trans != nil {
		errs = append(errs, n.trans.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	return errors.Join(errs...)
}

// Do executes req, with the errors Node.Do documents.
func (n *HashiNode) Do(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: bad request: %v", ErrUnavailable, err)
	}
	res := Result{Node: n.cfg.ID}
	if n.raft.State() != raft.Leader {
		_, lead := n.raft.LeaderWithID()
		return res, &NotLeaderError{Node: n.cfg.ID, Leader: string(lead)}
	}
	if req.Op == OpRead {
		v, found, err := n.read(ctx, req.Key)
		res.Value, res.Found = v, found
		return res, err
	}
	timeout := time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	f := n.raft.Apply(encodeCommand(command{Request: req}), timeout)
	if err := wait(ctx, f); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader):
			_, lead := n.raft.LeaderWithID()
			return res, &NotLeaderError{Node: n.cfg.ID, Leader: string(lead)}
		case errors.Is(err, raft.ErrEnqueueTimeout):
			return res, fmt.Errorf("%w: not enqueued in time: %w", ErrUnavailable, err)
		}
		return res, fmt.Errorf("%w: %w", ErrIndeterminate, err)
	}
	switch r := f.Response().(type) {
	case applyCode:
		return res, outcomeOf(r).err
	case error:
		return res, fmt.Errorf("%w: applying the entry: %w", ErrCorrupt, r)
	}
	return res, fmt.Errorf("%w: the state machine gave no result", ErrIndeterminate)
}

// read confirms leadership and serves key from the applied state.
func (n *HashiNode) read(ctx context.Context, key string) (int64, bool, error) {
	term := n.raft.CurrentTerm()
	n.mu.Lock()
	ready := n.readyTerm == term
	n.mu.Unlock()
	if !ready {
		timeout := time.Second
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		if err := wait(ctx, n.raft.Barrier(timeout)); err != nil {
			return 0, false, fmt.Errorf("%w: the new leader's barrier: %w", ErrUnavailable, err)
		}
		n.mu.Lock()
		n.readyTerm = term
		n.mu.Unlock()
	}
	commit := n.raft.CommitIndex()
	if err := wait(ctx, n.raft.VerifyLeader()); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			_, lead := n.raft.LeaderWithID()
			return 0, false, &NotLeaderError{Node: n.cfg.ID, Leader: string(lead)}
		}
		return 0, false, fmt.Errorf("%w: leadership not confirmed: %w", ErrUnavailable, err)
	}
	for n.raft.AppliedIndex() < commit {
		select {
		case <-ctx.Done():
			return 0, false, fmt.Errorf("%w: the state machine did not catch up: %w", ErrUnavailable, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	n.fsm.mu.Lock()
	defer n.fsm.mu.Unlock()
	v, found := n.fsm.kv.read(key)
	return v, found, nil
}

// wait waits for f or ctx. A future hashicorp/raft abandons has no
// outcome: the caller's deadline passed.
func wait(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrIndeterminate, ctx.Err())
	}
}

// Status reads like Node's: the fields the harness needs (state, term,
// leader, indexes).
func (n *HashiNode) Status() Status {
	_, lead := n.raft.LeaderWithID()
	st := Status{NodeID: n.cfg.ID, State: hashiState(n.raft.State()), CurrentTerm: n.raft.CurrentTerm(),
		Leader: string(lead), CommitIndex: n.raft.CommitIndex(), AppliedIndex: n.raft.AppliedIndex(), LastIndex: n.raft.LastIndex()}
	if s := n.raft.Stats(); s != nil {
		st.SnapshotIndex, _ = strconv.ParseUint(s["last_snapshot_index"], 10, 64)
	}
	n.fsm.mu.Lock()
	st.Keys, st.Sessions = len(n.fsm.kv.Data), len(n.fsm.kv.Sessions)
	n.fsm.mu.Unlock()
	return st
}

func hashiState(s raft.RaftState) string {
	switch s {
	case raft.Leader:
		return "leader"
	case raft.Candidate:
		return "candidate"
	case raft.Follower:
		return "follower"
	}
	return "shutdown"
}

func (n *HashiNode) handleKV(w http.ResponseWriter, r *http.Request) { serveKV(w, r, n.cfg, n.Do) }

func (n *HashiNode) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.Status())
}

// peerAddrs resolves a server id to the address this node dials: a peer's
// (its proxy's), or for this node its own listen address, which
// hashicorp/raft writes into the headers of its RPCs and never dials.
type peerAddrs map[string]string

func addrsOf(cfg Config) peerAddrs {
	p := peerAddrs{cfg.ID: cfg.RaftAddr}
	for id, addr := range cfg.Peers {
		p[id] = addr
	}
	return p
}

func (p peerAddrs) ServerAddr(id raft.ServerID) (raft.ServerAddress, error) {
	if addr, ok := p[string(id)]; ok {
		return raft.ServerAddress(addr), nil
	}
	return "", fmt.Errorf("no address for server %q", id)
}

// slogWriter carries hashicorp/raft's log lines into the node's log.
type slogWriter struct{ logger *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.logger.Info(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// hashiFSM is the state machine under hashicorp/raft: the reference
// node's, applied entry by entry.
type hashiFSM struct {
	mu sync.Mutex
	kv *kvState
}

func (f *hashiFSM) Apply(l *raft.Log) any {
	c, err := decodeCommand(l.Data)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kv.apply(l.Index, c)
}

func (f *hashiFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := f.kv.snapshot()
	return hashiSnap(data), err
}

func (f *hashiFSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	kv, err := restoreKVState(data)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.kv = kv
	f.mu.Unlock()
	return nil
}

type hashiSnap []byte

func (s hashiSnap) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (hashiSnap) Release() {}
