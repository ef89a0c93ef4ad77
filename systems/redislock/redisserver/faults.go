package redisserver

import (
	"context"
	"os"
)

// Pause stops the process with SIGSTOP: it keeps its connections open but
// answers nothing, as in a long GC pause or a stalled VM.
func (s *Server) Pause() error { return s.proc.Pause() }

// Resume continues a paused process with SIGCONT.
func (s *Server) Resume() error { return s.proc.Resume() }

// Paused reports whether the server is stopped by Pause.
func (s *Server) Paused() bool { return s.proc.Paused() }

// Crash kills the process with SIGKILL and waits until it is gone (or ctx
// ends, or ten seconds pass), without restarting it.
func (s *Server) Crash(ctx context.Context) error {
	if err := s.proc.Kill(ctx); err != nil {
		return err
	}
	s.log.Info("redis-server killed", "addr", s.Addr())
	return nil
}

// Restart starts the process again on the same port after a Crash; a
// running server is left alone.
func (s *Server) Restart(ctx context.Context) error {
	if s.proc.Running() {
		return nil
	}
	return s.launch(ctx)
}

// Kill is Crash then Restart: the server comes back on the same address with
// no keys (unless Persistence is on).
func (s *Server) Kill(ctx context.Context) error {
	if err := s.Crash(ctx); err != nil {
		return err
	}
	return s.Restart(ctx)
}

// Stop ends the process — resumed if paused, asked with SIGTERM, killed if it
// lingers — and removes a temporary directory. It is safe to call more than
// once.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	running := s.proc.Running()
	err := s.proc.Stop(ctx)
	if running && err == nil {
		s.log.Info("redis-server stopped", "addr", s.Addr())
	}
	s.cleanup()
	return err
}

func (s *Server) cleanup() {
	if s.tempDir {
		_ = os.RemoveAll(s.cfg.Dir)
	}
}
