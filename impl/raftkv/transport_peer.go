package raftkv

import (
	"context"
	"math/rand/v2"
	"net"
	"time"

	"github.com/faultline/faultline/impl/raft"
)

// peerSender owns the outbound connection to one peer.
type peerSender struct {
	t     *transport
	id    string
	addr  string
	queue chan raft.Message
}

// run sends queued messages, dialing on demand. After a failed dial it
// drops what is queued (stale by the time the peer is back) and waits an
// exponentially growing, jittered back-off.
func (p *peerSender) run(ctx context.Context) {
	backoff := p.t.cfg.MinBackoff
	var conn net.Conn
	var buf []byte
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		var m raft.Message
		select {
		case <-ctx.Done():
			return
		case m = <-p.queue:
		}
		if conn == nil {
			c, err := p.dial(ctx)
			if err != nil {
				p.failed(m)
				p.drain()
				p.t.logger.Debug("cannot reach peer", "peer", p.id, "addr", p.addr, "err", err, "retry_in", backoff)
				if !sleepCtx(ctx, jitter(backoff)) {
					return
				}
				backoff = min(2*backoff, p.t.cfg.MaxBackoff)
				continue
			}
			conn, backoff = c, p.t.cfg.MinBackoff
		}
		batch := []raft.Message{m}
		buf = appendFrame(buf[:0], func(b []byte) []byte { return appendMessage(b, m) })
		for len(buf) < 1<<20 {
			select {
			case next := <-p.queue:
				batch = append(batch, next)
				buf = appendFrame(buf, func(b []byte) []byte { return appendMessage(b, next) })
				continue
			default:
			}
			break
		}
		if err := p.write(conn, buf); err != nil {
			// The peer may have closed an idle connection: one fresh
			// connection gets one more try before the batch is dropped.
			// (A duplicate of a partly sent message is harmless to Raft.)
			p.t.logger.Debug("lost connection to peer", "peer", p.id, "err", err)
			conn.Close()
			conn = nil
			if c, derr := p.dial(ctx); derr == nil {
				if err = p.write(c, buf); err == nil {
					conn = c
				} else {
					c.Close()
				}
			}
			if err != nil {
				for _, m := range batch {
					p.failed(m)
				}
				continue
			}
		}
		for _, m := range batch {
			if m.Type == raft.MsgSnap {
				p.t.report(raft.Message{Type: raft.MsgSnapStatus, From: p.id})
			}
		}
	}
}

func (p *peerSender) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: p.t.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	hello := appendFrame(nil, func(b []byte) []byte { return append(append(b, helloMagic...), p.t.cfg.ID...) })
	if err := p.write(conn, hello); err != nil {
		conn.Close()
		return nil, err
	}
	go watchClose(conn)
	return conn, nil
}

// watchClose closes conn as soon as the peer closes its end (the peer
// never sends on this connection, so any read result means it is gone),
// so that the next write fails at once instead of vanishing into a dead
// socket.
func watchClose(conn net.Conn) {
	var b [1]byte
	_, _ = conn.Read(b[:])
	conn.Close()
}

func (p *peerSender) write(conn net.Conn, buf []byte) error {
	if err := conn.SetWriteDeadline(time.Now().Add(p.t.cfg.IOTimeout)); err != nil {
		return err
	}
	_, err := conn.Write(buf)
	return err
}

// failed tells the node that m did not reach the peer.
func (p *peerSender) failed(m raft.Message) {
	p.t.report(raft.Message{Type: raft.MsgUnreachable, From: p.id})
	if m.Type == raft.MsgSnap {
		p.t.report(raft.Message{Type: raft.MsgSnapStatus, From: p.id, Reject: true})
	}
}

// drain drops every queued message.
func (p *peerSender) drain() {
	for {
		select {
		case m := <-p.queue:
			if m.Type == raft.MsgSnap {
				p.failed(m)
			}
		default:
			return
		}
	}
}

// jitter spreads d over [d/2, d) so that peers do not reconnect in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// sleepCtx waits d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
