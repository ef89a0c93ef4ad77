package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// CallPath is the downstream's one endpoint.
const CallPath = "/call"

// Downstream is the service the callers depend on: an HTTP server on
// loopback that answers every GET /call with 200 "ok". Faults come from
// the network between the callers and it, never from itself.
type Downstream struct {
	srv    *http.Server
	addr   string
	served chan struct{}
}

// StartDownstream starts the downstream on 127.0.0.1 on a free port.
func StartDownstream(ctx context.Context, logger *slog.Logger) (*Downstream, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the downstream: listening on 127.0.0.1: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CallPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	d := &Downstream{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		},
		addr:   ln.Addr().String(),
		served: make(chan struct{}),
	}
	go func() {
		defer close(d.served)
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the downstream stopped serving", "err", err)
		}
	}()
	return d, nil
}

// Addr is the address the downstream listens on.
func (d *Downstream) Addr() string { return d.addr }

// Close stops the downstream, waiting for calls in flight until ctx is done.
func (d *Downstream) Close(ctx context.Context) error {
	err := d.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, d.srv.Close())
	}
	<-d.served
	if err != nil {
		return fmt.Errorf("stopping the downstream: %w", err)
	}
	return nil
}
