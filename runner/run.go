package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/workloads"
)

// Outcome is what a finished run reports.
type Outcome struct {
	ID      string
	Dir     string
	Summary *checker.Summary // nil when the run was interrupted before its check
	// Interrupted is true when the caller's context ended the run early.
	Interrupted bool
	// Shrunk is the failing key's shrunk history of an invalid register
	// run (Config.ShrinkTimeout), nil when it was not shrunk.
	Shrunk *checker.ShrinkResult
}

// Valid is the run's verdict: unknown when it was interrupted.
func (o *Outcome) Valid() checker.Validity {
	if o.Summary == nil {
		return checker.Unknown
	}
	return o.Summary.Valid
}

// healTimeout bounds healing and stopping at the end of a run, so that a
// wedged Toxiproxy or node cannot hold the harness forever.
const healTimeout = 20 * time.Second

// run is the state of one run, so that cleanup can undo whatever was
// started, whichever step failed.
type run struct {
	cfg    Config
	id     string
	dir    string
	logger *slog.Logger
	meta   *runMeta

	server *nemesis.Server
	net    *nemesis.Net
	hist   *history.Writer
	sys    systems.System
	target systems.Target
	nem    *nemesis.Nemesis
	// targetNet: the system brings its own Toxiproxy (systems.NetOwner);
	// net is the target's, and the target's Stop removes it.
	targetNet bool

	cleanOnce sync.Once
}

// Run runs one test as cfg says and checks it. It returns an error wrapping
// history.ErrBadConfig for a configuration that cannot run (nothing is started then),
// and another error when the harness itself failed; the verdict is in the
// Outcome. Cancelling ctx (Ctrl-C, SIGTERM) stops the run early: faults are
// healed, processes stopped, the history closed, and the outcome is marked
// interrupted.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) (out *Outcome, err error) {
	cfg = cfg.resolve()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nemCfg, err := nemesisConfig(cfg)
	if err != nil {
		return nil, err
	}
	if p, ok := cfg.Settings.(systems.Preflighter); ok {
		if err := p.Preflight(ctx); err != nil {
			return nil, err
		}
	}
	sys, _ := cfg.Systems.Lookup(cfg.System)
	start := time.Now()
	owner, _ := cfg.Settings.(systems.NetOwner)
	ownsNet := owner != nil && owner.OwnsNet()
	if ownsNet && cfg.Toxiproxy != "" {
		return nil, fmt.Errorf("%w: this %s run brings its own Toxiproxy (a container on the system's network); leave --toxiproxy out",
			history.ErrBadConfig, cfg.System)
	}
	r := &run{cfg: cfg, id: runID(cfg, start), logger: logger, sys: sys, targetNet: ownsNet}
	if cfg.Toxiproxy != "" {
		// An external Toxiproxy that does not answer is bad input: say so
		// before a run directory exists.
		if r.net, err = nemesis.Connect(ctx, cfg.Toxiproxy); err != nil {
			return nil, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
	}
	r.dir = filepath.Join(cfg.Results, r.id)
	if err := r.createDir(start); err != nil {
		return nil, err
	}
	defer func() {
		// A panic inside the harness still heals every fault and stops
		// every process (cleanup ran first), and ends as a harness failure
		// (exit 255) with its stack in the log, not as a crash.
		if p := recover(); p != nil {
			r.cleanup()
			logger.Error("the harness panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("the harness panicked (faults healed, processes stopped): %v", p)
			r.meta.finish(r.dir, "failed", err)
		}
	}()
	defer r.cleanup()
	out, err = r.execute(ctx, nemCfg)
	switch {
	case err != nil:
		r.meta.finish(r.dir, "failed", err)
	case out.Interrupted:
		r.meta.finish(r.dir, "interrupted", nil)
	default:
		r.meta.finish(r.dir, "complete", nil)
	}
	return out, err
}

func (r *run) createDir(start time.Time) error {
	if err := os.MkdirAll(r.cfg.Results, 0o755); err != nil {
		return fmt.Errorf("%w: cannot create the results directory: %w; name a writable results directory", history.ErrBadConfig, err)
	}
	// Runs of the same system, workload and seed that start in the same
	// second (a detection campaign's parallel runs) get their own
	// directories: -2, -3, …
	base := r.id
	for n := 2; ; n++ {
		err := os.Mkdir(r.dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || n > 100 {
			return fmt.Errorf("%w: cannot create the run directory: %w; name a writable results directory", history.ErrBadConfig, err)
		}
		r.id = fmt.Sprintf("%s-%d", base, n)
		r.dir = filepath.Join(r.cfg.Results, r.id)
	}
	if err := os.Mkdir(filepath.Join(r.dir, "logs"), 0o755); err != nil {
		return fmt.Errorf("creating the logs directory: %w", err)
	}
	r.meta = newRunMeta(r.cfg, r.id, start)
	if err := r.meta.write(r.dir); err != nil {
		return fmt.Errorf("writing run.json: %w", err)
	}
	linkLatest(r.cfg.Results, r.id, r.logger)
	return nil
}

func (r *run) execute(ctx context.Context, nemCfg nemesis.Config) (*Outcome, error) {
	out := &Outcome{ID: r.id, Dir: r.dir}
	if !r.targetNet {
		if err := r.startNet(ctx); err != nil {
			return out, err
		}
	}
	hist, err := history.Create(filepath.Join(r.dir, "history.jsonl"))
	if err != nil {
		return out, err
	}
	r.hist = hist

	env := &systems.Env{
		Run: r.cfg.run(), Settings: r.cfg.Settings, Dir: r.dir, LogDir: filepath.Join(r.dir, "logs"),
		Net: r.net, NodeBinary: r.cfg.NodeBinary, Logger: r.logger,
	}
	target, err := r.sys.Start(ctx, env)
	if err != nil {
		return out, fmt.Errorf("starting %s: %w", r.cfg.System, err)
	}
	r.target = target
	if r.targetNet {
		nt, ok := target.(systems.NetTarget)
		if !ok || nt.Net() == nil {
			return out, fmt.Errorf("starting %s: its settings say it brings its own Toxiproxy, but the started system has none", r.cfg.System)
		}
		r.net = nt.Net()
		r.meta.ToxiproxyURL = r.net.URL()
	}
	r.meta.Labels = target.Labels()
	r.meta.Nodes = target.Nodes()
	_ = r.meta.write(r.dir)

	nem, err := nemesis.New(nemCfg, nemesis.Deps{
		Net:       r.net,
		Nodes:     target.Nodes(),
		Processes: target.Processes(),
		Leader:    target,
		Recorder:  hist,
		Logger:    r.logger,
	})
	if err != nil {
		if !errors.Is(err, history.ErrBadConfig) {
			err = fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
		return out, err
	}
	r.nem = nem
	rec := workloads.NewRecorder(hist)

	if err := r.drive(ctx, rec); err != nil {
		return out, err
	}
	if ctx.Err() != nil {
		r.cleanup()
		out.Interrupted = true
		return out, nil
	}
	r.final(ctx, rec)
	r.cleanup()
	if ctx.Err() != nil {
		out.Interrupted = true
		return out, nil
	}
	sum, err := CheckDir(ctx, r.dir, r.cfg, r.logger)
	if err != nil {
		return out, err
	}
	out.Summary = sum
	out.Shrunk = r.autoShrink(ctx, sum)
	return out, nil
}

// startNet starts the embedded Toxiproxy, unless Run already connected to
// an external one.
func (r *run) startNet(ctx context.Context) error {
	if r.net == nil {
		srv, err := nemesis.StartServer(ctx, r.logger)
		if err != nil {
			return fmt.Errorf("starting the embedded toxiproxy: %w", err)
		}
		r.server = srv
		if r.net, err = nemesis.Connect(ctx, srv.URL()); err != nil {
			return err
		}
	}
	r.meta.ToxiproxyURL = r.net.URL()
	return nil
}

// drive runs the workload and the nemesis together for the configured time,
// with the live status line.
func (r *run) drive(ctx context.Context, rec *workloads.Recorder) error {
	wctx, cancel := context.WithTimeout(ctx, r.cfg.Time)
	defer cancel()
	stopStatus := r.reportStatus(wctx, rec)
	defer stopStatus()
	g, gctx := errgroup.WithContext(wctx)
	g.Go(func() error {
		if err := r.nem.Run(gctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("nemesis: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		if err := r.target.Run(gctx, rec); err != nil {
			return fmt.Errorf("workload: %w", err)
		}
		return nil
	})
	return g.Wait()
}

// final heals every fault and gives the system RecoveryTime to answer the
// final phase.
func (r *run) final(ctx context.Context, rec *workloads.Recorder) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healTimeout)
	if err := r.nem.HealAll(hctx); err != nil {
		r.logger.Error("healing before the final phase", "err", err)
	}
	cancel()
	fctx, cancel := context.WithTimeout(ctx, r.cfg.RecoveryTime)
	defer cancel()
	if err := r.target.Final(fctx, rec); err != nil {
		r.logger.Warn("final phase incomplete", "err", err)
	}
}

// cleanup heals every fault, stops the system, closes the history and the
// embedded Toxiproxy. It runs once, whichever path leads to it.
func (r *run) cleanup() {
	r.cleanOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), healTimeout)
		defer cancel()
		if r.nem != nil {
			if err := r.nem.HealAll(ctx); err != nil {
				r.logger.Error("healing faults", "err", err)
			}
		} else if r.net != nil {
			if err := r.net.HealAll(ctx); err != nil {
				r.logger.Error("healing proxies", "err", err)
			}
		}
		if r.target != nil {
			if err := r.target.Stop(ctx); err != nil {
				r.logger.Error("stopping the system", "err", err)
			}
		}
		if r.net != nil && !r.targetNet {
			if err := r.net.Close(ctx); err != nil {
				r.logger.Warn("removing the run's proxies", "err", err)
			}
		}
		if r.hist != nil {
			if err := r.hist.Close(); err != nil {
				r.logger.Error("closing the history", "err", err)
			}
		}
		if r.server != nil {
			if err := r.server.Close(); err != nil {
				r.logger.Warn("stopping the embedded toxiproxy", "err", err)
			}
		}
	})
}
