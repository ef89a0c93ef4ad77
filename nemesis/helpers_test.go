package nemesis

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testLogger routes slog output to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// testCtx returns a context that ends with the test or after d.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// cleanupCtx is a context for t.Cleanup functions, which run after
// t.Context() is canceled.
func cleanupCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startNet starts an embedded Toxiproxy and connects a Net to it.
func startNet(t *testing.T) *Net {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	srv, err := StartServer(ctx, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() {
		err := srv.Close()
		if err != nil {
			buf := make([]byte, 1<<20)
			k := runtime.Stack(buf, true)
			t.Log(string(buf[:k]))
		}
		require.NoError(t, err)
	})
	n, err := Connect(ctx, srv.URL())
	require.NoError(t, err)
	return n
}

// echoServer is a TCP server on 127.0.0.1:0 that echoes what it reads.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &echoServer{ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *echoServer) Addr() string { return s.ln.Addr().String() }

func (s *echoServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}

// dial connects to addr with a deadline on every later read and write.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return c
}

// roundTrip writes msg and reads the same number of bytes back.
func roundTrip(c net.Conn, msg []byte) ([]byte, error) {
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return buf, err
}

// isTimeout reports whether err is a read or write deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ctxUntil returns a context canceled once cond holds (polled), or when
// parent ends.
func ctxUntil(parent context.Context, cond func() bool) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if cond() {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}
