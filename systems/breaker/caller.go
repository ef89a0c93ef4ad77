package breaker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	impl "github.com/faultline/faultline/impl/breaker"
	"github.com/faultline/faultline/workloads"
)

// ErrDownstream is wrapped by every answer of the downstream other than 200.
var ErrDownstream = errors.New("the downstream answered with an error")

// Caller calls the downstream at one address, through a breaker or (with
// a nil breaker) directly. It is a workloads.BreakerClient.
type Caller struct {
	url     string
	client  *http.Client
	breaker *impl.Breaker
}

var _ workloads.BreakerClient = (*Caller)(nil)

// NewCaller returns a caller of the downstream at addr (host:port) through
// b; b nil means no breaker. Connections are kept alive, as a real client
// would, so a fault also hits calls on connections already open.
func NewCaller(addr string, b *impl.Breaker) *Caller {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Caller{url: "http://" + addr + CallPath, client: &http.Client{Transport: tr}, breaker: b}
}

// Close drops the caller's idle connections.
func (c *Caller) Close() { c.client.CloseIdleConnections() }

// get makes one call to the downstream.
func (c *Caller) get(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return fmt.Errorf("building the downstream request: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("calling the downstream: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("reading the downstream's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s", ErrDownstream, resp.Status)
	}
	return nil
}

// Call makes one call and says what happened.
func (c *Caller) Call(ctx context.Context) workloads.BreakerObservation {
	if c.breaker == nil {
		err := c.get(ctx)
		return workloads.BreakerObservation{
			Admitted: true, Outcome: impl.DefaultClassifier(ctx, err).String(),
			Downstream: downstreamSaid(ctx, err, true), Error: errText(err),
		}
	}
	called := false
	var callErr error
	r, err := c.breaker.Run(ctx, func(ctx context.Context) error {
		called = true
		callErr = c.get(ctx)
		return callErr
	})
	return observe(r, err, downstreamSaid(ctx, callErr, called))
}

// observe turns the breaker's receipt into the workload's observation.
func observe(r impl.Receipt, err error, downstream string) workloads.BreakerObservation {
	o := workloads.BreakerObservation{
		Admitted: r.Admitted, Gen: r.Gen, AdmitSeq: r.AdmitSeq, Outcome: r.Outcome.String(),
		Late: r.Late, Seq: r.Seq, At: r.At, Downstream: downstream, Error: errText(err),
	}
	switch {
	case errors.Is(err, impl.ErrOpen):
		o.Reason = "open"
	case errors.Is(err, impl.ErrTooManyTrials):
		o.Reason = "trials"
	}
	if r.Admitted || r.Outcome == impl.Rejected {
		o.State = r.State.String()
	}
	return o
}

// downstreamSaid names what the downstream did: ok, error, timeout or
// cancelled, or "" when it was not called.
func downstreamSaid(ctx context.Context, err error, called bool) string {
	switch {
	case !called:
		return ""
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return "cancelled"
	}
	return "error"
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
