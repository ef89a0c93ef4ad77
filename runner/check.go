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
)

// CheckOptions adjusts a re-check of a stored run.
type CheckOptions struct {
	// CheckTimeout overrides the run's own time limit when not zero.
	CheckTimeout time.Duration
	// Workload names the workload of a bare history file (default
	// register); a run directory's run.json says its own.
	Workload string
}

// Check re-checks the run stored in dir from its history.jsonl, with the
// workload and requested faults of its run.json (the register workload
// when there is none), and rewrites its summary.json and reports. Given a
// history file instead of a directory — one recorded by another tool — it
// checks the file and writes nothing.
func Check(ctx context.Context, dir string, opts CheckOptions, logger *slog.Logger) (*checker.Summary, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a run directory (it should hold history.jsonl) nor a history file", ErrBadInput, dir)
	}
	cfg := DefaultConfig()
	cfg.Workload = "register"
	if opts.Workload != "" {
		cfg.Workload = opts.Workload
	}
	cfg.Nemesis = nil
	if opts.CheckTimeout > 0 {
		cfg.CheckTimeout = opts.CheckTimeout
	}
	if !st.IsDir() {
		return checkFile(ctx, dir, cfg, logger)
	}
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
	sum, err := checkFile(ctx, filepath.Join(dir, "history.jsonl"), cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := writeReports(ctx, dir, sum); err != nil {
		return sum, err
	}
	return sum, nil
}

// checkFile checks the history at path as cfg's workload.
func checkFile(ctx context.Context, path string, cfg Config, logger *slog.Logger) (*checker.Summary, error) {
	h, err := history.ReadFile(path)
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
	return sum, nil
}

// writeReports writes summary.json and the HTML pages of a checked run.
func writeReports(ctx context.Context, dir string, sum *checker.Summary) error {
	if err := sum.WriteArtifacts(ctx, dir); err != nil {
		return fmt.Errorf("writing the reports: %w", err)
	}
	return nil
}
