package redislock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// ErrStaleToken is the resource's refusal of a token lower than the highest
// it has seen: the caller's lease has certainly been superseded.
var ErrStaleToken = errors.New("stale fencing token")

// Accepted is one write the resource accepted, in the order it accepted them.
type Accepted struct {
	Seq   int64 `json:"seq"`
	Token int64 `json:"token"`
	Value int64 `json:"value"`
}

// Resource is the storage a fenced lock protects, as in Kleppmann's
// example: a counter that accepts a read or a write only with a fencing
// token at least as high as any it has seen, remembering the highest. It
// records every write it accepts. It serves HTTP on loopback so that the
// harness can put its link behind Toxiproxy like any other.
type Resource struct {
	mu       sync.Mutex
	highest  int64
	value    int64
	accepted []Accepted

	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// NewResource returns a resource that is not serving (for tests of its
// logic); StartResource also serves it.
func NewResource() *Resource { return &Resource{log: slog.New(slog.DiscardHandler)} }

// StartResource serves a new resource on a free loopback port.
func StartResource(logger *slog.Logger) (*Resource, error) {
	r := NewResource()
	if logger != nil {
		r.log = logger
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the fenced resource: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /read", r.handleRead)
	mux.HandleFunc("POST /write", r.handleWrite)
	mux.HandleFunc("GET /current", r.handleCurrent)
	mux.HandleFunc("GET /accepted", r.handleAccepted)
	r.ln = ln
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("fenced resource stopped serving", "err", err)
		}
	}()
	return r, nil
}

// Addr is where the resource listens.
func (r *Resource) Addr() string { return r.ln.Addr().String() }

// Close stops serving.
func (r *Resource) Close(ctx context.Context) error {
	if r.srv == nil {
		return nil
	}
	return r.srv.Shutdown(ctx)
}

// admit checks token against the highest seen and raises it. Called with
// r.mu held.
func (r *Resource) admit(token int64) error {
	if token < r.highest {
		return fmt.Errorf("%w: %d is below %d, the highest seen", ErrStaleToken, token, r.highest)
	}
	r.highest = token
	return nil
}

// Read returns the counter if token is not stale.
func (r *Resource) Read(token int64) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.admit(token); err != nil {
		return 0, err
	}
	return r.value, nil
}

// Write sets the counter if token is not stale, and records the write.
func (r *Resource) Write(token, value int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.admit(token); err != nil {
		return err
	}
	r.value = value
	r.accepted = append(r.accepted, Accepted{Seq: int64(len(r.accepted)), Token: token, Value: value})
	return nil
}

// Current returns the counter without a token.
func (r *Resource) Current() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.value
}

// AcceptedWrites returns the writes accepted so far, in order.
func (r *Resource) AcceptedWrites() []Accepted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Accepted(nil), r.accepted...)
}

// The wire format: requests and answers are small JSON objects; a stale
// token is 409 Conflict.
type resourceRequest struct {
	Token int64 `json:"token"`
	Value int64 `json:"value"`
}

type resourceAnswer struct {
	Value int64  `json:"value"`
	Error string `json:"error,omitempty"`
}

func (r *Resource) handleRead(w http.ResponseWriter, req *http.Request) {
	var in resourceRequest
	if !decode(w, req, &in) {
		return
	}
	v, err := r.Read(in.Token)
	answer(w, v, err)
}

func (r *Resource) handleWrite(w http.ResponseWriter, req *http.Request) {
	var in resourceRequest
	if !decode(w, req, &in) {
		return
	}
	answer(w, in.Value, r.Write(in.Token, in.Value))
}

func (r *Resource) handleCurrent(w http.ResponseWriter, _ *http.Request) {
	answer(w, r.Current(), nil)
}

func (r *Resource) handleAccepted(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(r.AcceptedWrites())
}

func decode(w http.ResponseWriter, req *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<10)).Decode(v); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func answer(w http.ResponseWriter, v int64, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(resourceAnswer{Error: err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(resourceAnswer{Value: v})
}
