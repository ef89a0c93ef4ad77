package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
)

// CheckOptions adjusts a re-check of a stored run.
type CheckOptions struct {
	// CheckTimeout overrides the run's own time limit when not zero.
	CheckTimeout time.Duration
	// Workload names the workload of a bare history file (default
	// register); a run directory's run.json says its own.
	Workload string
	// Systems is the registry whose checkers apply; nil means the built-in
	// systems.
	Systems *systems.Registry
}

// Check re-checks the run stored in dir from its history.jsonl, with the
// workload and requested faults of its run.json (the register workload
// when there is none), and rewrites its summary.json and reports. Given a
// history file instead of a directory — one recorded by another tool — it
// checks the file and writes nothing.
func Check(ctx context.Context, dir string, opts CheckOptions, logger *slog.Logger) (*checker.Summary, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a run directory (it should hold history.jsonl) nor a history file", history.ErrBadConfig, dir)
	}
	cfg := DefaultConfig()
	cfg.Systems = opts.Systems
	cfg.System = ""
	cfg.Workload = "register"
	if opts.Workload != "" {
		cfg.Workload = opts.Workload
	}
	cfg.Nemesis = nil
	if st.IsDir() {
		meta, ok, err := readRunMeta(dir, cfg.registry())
		if err != nil {
			return nil, err
		}
		if ok {
			meta.Config.Systems = opts.Systems
			cfg = meta.Config
		} else {
			logger.Info("no run.json: assuming the register workload", "dir", dir)
		}
	}
	if opts.CheckTimeout > 0 {
		cfg.CheckTimeout = opts.CheckTimeout
	}
	if !st.IsDir() {
		return checkFile(ctx, dir, cfg, logger)
	}
	return CheckDir(ctx, dir, cfg, logger)
}

// CheckDir checks dir/history.jsonl as cfg's workload and writes
// summary.json, linearizability.html and report.html beside it.
func CheckDir(ctx context.Context, dir string, cfg Config, logger *slog.Logger) (*checker.Summary, error) {
	sum, err := checkFile(ctx, filepath.Join(dir, "history.jsonl"), cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := sum.WriteArtifacts(ctx, dir); err != nil {
		return sum, fmt.Errorf("writing the reports: %w", err)
	}
	return sum, nil
}

// checkFile checks the history at path as cfg's workload, with the checkers
// of cfg's system — or, for a history recorded elsewhere, of the first
// system that runs the workload.
func checkFile(ctx context.Context, path string, cfg Config, logger *slog.Logger) (*checker.Summary, error) {
	reg := cfg.registry()
	sys, ok := reg.Lookup(cfg.System)
	if !ok {
		if sys, ok = reg.ForWorkload(cfg.Workload); !ok {
			return nil, fmt.Errorf("%w: no checker for workload %q; valid workloads: %v", history.ErrBadConfig, cfg.Workload, reg.Workloads())
		}
	}
	h, err := history.ReadFile(path)
	if err != nil {
		if errors.Is(err, history.ErrMalformed) || errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
		return nil, err
	}
	if h.TornTail {
		logger.Warn("the history's last line was torn (the run was killed mid-write); it was dropped")
	}
	sum, err := checker.Check(ctx, h.Ops, checker.Options{
		Workload:        cfg.Workload,
		Checkers:        sys.Checkers(cfg.Workload, cfg.CheckTimeout),
		TimeLimit:       cfg.CheckTimeout,
		RequestedFaults: cfg.Nemesis,
		TornTail:        h.TornTail,
	})
	if err != nil {
		if errors.Is(err, checker.ErrBadHistory) || errors.Is(err, checker.ErrOptions) {
			return nil, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
		return nil, err
	}
	return sum, nil
}
