package raftkv

import (
	"context"
	"errors"
	"time"

	"github.com/faultline/faultline/impl/raftkv"
	"github.com/faultline/faultline/workloads"
)

var _ workloads.RegisterClient = (*RegisterClient)(nil)

// RegisterClient adapts the Raft KV client to the register workload,
// sorting its errors into definite and indeterminate as impl/raftkv
// documents them.
type RegisterClient struct {
	C *raftkv.Client
	// Prefix is put before every key on the wire (not in the history):
	// a cluster that outlives the run (a Compose stack's) starts every
	// run's registers absent all the same.
	Prefix string
}

// NewRegisterClient returns a register client that reaches the nodes at
// addrs (node id → client address, proxied or not), with timeout per call,
// calling first the node that routing (workloads.Route*) picks: home for a
// bound client.
func NewRegisterClient(addrs map[string]string, timeout time.Duration, routing, home string) (*RegisterClient, error) {
	cc := raftkv.DefaultClientConfig()
	cc.Nodes = addrs
	if timeout > 0 {
		cc.Timeout = timeout
	}
	if routing != "" {
		cc.Routing, cc.Home = raftkv.Routing(routing), home
	}
	c, err := raftkv.NewClient(cc)
	if err != nil {
		return nil, err
	}
	return &RegisterClient{C: c}, nil
}

// classify maps the client's errors to the workload's.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raftkv.ErrMismatch):
		return workloads.ErrMismatch
	case raftkv.IsDefinite(err):
		return workloads.Definite(err)
	}
	return err
}

// Read reads key.
func (k *RegisterClient) Read(ctx context.Context, key string) (int64, bool, error) {
	v, found, err := k.C.Read(ctx, k.Prefix+key)
	return v, found, classify(err)
}

// Write writes v to key.
func (k *RegisterClient) Write(ctx context.Context, key string, v int64) error {
	return classify(k.C.Write(ctx, k.Prefix+key, v))
}

// CAS sets key to new if it holds old.
func (k *RegisterClient) CAS(ctx context.Context, key string, old, new int64) error {
	return classify(k.C.CAS(ctx, k.Prefix+key, old, new))
}

// LastNode is the node that answered the last call.
func (k *RegisterClient) LastNode() string { return k.C.LastNode() }

// Close releases the client's idle connections.
func (k *RegisterClient) Close() { k.C.Close() }
