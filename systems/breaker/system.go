package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	impl "github.com/faultline/faultline/impl/breaker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/workloads"
)

// The two ends of the one link, as the nemesis sees them. Both are nodes,
// so partitions and node-link toxics act on the link between them.
const (
	ClientNode     = "client"
	DownstreamNode = "downstream"
)

// ErrBadConfig is wrapped by every configuration error.
var ErrBadConfig = errors.New("bad breaker system configuration")

// Config configures the breaker system.
type Config struct {
	// Breaker is the breaker's settings. Start sets its OnStateChange (to
	// record transitions) and its Clock (the real one).
	Breaker impl.Config
	// Enabled is --breaker on|off: off, the callers call the downstream
	// directly, which is the baseline that shows what the breaker buys.
	Enabled bool
	// Net is the Toxiproxy every call goes through. Nil means the callers
	// dial the downstream directly (tests without faults).
	Net    *nemesis.Net
	Logger *slog.Logger
}

// DefaultConfig is a breaker that trips after five consecutive failures,
// stays open one second, then lets three trial calls through and closes
// after two successes.
func DefaultConfig() Config {
	b := impl.DefaultConfig()
	b.Name = "downstream"
	b.Timeout = time.Second
	b.HalfOpenMaxCalls, b.SuccessThreshold = 3, 2
	return Config{Breaker: b, Enabled: true}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	if err := c.Breaker.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return nil
}

// System is a running downstream with the breaker in front of it.
type System struct {
	cfg     Config
	down    *Downstream
	addr    string // where callers dial: the proxy, or the downstream itself
	breaker *impl.Breaker
	sink    atomic.Pointer[workloads.BreakerRecorder]
	logger  *slog.Logger

	recorder *workloads.BreakerRecorder // set by Run; Recover records through it
}

// Start starts the downstream, puts it behind a proxy of cfg.Net, and
// builds the breaker. On error it stops what it started.
func Start(ctx context.Context, cfg Config) (*System, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &System{cfg: cfg, logger: cfg.Logger}
	if cfg.Enabled {
		bc := cfg.Breaker
		bc.Clock = impl.SystemClock
		bc.OnStateChange = s.onTransition
		b, err := impl.New(bc)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
		}
		s.breaker = b
	}
	down, err := StartDownstream(ctx, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s.down, s.addr = down, down.Addr()
	if cfg.Net != nil {
		s.addr, err = cfg.Net.AddLink(ctx, ClientNode, DownstreamNode, down.Addr())
		if err != nil {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return nil, errors.Join(fmt.Errorf("putting the downstream behind toxiproxy: %w", err), down.Close(closeCtx))
		}
	}
	cfg.Logger.Info("breaker system started", "downstream", down.Addr(), "callers dial", s.addr, "breaker", cfg.Enabled)
	return s, nil
}

func (s *System) onTransition(t impl.Transition) {
	s.logger.Info("breaker transition", "from", t.From, "to", t.To, "gen", t.Gen)
	if rec := s.sink.Load(); rec != nil {
		rec.Transition(workloads.BreakerTransition{From: t.From.String(), To: t.To.String(), Gen: t.Gen, At: t.At})
	}
}

// Nodes are the two ends of the link.
func (s *System) Nodes() []string { return []string{ClientNode, DownstreamNode} }

// Breaker is the breaker, nil when it is off.
func (s *System) Breaker() *impl.Breaker { return s.breaker }

// DownstreamAddr is where the downstream listens; CallAddr is where the
// callers dial (the proxy when there is one).
func (s *System) DownstreamAddr() string { return s.down.Addr() }

// CallAddr is where callers dial.
func (s *System) CallAddr() string { return s.addr }

// Settings are the breaker's settings for the history.
func (s *System) Settings() workloads.BreakerSettings {
	if s.breaker == nil {
		return workloads.BreakerSettings{}
	}
	c := s.cfg.Breaker
	return workloads.BreakerSettings{
		Enabled: true, Policy: c.Policy.String(), FailureThreshold: c.FailureThreshold,
		FailureRatePercent: c.FailureRatePercent, MinCalls: c.MinCalls, WindowSize: c.WindowSize,
		WindowDuration: c.WindowDuration, WindowBuckets: c.WindowBuckets, SlowCallDuration: c.SlowCallDuration,
		Timeout: c.Timeout, HalfOpenMaxCalls: c.HalfOpenMaxCalls, SuccessThreshold: c.SuccessThreshold,
		Epoch: s.breaker.Epoch(),
	}
}

// Run records the breaker's settings and drives the breaker workload until
// ctx is done, recording every transition as it happens. Transitions go on
// being recorded until Close, so that Recover can show the breaker closing
// again.
func (s *System) Run(ctx context.Context, rec *workloads.Recorder, wc workloads.BreakerConfig) error {
	if err := wc.Validate(); err != nil {
		return err
	}
	br, err := workloads.RecordBreakerSettings(ctx, rec, s.Settings())
	if err != nil {
		return err
	}
	s.recorder = br
	s.sink.Store(br)
	clients := make([]workloads.BreakerClient, wc.Concurrency)
	for i := range clients {
		c := NewCaller(s.addr, s.breaker)
		defer c.Close()
		clients[i] = c
	}
	return workloads.RunBreaker(ctx, wc, br, clients)
}

// Recover calls the downstream once every pause, as process, until a call
// succeeds through a closed breaker (or, without a breaker, at all): after
// the faults are healed this shows the breaker closing again. It fails
// when ctx ends first.
func (s *System) Recover(ctx context.Context, process int, pause, opTimeout time.Duration) error {
	if s.recorder == nil {
		return errors.New("recovering: the workload never ran")
	}
	c := NewCaller(s.addr, s.breaker)
	defer c.Close()
	for {
		o, err := workloads.BreakerCallOnce(ctx, s.recorder, process, opTimeout, c)
		if err != nil {
			return err
		}
		if o.Downstream == "ok" && (o.State == "" || o.State == "CLOSED") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the breaker did not close again before the recovery time ran out: %w", ctx.Err())
		case <-time.After(pause):
		}
	}
}

// Close stops recording transitions (call it before the history closes).
func (s *System) Close() {
	s.sink.Store(nil)
	if s.recorder != nil {
		s.recorder.Stop()
	}
}

// Stop stops recording and stops the downstream. It is safe to call more
// than once.
func (s *System) Stop(ctx context.Context) error {
	s.Close()
	if s.down == nil {
		return nil
	}
	err := s.down.Close(ctx)
	s.down = nil
	return err
}
