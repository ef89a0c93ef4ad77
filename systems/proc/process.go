package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ErrNotRunning is returned for a signal to a process that is not running.
var ErrNotRunning = errors.New("process is not running")

// killWait bounds how long Kill waits for a killed process to be reaped, even
// when the caller's context has no deadline: a process stuck in the kernel
// must not hang the harness.
const killWait = 10 * time.Second

// outputWait bounds how long reaping waits for Output to be copied after the
// process has exited, in case a grandchild still holds its stdout.
const outputWait = time.Second

// Process is a child process that can be started again after it stops.
type Process struct {
	Name    string
	Path    string
	Args    []string
	Env     []string  // extra environment, added to the harness's own
	LogPath string    // stdout and stderr are appended here
	Output  io.Writer // stdout and stderr when LogPath is empty; nil discards

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current process has exited
	paused bool
}

// Start starts the process. It is an error to start it while it runs.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return fmt.Errorf("starting %s: already running as pid %d", p.Name, p.cmd.Process.Pid)
	}
	out, closeOut, err := p.output()
	if err != nil {
		return err
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.SysProcAttr = procAttr()
	cmd.WaitDelay = outputWait
	if err := cmd.Start(); err != nil {
		closeOut()
		return fmt.Errorf("starting %s (%s): %w", p.Name, p.Path, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		closeOut()
		close(done)
	}()
	p.cmd, p.done, p.paused = cmd, done, false
	return nil
}

// output is where the child's stdout and stderr go: the file at LogPath,
// opened for appending, else Output. A nil writer makes exec discard them.
func (p *Process) output() (io.Writer, func(), error) {
	if p.LogPath == "" {
		return p.Output, func() {}, nil
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the log of %s: %w", p.Name, err)
	}
	return log, func() { _ = log.Close() }, nil
}

func (p *Process) runningLocked() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Running reports whether the process is running (paused counts as running).
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// Paused reports whether the process is stopped by Pause.
func (p *Process) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused && p.runningLocked()
}

// PID is the current process id, or 0.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Process) signal(sig syscall.Signal) error {
	if !p.runningLocked() {
		return fmt.Errorf("%s: %w", p.Name, ErrNotRunning)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("sending %s to %s: %w", sig, p.Name, err)
	}
	return nil
}

// Pause stops the process with SIGSTOP.
func (p *Process) Pause() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	p.paused = true
	return nil
}

// Resume continues a paused process with SIGCONT. A process that is not
// running has nothing to resume: that is not an error (a pause that found
// it dead is healed all the same).
func (p *Process) Resume() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		p.paused = false
		return nil
	}
	if err := p.signal(syscall.SIGCONT); err != nil {
		return err
	}
	p.paused = false
	return nil
}

// Kill kills the process with SIGKILL and waits until it is gone, or ctx
// ends, or at most ten seconds. A paused process is resumed first, so that
// it dies at once.
func (p *Process) Kill(ctx context.Context) error {
	p.mu.Lock()
	if p.paused {
		_ = p.signal(syscall.SIGCONT)
		p.paused = false
	}
	err := p.signal(syscall.SIGKILL)
	done := p.done
	p.mu.Unlock()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	return waitDone(ctx, done, p.Name)
}

// Stop asks the process to terminate with SIGTERM, and kills it if it has
// not exited within five seconds or by ctx's deadline, whichever is sooner.
// The kill is sent even when ctx has ended, and its wait is bounded as in
// Kill. Stopping a process that is not running is a no-op.
func (p *Process) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.runningLocked() {
		p.mu.Unlock()
		return nil
	}
	if p.paused {
		_ = p.signal(syscall.SIGCONT)
		p.paused = false
	}
	_ = p.signal(syscall.SIGTERM)
	done := p.done
	p.mu.Unlock()
	grace, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if waitDone(grace, done, p.Name) == nil {
		return nil
	}
	err := p.Kill(context.WithoutCancel(ctx))
	if errors.Is(err, ErrNotRunning) {
		return nil // it exited just after the grace period
	}
	return err
}

func waitDone(ctx context.Context, done <-chan struct{}, name string) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for %s to exit: %w", name, ctx.Err())
	}
}
