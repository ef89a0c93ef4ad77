package nemesis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// Server is a Toxiproxy server running inside this process: the real
// toxiproxy/v2 server code with its HTTP API on 127.0.0.1 and a free port.
// Drive it with Connect(ctx, s.URL()), exactly as an external one.
type Server struct {
	api       *toxiproxy.ApiServer
	http      *http.Server
	url       string
	served    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// StartServer starts an embedded Toxiproxy server on 127.0.0.1 and a free
// port. Its log lines go to logger at debug level (warnings and errors at
// their own level). The server runs until Close; ctx bounds only the start.
func StartServer(ctx context.Context, logger *slog.Logger) (*Server, error) {
	return ListenServer(ctx, "127.0.0.1:0", logger)
}

// ListenServer starts a Toxiproxy server with its HTTP API on addr: what
// `faultline toxiproxy` serves, in a container or on a host, in place of
// the toxiproxy-server binary.
func ListenServer(ctx context.Context, addr string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting toxiproxy: listening on %s: %w", addr, err)
	}
	zl := zerolog.New(slogWriter{logger: logger}).Level(zerolog.InfoLevel)
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zl)
	s := &Server{
		api: api,
		http: &http.Server{
			Handler:           api.Routes(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       15 * time.Second,
			WriteTimeout:      30 * time.Second,
		},
		url:    "http://" + ln.Addr().String(),
		served: make(chan struct{}),
	}
	go func() {
		defer close(s.served)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("embedded toxiproxy stopped serving", "err", err)
		}
	}()
	return s, nil
}

// Populate creates the proxies a Toxiproxy JSON config describes (a list of
// {"name", "listen", "upstream", "enabled"}, as toxiproxy-server -config
// takes) and returns their names.
func (s *Server) Populate(config io.Reader) ([]string, error) {
	proxies, err := s.api.Collection.PopulateJson(s.api, config)
	names := make([]string, len(proxies))
	for i, p := range proxies {
		names[i] = p.Name
	}
	if err != nil {
		return names, fmt.Errorf("creating the proxies of the config: %w", err)
	}
	return names, nil
}

// URL is the base URL of the server's HTTP API, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.url }

// Close stops the HTTP API and every proxy, closing their connections.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Shutdown waits for idle connections; one a client has dialed but
		// not yet used counts as busy for 5 s, so give up waiting sooner
		// and close whatever is left.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var err error
		if s.http.Shutdown(ctx) != nil {
			err = s.http.Close()
		}
		<-s.served
		s.closeErr = errors.Join(err, s.api.Collection.Clear())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("closing the embedded toxiproxy: %w", s.closeErr)
		}
	})
	return s.closeErr
}
