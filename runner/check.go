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
	"github.com/faultline/faultline/workloads/history"
)

// CheckOptions adjusts a re-check of a stored run.
type CheckOptions struct {
	// CheckTimeout overrides the run's own time limit when not zero.
	CheckTimeout time.Duration
}

// Check re-checks the run stored in dir from its history.jsonl, with the
// workload and requested faults of its run.json (the register workload
// when there is none), and rewrites its summary.json and reports.
func Check(ctx context.Context, dir string, opts CheckOptions, logger *slog.Logger) (*checker.Summary, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a run directory (it should hold history.jsonl)", ErrBadInput, dir)
	}
	cfg := DefaultConfig()
	cfg.Workload = "register"
	cfg.Nemesis = nil
	meta, ok, err := readRunMeta(dir)
	if err != nil {
		return nil, err
	}
	if ok {
		cfg = meta.Config
	} else {
		logger.Info("no run.json: assuming the register workload", "dir", dir)
	}
	if opts.CheckTimeout > 0 {
		cfg.CheckTimeout = opts.CheckTimeout
	}
	return CheckDir(ctx, dir, cfg, logger)
}

// CheckDir checks dir/history.jsonl as cfg's workload and writes
// summary.json, linearizability.html and report.html beside it.
func CheckDir(ctx context.Context, dir string, cfg Config, logger *slog.Logger) (*checker.Summary, error) {
	h, err := history.ReadFile(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		if errors.Is(err, history.ErrMalformed) || errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		return nil, err
	}
	if h.TornTail {
		logger.Warn("the history's last line was torn (the run was killed mid-write); it was dropped")
	}
	extra, ok := Checkers[cfg.Workload]
	if !ok {
		return nil, fmt.Errorf("%w: no checker for workload %q", ErrBadInput, cfg.Workload)
	}
	sum, err := checker.Check(ctx, h.Ops, checker.Options{
		Workload:        cfg.Workload,
		Checkers:        extra(cfg),
		TimeLimit:       cfg.CheckTimeout,
		RequestedFaults: cfg.Nemesis,
		TornTail:        h.TornTail,
	})
	if err != nil {
		if errors.Is(err, checker.ErrBadHistory) || errors.Is(err, checker.ErrOptions) {
			return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		return nil, err
	}
	if err := writeReports(ctx, dir, sum); err != nil {
		return sum, err
	}
	return sum, nil
}

// writeReports writes summary.json and the HTML pages of a checked run.
func writeReports(ctx context.Context, dir string, sum *checker.Summary) error {
	if err := sum.WriteArtifacts(ctx, dir); err != nil {
		return fmt.Errorf("writing the reports: %w", err)
	}
	return nil
}
