package redisserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrNotFound means no redis-server binary could be found.
var ErrNotFound = errors.New("redis-server not found on PATH; install it (apt-get install redis-server) or pass the address of a running Redis")

// ErrNotRunning is returned by the faults when the server is not running.
var ErrNotRunning = errors.New("redis-server is not running")

// Config says how to run the server.
type Config struct {
	// Binary is the redis-server executable, looked up on PATH when it has
	// no slash.
	Binary string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Persistence keeps Redis's default RDB snapshots on; off by default, so
	// that a Kill loses every key.
	Persistence bool
	// Dir is the working directory (where a snapshot would go); empty makes a
	// temporary one that Stop removes.
	Dir string
	// StartTimeout bounds how long Start and Kill wait for PING to answer.
	StartTimeout time.Duration
	// Output receives the server's stdout and stderr; nil discards them.
	Output io.Writer
	// Logger is told when the server starts and stops; nil discards.
	Logger *slog.Logger
}

// DefaultConfig runs redis-server from PATH on a free port without
// persistence.
func DefaultConfig() Config {
	return Config{Binary: "redis-server", StartTimeout: 10 * time.Second}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Binary == "":
		return errors.New("redisserver: Binary is empty")
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("redisserver: port %d out of range", c.Port)
	case c.StartTimeout <= 0:
		return fmt.Errorf("redisserver: StartTimeout %v must be positive", c.StartTimeout)
	}
	return nil
}

// Available reports whether the configured binary can be found.
func Available(binary string) bool {
	_, err := exec.LookPath(binary)
	return err == nil
}

// Server is a running (or paused, or killed) redis-server.
type Server struct {
	cfg     Config
	path    string
	port    int
	tempDir bool
	log     *slog.Logger

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has exited
	paused bool
}

// Start launches redis-server and waits until it answers PING.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w (looked for %q: %v)", ErrNotFound, cfg.Binary, err)
	}
	s := &Server{cfg: cfg, path: path, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "faultline-redis-*")
		if err != nil {
			return nil, fmt.Errorf("making redis-server directory: %w", err)
		}
		s.cfg.Dir, s.tempDir = dir, true
	} else if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("making redis-server directory: %w", err)
	}
	// A port picked free may be taken by someone else before redis-server
	// binds it; try a few.
	for attempt := 0; ; attempt++ {
		s.port = cfg.Port
		if s.port == 0 {
			if s.port, err = freePort(); err != nil {
				return nil, err
			}
		}
		err = s.launch(ctx)
		if err == nil || cfg.Port != 0 || attempt == 2 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *Server) args() []string {
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.cfg.Dir}
	if !s.cfg.Persistence {
		args = append(args, "--save", "", "--appendonly", "no")
	}
	return args
}

// launch starts the process and waits for PING.
func (s *Server) launch(ctx context.Context) error {
	cmd := exec.Command(s.path, s.args()...)
	cmd.Stdout, cmd.Stderr = s.cfg.Output, s.cfg.Output
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.path, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done, s.paused = cmd, done, false
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	if err := waitReady(ctx, s.Addr(), done); err != nil {
		s.kill()
		return fmt.Errorf("redis-server on %s did not answer PING: %w", s.Addr(), err)
	}
	s.log.Info("redis-server started", "addr", s.Addr(), "pid", cmd.Process.Pid)
	return nil
}

// waitReady polls PING until it answers, the process exits or ctx ends.
func waitReady(ctx context.Context, addr string, exited <-chan struct{}) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := Ping(ctx, addr, 500*time.Millisecond)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("the process exited (is the port taken?)")
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// Ping sends an inline PING to the Redis at addr and expects +PONG, within
// timeout.
func Ping(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, "PING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// signal sends sig to the running process.
func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || exited(s.done) {
		return ErrNotRunning
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("sending %v to redis-server: %w", sig, err)
	}
	return nil
}

// Pause stops the process with SIGSTOP: it keeps its connections open but
// answers nothing, as in a long GC pause or a stalled VM.
func (s *Server) Pause() error {
	if err := s.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
	return nil
}

// Resume continues a paused process with SIGCONT.
func (s *Server) Resume() error {
	if err := s.signal(syscall.SIGCONT); err != nil {
		return err
	}
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	return nil
}

// Crash kills the process with SIGKILL and waits until it is gone, without
// restarting it.
func (s *Server) Crash() error {
	if err := s.signal(syscall.SIGKILL); err != nil {
		return err
	}
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	<-done
	s.log.Info("redis-server killed", "addr", s.Addr())
	return nil
}

// Restart starts the process again on the same port after a Crash.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	running := s.cmd != nil && !exited(s.done)
	s.mu.Unlock()
	if running {
		return errors.New("redis-server is still running; Crash it first")
	}
	return s.launch(ctx)
}

// Kill is Crash then Restart: the server comes back on the same address with
// no keys (unless Persistence is on).
func (s *Server) Kill(ctx context.Context) error {
	if err := s.Crash(); err != nil {
		return err
	}
	return s.Restart(ctx)
}

// Stop ends the process (resuming it first if paused) and removes a
// temporary directory. It is safe to call more than once.
func (s *Server) Stop() error {
	s.kill()
	s.cleanup()
	return nil
}

func (s *Server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil || exited(done) {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	s.log.Info("redis-server stopped", "addr", s.Addr())
}

func (s *Server) cleanup() {
	if s.tempDir {
		_ = os.RemoveAll(s.cfg.Dir)
	}
}

func exited(done chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// Paused reports whether the server is stopped by Pause.
func (s *Server) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}
