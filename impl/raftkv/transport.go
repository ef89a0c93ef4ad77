package raftkv

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/faultline/faultline/impl/raft"
)

// The transport carries raft.Messages between nodes over TCP. Each node
// dials every peer at the address configured for it (which may be a
// Toxiproxy proxy, so that every directed link can be faulted on its own)
// and sends on that connection only; it receives on the connections its
// peers dial. A connection starts with a hello frame naming the sender.
//
// A frame is a little-endian uint32 length and that many bytes; a message
// frame holds appendMessage's encoding, a hello frame helloMagic and the
// sender's id.

const helloMagic = "FLRAFT01"

// transportConfig is the part of Config the transport uses.
type transportConfig struct {
	ID          string
	Peers       map[string]string // id → address to dial
	DialTimeout time.Duration
	IOTimeout   time.Duration // write deadline of every frame batch
	IdleTimeout time.Duration // read deadline: a silent inbound link is closed
	QueueSize   int           // messages queued per peer before dropping
	MinBackoff  time.Duration
	MaxBackoff  time.Duration
}

// transport owns the listener, one sender per peer and the inbound
// connections.
type transport struct {
	cfg    transportConfig
	ln     net.Listener
	logger *slog.Logger
	// deliver hands an inbound message to the node; it blocks until the
	// node takes it or ctx ends.
	deliver func(context.Context, raft.Message)
	// report hands the node a local message about a peer (MsgUnreachable,
	// MsgSnapStatus); it must not block.
	report func(raft.Message)

	peers map[string]*peerSender
	wg    sync.WaitGroup

	mu      sync.Mutex
	inbound map[net.Conn]struct{}
	closed  bool
}

func newTransport(cfg transportConfig, ln net.Listener, logger *slog.Logger,
	deliver func(context.Context, raft.Message), report func(raft.Message)) *transport {
	t := &transport{cfg: cfg, ln: ln, logger: logger, deliver: deliver, report: report,
		peers: map[string]*peerSender{}, inbound: map[net.Conn]struct{}{}}
	for id, addr := range cfg.Peers {
		t.peers[id] = &peerSender{t: t, id: id, addr: addr, queue: make(chan raft.Message, cfg.QueueSize)}
	}
	return t
}

// start runs the accept loop and the senders until ctx ends.
func (t *transport) start(ctx context.Context) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.acceptLoop(ctx)
	}()
	for _, p := range t.peers {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			p.run(ctx)
		}()
	}
	context.AfterFunc(ctx, t.closeAll)
}

// wait blocks until every goroutine of the transport has returned; call it
// after cancelling start's context.
func (t *transport) wait() { t.wg.Wait() }

func (t *transport) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.ln.Close()
	for c := range t.inbound {
		c.Close()
	}
}

// send queues msgs for their peers without blocking. A message to a peer
// whose queue is full is dropped, and the node is told the peer is
// unreachable, as Raft tolerates lost messages but not a stalled loop.
func (t *transport) send(msgs []raft.Message) {
	for _, m := range msgs {
		p, ok := t.peers[m.To]
		if !ok {
			t.logger.Warn("dropping message to unknown peer", "to", m.To, "type", m.Type)
			continue
		}
		select {
		case p.queue <- m:
		default:
			p.failed(m)
		}
	}
}

func (t *transport) acceptLoop(ctx context.Context) {
	for {
		conn, err := t.ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				t.logger.Error("raft listener failed; no more inbound connections", "err", err)
			}
			return
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			conn.Close()
			return
		}
		t.inbound[conn] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer func() {
				t.mu.Lock()
				delete(t.inbound, conn)
				t.mu.Unlock()
				conn.Close()
			}()
			t.serveConn(ctx, conn)
		}()
	}
}

// serveConn reads the hello frame and then messages until the connection
// fails, goes idle or ctx ends.
func (t *transport) serveConn(ctx context.Context, conn net.Conn) {
	r := bufio.NewReaderSize(conn, 64<<10)
	var buf []byte
	read := func() ([]byte, error) {
		if err := conn.SetReadDeadline(time.Now().Add(t.cfg.IdleTimeout)); err != nil {
			return nil, err
		}
		var err error
		buf, err = readFrame(r, buf)
		return buf, err
	}
	hello, err := read()
	if err != nil {
		t.logger.Debug("inbound raft connection closed before hello", "remote", conn.RemoteAddr(), "err", err)
		return
	}
	from, ok := parseHello(hello)
	if !ok {
		t.logger.Warn("inbound raft connection without a valid hello; closing it", "remote", conn.RemoteAddr())
		return
	}
	if _, known := t.cfg.Peers[from]; !known {
		t.logger.Warn("inbound raft connection from a node that is not a peer; closing it (check the peers it was configured with)",
			"from", from, "remote", conn.RemoteAddr())
		return
	}
	for {
		frame, err := read()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, io.EOF) {
				t.logger.Debug("inbound raft connection closed", "from", from, "err", err)
			}
			return
		}
		m, err := decodeMessage(frame)
		if err != nil {
			t.logger.Warn("closing raft connection after an undecodable frame", "from", from, "err", err)
			return
		}
		if m.From != from || m.To != t.cfg.ID {
			t.logger.Warn("closing raft connection: message not from its sender or not for this node",
				"hello_from", from, "from", m.From, "to", m.To)
			return
		}
		t.deliver(ctx, m)
	}
}

// readFrame reads one length-prefixed frame into buf (grown as needed).
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n > maxMessageSize {
		return nil, fmt.Errorf("frame of %d bytes exceeds the limit of %d", n, maxMessageSize)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// appendFrame appends a frame holding whatever fill appends.
func appendFrame(buf []byte, fill func([]byte) []byte) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	buf = fill(buf)
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(buf)-start-4))
	return buf
}

func parseHello(frame []byte) (string, bool) {
	if len(frame) <= len(helloMagic) || string(frame[:len(helloMagic)]) != helloMagic {
		return "", false
	}
	return string(frame[len(helloMagic):]), true
}
