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
	"time"

	"github.com/faultline/faultline/systems/proc"
)

// ErrNotFound means no redis-server binary could be found.
var ErrNotFound = errors.New("redis-server not found on PATH; install it (apt-get install redis-server) or pass the address of a running Redis")

// ErrNotRunning is returned by the faults when the server is not running.
var ErrNotRunning = proc.ErrNotRunning

// stopTimeout bounds Stop, which has no context of its own.
const stopTimeout = 10 * time.Second

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

// Server is a running (or paused, or killed) redis-server. The process
// itself — signals, the paused state, waiting for exit — is a proc.Process.
type Server struct {
	cfg     Config
	port    int
	tempDir bool
	log     *slog.Logger
	proc    *proc.Process
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
	s := &Server{cfg: cfg, log: cfg.Logger,
		proc: &proc.Process{Name: "redis-server", Path: path, Output: cfg.Output}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	if err := s.launchOnFreePort(ctx); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

func (s *Server) makeDir() error {
	if s.cfg.Dir != "" {
		if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
			return fmt.Errorf("making redis-server directory: %w", err)
		}
		return nil
	}
	dir, err := os.MkdirTemp("", "faultline-redis-*")
	if err != nil {
		return fmt.Errorf("making redis-server directory: %w", err)
	}
	s.cfg.Dir, s.tempDir = dir, true
	return nil
}

// launchOnFreePort launches on cfg.Port, or on a port picked free. A port
// picked free may be taken by someone else before redis-server binds it, so
// that is tried three times.
func (s *Server) launchOnFreePort(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		s.port = s.cfg.Port
		if s.port == 0 {
			var err error
			if s.port, err = freePort(); err != nil {
				return err
			}
		}
		s.proc.Args = s.args()
		err := s.launch(ctx)
		if err == nil || s.cfg.Port != 0 || attempt == 2 || ctx.Err() != nil {
			return err
		}
	}
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
	if err := s.proc.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	if err := waitReady(ctx, s.Addr(), s.proc.Running); err != nil {
		_ = s.proc.Kill(context.WithoutCancel(ctx))
		return fmt.Errorf("redis-server on %s did not answer PING: %w", s.Addr(), err)
	}
	s.log.Info("redis-server started", "addr", s.Addr(), "pid", s.proc.PID())
	return nil
}

// waitReady polls PING until it answers, the process exits or ctx ends.
func waitReady(ctx context.Context, addr string, running func() bool) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := Ping(ctx, addr, 500*time.Millisecond)
		if err == nil {
			return nil
		}
		if !running() {
			return errors.New("the process exited (is the port taken?)")
		}
		select {
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
