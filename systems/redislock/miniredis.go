package redislock

import (
	"sync"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
)

// miniFaults gives the embedded miniredis the two process faults, as close
// as an in-process server allows: a kill closes it and drops every key (a
// redis-server without persistence loses them too), and a pause holds
// every command before it runs until Resume, as a stopped process would.
type miniFaults struct {
	m *miniredis.Miniredis

	mu     sync.Mutex
	paused chan struct{} // open while paused; nil when running
	killed bool          // closed by kill, not restarted yet
}

func newMiniFaults(m *miniredis.Miniredis) *miniFaults {
	f := &miniFaults{m: m}
	f.hook()
	return f
}

// hook installs the pause gate; a restarted miniredis needs it again.
func (f *miniFaults) hook() {
	f.m.Server().SetPreHook(func(*server.Peer, string, ...string) bool {
		f.mu.Lock()
		gate := f.paused
		f.mu.Unlock()
		if gate != nil {
			<-gate
		}
		return false
	})
}

func (f *miniFaults) kill() {
	f.resume() // let held commands fail on the closed connections
	f.m.Close()
	f.m.FlushAll()
	f.mu.Lock()
	f.killed = true
	f.mu.Unlock()
}

// restart starts a killed miniredis again; a running one is left alone.
func (f *miniFaults) restart() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.killed {
		return nil
	}
	if err := f.m.Restart(); err != nil {
		return err
	}
	f.killed = false
	f.hook()
	return nil
}

func (f *miniFaults) pause() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused == nil {
		f.paused = make(chan struct{})
	}
}

func (f *miniFaults) resume() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused != nil {
		close(f.paused)
		f.paused = nil
	}
}
