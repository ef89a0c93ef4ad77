package redislock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/faultline/faultline/workloads"
)

var _ workloads.FencedStore = (*ResourceClient)(nil)
var _ workloads.StoreReader = (*ResourceClient)(nil)

// ResourceClient talks to a Resource over HTTP (through its proxied link).
// A stale token is a definite failure; a request that could not be sent is
// definite; anything else without an answer is indeterminate.
type ResourceClient struct {
	base string
	http *http.Client
}

// NewResourceClient returns a client of the resource at addr.
func NewResourceClient(addr string) *ResourceClient {
	return &ResourceClient{
		base: "http://" + addr,
		// One connection per client, never retried by us; the transport
		// retries nothing for POST.
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}},
	}
}

// Close drops idle connections.
func (c *ResourceClient) Close() { c.http.CloseIdleConnections() }

// Read is a fenced read of the counter.
func (c *ResourceClient) Read(ctx context.Context, token int64) (int64, error) {
	return c.call(ctx, http.MethodPost, "/read", &resourceRequest{Token: token})
}

// Write is a fenced write of the counter.
func (c *ResourceClient) Write(ctx context.Context, token, value int64) error {
	_, err := c.call(ctx, http.MethodPost, "/write", &resourceRequest{Token: token, Value: value})
	return err
}

// Current reads the counter without a token.
func (c *ResourceClient) Current(ctx context.Context) (int64, error) {
	return c.call(ctx, http.MethodGet, "/current", nil)
}

func (c *ResourceClient) call(ctx context.Context, method, path string, in *resourceRequest) (int64, error) {
	var body bytes.Buffer
	if in != nil {
		_ = json.NewEncoder(&body).Encode(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, &body)
	if err != nil {
		return 0, workloads.Definite(fmt.Errorf("building request %s: %w", path, err))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return 0, workloads.Definite(fmt.Errorf("resource %s: not sent: %w", path, err))
		}
		return 0, fmt.Errorf("resource %s: %w", path, err)
	}
	defer resp.Body.Close()
	var out resourceAnswer
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		if resp.StatusCode == http.StatusBadRequest {
			return 0, workloads.Definite(fmt.Errorf("resource %s: refused as a bad request", path))
		}
		return 0, fmt.Errorf("resource %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode == http.StatusConflict {
		return 0, workloads.Definite(fmt.Errorf("resource %s: %w (%s)", path, ErrStaleToken, out.Error))
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("resource %s: unexpected status %s", path, resp.Status)
	}
	return out.Value, nil
}
