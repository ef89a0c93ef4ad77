package raftkv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/faultline/faultline/impl/raft"
)

// Node is one member of a Raft KV cluster: the Raft core, its durable
// storage, the TCP transport to its peers, the state machine, and the
// HTTP server for clients (/kv, /status, /metrics).
//
// One goroutine (the loop) owns the core, the storage and the state
// machine; everything else talks to it through channels.
type Node struct {
	cfg     Config
	logger  *slog.Logger
	store   *diskStorage
	rn      *raft.RawNode
	kv      *kvState
	trans   *transport
	metrics *metrics
	peers   []string // every member, this node included, sorted

	raftLn, clientLn net.Listener
	httpSrv          *http.Server

	recvc   chan raft.Message
	reportc chan raft.Message
	propc   chan *proposal
	readc   chan *readRequest
	statusc chan chan Status

	// Loop state, touched only by the loop goroutine.
	applied      uint64
	snapIndex    uint64
	lead         string
	state        raft.StateType
	tagNext      uint64
	waiters      map[uint64]*proposal
	readQueue    []*readRequest
	readPending  map[string]pendingReads
	readsApplied []readBatch
	ticks        uint64

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	done      chan struct{}
	errOnce   sync.Once
	err       error
	startOnce sync.Once
	stopOnce  sync.Once
}

// NewNode recovers the node's state from cfg.DataDir and binds its
// listeners (so RaftAddr and ClientAddr are known before Start). A corrupt
// data directory is ErrCorrupt.
func NewNode(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	logger = logger.With("node", cfg.ID)
	store, err := openStorage(cfg.DataDir, logger)
	if err != nil {
		return nil, fmt.Errorf("opening storage of node %s: %w", cfg.ID, err)
	}
	store.wal.noFsync = cfg.hasBug(BugNoFsync)
	n := &Node{
		cfg: cfg, logger: logger, store: store, metrics: newMetrics(cfg.ID),
		recvc:   make(chan raft.Message, 4096),
		reportc: make(chan raft.Message, 1024),
		propc:   make(chan *proposal, 4096),
		readc:   make(chan *readRequest, 4096),
		statusc: make(chan chan Status),
		tagNext: rand.Uint64() >> 1, // a fresh range per start: tags of replayed entries never match
		waiters: map[uint64]*proposal{}, readPending: map[string]pendingReads{},
		done: make(chan struct{}),
	}
	if err := n.restore(); err != nil {
		store.close()
		return nil, err
	}
	if err := n.listen(); err != nil {
		store.close()
		return nil, err
	}
	return n, nil
}

// restore builds the state machine from the snapshot and the core from
// the storage.
func (n *Node) restore() error {
	snap, _ := n.store.mem.Snapshot()
	kv, err := restoreKVState(snap.Data)
	if err != nil {
		return fmt.Errorf("%w: snapshot at index %d: %v", ErrCorrupt, snap.Meta.Index, err)
	}
	n.kv, n.applied, n.snapIndex = kv, snap.Meta.Index, snap.Meta.Index
	n.peers = []string{n.cfg.ID}
	for id := range n.cfg.Peers {
		n.peers = append(n.peers, id)
	}
	slices.Sort(n.peers)
	rc := raft.DefaultConfig()
	rc.ID = n.cfg.ID
	rc.Peers = n.peers
	rc.ElectionTick = n.cfg.ElectionTicks
	rc.HeartbeatTick = n.cfg.HeartbeatTicks
	rc.Storage = n.store.mem
	rc.MaxInflightMsgs = n.cfg.MaxInflight
	rc.Applied = snap.Meta.Index
	rc.DisableProposalForwarding = true // clients go to the leader; see Client
	rc.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	rc.Logger = n.logger
	rn, err := raft.NewRawNode(rc)
	if err != nil {
		return err
	}
	n.rn = rn
	n.store.wal.onSync = func(d time.Duration) { n.metrics.fsync.Observe(d.Seconds()) }
	return nil
}

func (n *Node) listen() error {
	var err error
	n.raftLn, n.clientLn = n.cfg.RaftListener, n.cfg.ClientListener
	if n.raftLn == nil {
		if n.raftLn, err = net.Listen("tcp", n.cfg.RaftAddr); err != nil {
			return fmt.Errorf("listening for raft peers on %s: %w", n.cfg.RaftAddr, err)
		}
	}
	if n.clientLn == nil {
		if n.clientLn, err = net.Listen("tcp", n.cfg.ClientAddr); err != nil {
			n.raftLn.Close()
			return fmt.Errorf("listening for clients on %s: %w", n.cfg.ClientAddr, err)
		}
	}
	n.trans = newTransport(transportConfig{
		ID: n.cfg.ID, Peers: n.cfg.Peers, DialTimeout: n.cfg.DialTimeout, IOTimeout: n.cfg.IOTimeout,
		IdleTimeout: n.cfg.IdleTimeout, QueueSize: n.cfg.SendQueue,
		MinBackoff: n.cfg.MinBackoff, MaxBackoff: n.cfg.MaxBackoff,
	}, n.raftLn, n.logger, n.deliver, n.report)
	return nil
}

// ID returns the node's id.
func (n *Node) ID() string { return n.cfg.ID }

// RaftAddr returns the address the node listens on for peers.
func (n *Node) RaftAddr() string { return n.raftLn.Addr().String() }

// ClientAddr returns the address of the client API.
func (n *Node) ClientAddr() string { return n.clientLn.Addr().String() }

// Start runs the node in the background until ctx ends or Stop is called.
func (n *Node) Start(ctx context.Context) {
	n.startOnce.Do(func() {
		ctx, n.cancel = context.WithCancel(ctx)
		n.trans.start(ctx)
		n.httpSrv = n.newHTTPServer()
		n.wg.Add(2)
		go func() {
			defer n.wg.Done()
			if err := n.httpSrv.Serve(n.clientLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.fail(fmt.Errorf("client server: %w", err))
			}
		}()
		go func() {
			defer n.wg.Done()
			if err := n.loop(ctx); err != nil {
				n.fail(err)
			}
		}()
		n.logger.Info("node started", "raft_addr", n.RaftAddr(), "client_addr", n.ClientAddr(), "peers", n.cfg.Peers)
		if len(n.cfg.Bugs) > 0 {
			n.logger.Warn("node runs with deliberate bugs", "bugs", n.cfg.Bugs)
		}
	})
}

// Run starts the node and blocks until ctx ends (then it stops the node
// and returns nil) or the node fails (then it returns the failure).
func (n *Node) Run(ctx context.Context) error {
	n.Start(ctx)
	select {
	case <-ctx.Done():
	case <-n.done:
	}
	return n.Stop()
}

// Done is closed when the node failed (see Err) or was stopped.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err returns the failure that stopped the node, if any.
func (n *Node) Err() error {
	select {
	case <-n.done:
		return n.err
	default:
		return nil
	}
}

// fail records the first fatal error and stops everything.
func (n *Node) fail(err error) {
	n.errOnce.Do(func() {
		n.err = err
		n.logger.Error("node failed; stopping", "err", err)
		close(n.done)
		if n.cancel != nil {
			n.cancel()
		}
	})
}

// Stop shuts the node down and waits for it; it returns the failure that
// stopped the node earlier, if any. It is safe to call more than once.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		n.errOnce.Do(func() { close(n.done) })
		if n.cancel != nil {
			n.cancel()
		}
		if n.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = n.httpSrv.Shutdown(ctx)
			cancel()
			n.httpSrv.Close()
		} else {
			n.clientLn.Close()
			n.raftLn.Close()
		}
		n.wg.Wait()
		n.trans.wait()
		if err := n.store.close(); err != nil && n.err == nil {
			n.err = fmt.Errorf("closing storage: %w", err)
		}
		n.logger.Info("node stopped")
	})
	return n.err
}

// deliver hands a message from a peer to the loop.
func (n *Node) deliver(ctx context.Context, m raft.Message) {
	select {
	case n.recvc <- m:
	case <-ctx.Done():
	}
}

// report hands the loop a local message from the transport. When the loop
// is too busy to take it, an unreachable report is dropped (the next
// failure reports again); a snapshot status is not, or the leader would
// wait for it forever.
func (n *Node) report(m raft.Message) {
	select {
	case n.reportc <- m:
		return
	default:
	}
	if m.Type == raft.MsgSnapStatus {
		go func() {
			select {
			case n.reportc <- m:
			case <-n.done:
			}
		}()
	}
}
