package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/faultline/faultline/history"
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

// Config configures the breaker system.
type Config struct {
	// Breaker is the breaker's settings, the very value the history
	// records. With Enabled false the callers call the downstream
	// directly, which is the baseline that shows what the breaker buys.
	Breaker history.BreakerSettings
	// Net is the Toxiproxy every call goes through. Nil means the callers
	// dial the downstream directly (tests without faults).
	Net    *nemesis.Net
	Logger *slog.Logger
	// Bugs are impl/breaker bugs the breaker is built with; none by default.
	Bugs []string
}

// DefaultConfig is the breaker of DefaultSettings.
func DefaultConfig() Config {
	return Config{Breaker: DefaultSettings().BreakerSettings}
}

// Validate reports the first setting that cannot work; it wraps
// history.ErrBadConfig, and impl.ErrBadConfig for a breaker the reference
// implementation refuses.
func (c Config) Validate() error {
	if !c.Breaker.Enabled {
		return nil
	}
	_, err := breakerConfig(c.Breaker)
	return err
}

// breakerConfig is the one conversion of the settings into the reference
// breaker's Config, named "downstream", validated. It wraps
// history.ErrBadConfig and impl.ErrBadConfig.
func breakerConfig(s history.BreakerSettings) (impl.Config, error) {
	policy, err := impl.ParsePolicy(s.Policy)
	if err != nil {
		return impl.Config{}, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
	}
	c := impl.DefaultConfig()
	c.Name = "downstream"
	c.Policy, c.FailureThreshold, c.FailureRatePercent, c.MinCalls = policy, s.FailureThreshold, s.FailureRatePercent, s.MinCalls
	c.WindowSize, c.WindowDuration, c.WindowBuckets = s.WindowSize, s.WindowDuration, s.WindowBuckets
	c.SlowCallDuration, c.Timeout = s.SlowCallDuration, s.Timeout
	c.HalfOpenMaxCalls, c.SuccessThreshold = s.HalfOpenMaxCalls, s.SuccessThreshold
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
	}
	return c, nil
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &System{cfg: cfg, logger: cfg.Logger}
	if cfg.Breaker.Enabled {
		bc, err := breakerConfig(cfg.Breaker)
		if err != nil {
			return nil, err
		}
		for _, b := range cfg.Bugs {
			bc.Bugs = append(bc.Bugs, impl.Bug(b))
		}
		bc.Clock = impl.SystemClock
		bc.OnStateChange = s.onTransition
		if s.breaker, err = impl.New(bc); err != nil {
			return nil, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
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
	cfg.Logger.Info("breaker system started", "downstream", down.Addr(), "callers dial", s.addr, "breaker", cfg.Breaker.Enabled)
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

// Settings are the breaker's settings, as the history records them.
func (s *System) Settings() history.BreakerSettings { return s.cfg.Breaker }

// epoch is when the breaker's clock started; zero without a breaker.
func (s *System) epoch() time.Time {
	if s.breaker == nil {
		return time.Time{}
	}
	return s.breaker.Epoch()
}

// Run records the breaker's settings and drives the breaker workload until
// ctx is done, recording every transition as it happens. Transitions go on
// being recorded until Close, so that Recover can show the breaker closing
// again.
func (s *System) Run(ctx context.Context, rec *workloads.Recorder, wc workloads.BreakerConfig) error {
	if err := wc.Validate(); err != nil {
		return err
	}
	br, err := workloads.RecordBreakerSettings(ctx, rec, s.Settings(), s.epoch())
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
