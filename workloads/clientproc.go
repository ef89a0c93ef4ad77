package workloads

import (
	"context"
	"errors"
	"sync"
)

// ErrClientCrashed is the error of a call cut short because its client was
// killed by the nemesis.
var ErrClientCrashed = errors.New("the client crashed (killed by the nemesis)")

// ClientProcess gives an in-process client the process faults a real
// process has, so that the nemesis can pause or kill a lock holder as
// Kleppmann's example needs (a stop-the-world pause inside the critical
// section). Pause freezes the client at its next step — before any call,
// and at the end of its critical section — as SIGSTOP would; Resume lets it
// go on. Kill crashes it: its call in flight is cancelled (recorded as
// info), it forgets what it held, and it stays down until Restart. It is
// safe for concurrent use.
type ClientProcess struct {
	mu     sync.Mutex
	paused bool
	dead   bool
	change chan struct{} // closed and replaced on every state change
	crash  chan struct{} // closed by Kill, replaced by Restart
}

// NewClientProcess returns a running client process.
func NewClientProcess() *ClientProcess {
	return &ClientProcess{change: make(chan struct{}), crash: make(chan struct{})}
}

func (p *ClientProcess) changedLocked() {
	close(p.change)
	p.change = make(chan struct{})
}

// Pause freezes the client at its next step.
func (p *ClientProcess) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
	p.changedLocked()
}

// Resume undoes Pause.
func (p *ClientProcess) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = false
	p.changedLocked()
}

// Kill crashes the client; it stays down until Restart.
func (p *ClientProcess) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dead {
		p.dead = true
		close(p.crash)
	}
	p.changedLocked()
}

// Restart brings a killed client back.
func (p *ClientProcess) Restart() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		p.dead = false
		p.crash = make(chan struct{})
	}
	p.changedLocked()
}

// Crashed returns a channel that is closed when the client is killed.
func (p *ClientProcess) Crashed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crash
}

// Wait blocks while the client is paused or dead, until ctx is done.
func (p *ClientProcess) Wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		stopped, change := p.paused || p.dead, p.change
		p.mu.Unlock()
		if !stopped {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-change:
		}
	}
}

// bind returns ctx cancelled also when the client crashes.
func (p *ClientProcess) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	crash := p.Crashed()
	stop := make(chan struct{})
	go func() {
		select {
		case <-crash:
			cancel(ErrClientCrashed)
		case <-stop:
		}
	}()
	return ctx, func() { close(stop); cancel(nil) }
}
