package raftkv

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The client protocol is HTTP/1.1 with JSON bodies on the client port,
// next to /status and /metrics:
//
//	POST /kv   body: a Request   → 200 {"node","value","found"}
//	                              → 409 {"error":"mismatch"}
//	                              → 421 {"error":"not_leader","leader":"n2"}
//	                              → 503 {"error":"unavailable"}   (definitely not applied)
//	                              → 504 {"error":"indeterminate"} (may be applied)
//	                              → 410 {"error":"session_expired"} (a late retry; indeterminate)
//	GET  /status → Status as JSON
//	GET  /metrics → Prometheus text format
//
// The optional header X-Timeout-Ms bounds the request on the node (else
// Config.RequestTimeout), so that a node answers "indeterminate" itself
// rather than leaving the client to time out.

const timeoutHeader = "X-Timeout-Ms"

// Error codes of the protocol.
const (
	codeMismatch      = "mismatch"
	codeNotLeader     = "not_leader"
	codeUnavailable   = "unavailable"
	codeIndeterminate = "indeterminate"
	codeBadRequest    = "bad_request"
	codeExpired       = "session_expired"
)

// response is the JSON body of every /kv answer.
type response struct {
	Node    string `json:"node"`
	Value   int64  `json:"value,omitempty"`
	Found   bool   `json:"found,omitempty"`
	Error   string `json:"error,omitempty"`
	Leader  string `json:"leader,omitempty"`
	Message string `json:"message,omitempty"`
}

func (n *Node) newHTTPServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /kv", n.handleKV)
	mux.HandleFunc("GET /status", n.handleStatus)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.registry, promhttp.HandlerOpts{}))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      n.cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

func (n *Node) handleKV(w http.ResponseWriter, r *http.Request) { serveKV(w, r, n.cfg, n.Do) }

// serveKV is POST /kv of a node with cfg whose requests do executes.
func serveKV(w http.ResponseWriter, r *http.Request, cfg Config, do func(context.Context, Request) (Result, error)) {
	var req Request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, response{Node: cfg.ID, Error: codeBadRequest, Message: err.Error()})
		return
	}
	if err := req.Validate(); err != nil {
		writeJSON(w, http.StatusBadRequest, response{Node: cfg.ID, Error: codeBadRequest, Message: err.Error()})
		return
	}
	timeout := cfg.RequestTimeout
	if ms, err := strconv.Atoi(r.Header.Get(timeoutHeader)); err == nil && ms > 0 {
		timeout = min(timeout, time.Duration(ms)*time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	res, err := do(ctx, req)
	status, body := responseFor(cfg.ID, res, err)
	writeJSON(w, status, body)
}

// responseFor maps Do's answer to the protocol.
func responseFor(node string, res Result, err error) (int, response) {
	body := response{Node: node}
	var nl *NotLeaderError
	switch {
	case err == nil:
		body.Value, body.Found = res.Value, res.Found
		return http.StatusOK, body
	case errors.Is(err, ErrMismatch):
		body.Error = codeMismatch
		return http.StatusConflict, body
	case errors.As(err, &nl):
		body.Error, body.Leader, body.Message = codeNotLeader, nl.Leader, err.Error()
		return http.StatusMisdirectedRequest, body
	case errors.Is(err, ErrSessionExpired):
		body.Error, body.Message = codeExpired, err.Error()
		return http.StatusGone, body
	case IsDefinite(err):
		body.Error, body.Message = codeUnavailable, err.Error()
		return http.StatusServiceUnavailable, body
	}
	body.Error, body.Message = codeIndeterminate, err.Error()
	return http.StatusGatewayTimeout, body
}

func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	st, err := n.Status(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, response{Node: n.cfg.ID, Error: codeUnavailable, Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
