package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/faultline/faultline/workloads"
)

var (
	_ workloads.RegisterClient = (*RegisterClient)(nil)
	_ workloads.NodeReporter   = (*RegisterClient)(nil)
)

// RegisterClient runs the register workload's operations with etcd's
// official client: a read is a linearizable Get (etcd's default, through
// ReadIndex), a write a Put, a compare-and-set a transaction that puts the
// new value if the key's value is the old one. Values are decimal strings.
//
// Only a transaction that ran and found another value is a definite
// failure (workloads.ErrMismatch). Every other error is indeterminate:
// etcd's errors say where a request stopped only loosely (a timeout after
// the proposal, a lost leader), and calling a write that did happen
// "failed" would make the checker cry wolf. clientv3 retries a request
// underneath only where it knows the request never left (no connection),
// and a read where retrying is safe; both stay within the operation's
// deadline, so the history's interval covers every attempt.
type RegisterClient struct {
	c    *clientv3.Client
	node string // the member this client calls, "" when several
}

// NewRegisterClient returns a client of the members at endpoints (their
// client URLs), reporting node as the member that answers; timeout bounds
// the connection's set-up.
func NewRegisterClient(endpoints []string, node string, timeout time.Duration) (*RegisterClient, error) {
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: timeout,
		Logger:      zap.NewNop(),
		// The members' own addresses are not the proxied ones: never
		// replace the endpoints with what the cluster advertises.
		AutoSyncInterval: 0,
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client of %v: %w", endpoints, err)
	}
	return &RegisterClient{c: c, node: node}, nil
}

// Read reads key.
func (r *RegisterClient) Read(ctx context.Context, key string) (int64, bool, error) {
	resp, err := r.c.Get(ctx, key)
	if err != nil {
		return 0, false, err
	}
	if len(resp.Kvs) == 0 {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("key %q holds %q, not a register's integer: %w", key, resp.Kvs[0].Value, err)
	}
	return v, true, nil
}

// Write writes v to key.
func (r *RegisterClient) Write(ctx context.Context, key string, v int64) error {
	_, err := r.c.Put(ctx, key, strconv.FormatInt(v, 10))
	return err
}

// CAS sets key to new if it holds old; a key that holds another value or
// none is workloads.ErrMismatch.
func (r *RegisterClient) CAS(ctx context.Context, key string, old, new int64) error {
	resp, err := r.c.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(key), "=", strconv.FormatInt(old, 10))).
		Then(clientv3.OpPut(key, strconv.FormatInt(new, 10))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return workloads.ErrMismatch
	}
	return nil
}

// LastNode is the member this client calls ("" for a client of several,
// whose balancer does not say which answered).
func (r *RegisterClient) LastNode() string { return r.node }

// Close closes the client's connections.
func (r *RegisterClient) Close() error {
	if err := r.c.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
