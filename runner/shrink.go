package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
)

// Shrink shrinks the invalid register run stored in dir to the few
// operations of one key that are still not linearizable (checker.Shrink),
// and writes shrunk.jsonl, shrunk.json and shrunk.svg beside its history.
// A run of another workload, a directory without history.jsonl and a
// malformed history are bad input (history.ErrBadConfig); a run that is not
// known to be invalid is an error wrapping checker.ErrNotInvalid. A
// directory without run.json is taken to hold a register history, as
// `faultline check` does.
func Shrink(ctx context.Context, dir string, opts checker.ShrinkOptions, reg *systems.Registry, logger *slog.Logger) (*checker.ShrinkResult, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a run directory (it should hold %s)", history.ErrBadConfig, dir, checker.HistoryFile)
	}
	if _, err := os.Stat(filepath.Join(dir, checker.HistoryFile)); err != nil {
		return nil, fmt.Errorf("%w: %s has no %s: it is not the results directory of a run", history.ErrBadConfig, dir, checker.HistoryFile)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.json")); err == nil {
		cfg, err := LoadRun(dir, reg)
		if err != nil {
			return nil, err
		}
		if cfg.Workload != checker.WorkloadRegister {
			return nil, fmt.Errorf("%w: %s is a run of the %s workload (system %s); shrink needs a %s run, whose history is checked for linearizability",
				history.ErrBadConfig, dir, cfg.Workload, cfg.System, checker.WorkloadRegister)
		}
	} else {
		logger.Info("no run.json: assuming the register workload", "dir", dir)
	}
	return shrinkDir(ctx, dir, opts, logger)
}

// shrinkDir shrinks the register history in dir and writes the shrunk
// files beside it.
func shrinkDir(ctx context.Context, dir string, opts checker.ShrinkOptions, logger *slog.Logger) (*checker.ShrinkResult, error) {
	path := filepath.Join(dir, checker.HistoryFile)
	h, err := history.ReadFile(path)
	if err != nil {
		if errors.Is(err, history.ErrMalformed) {
			return nil, fmt.Errorf("%w: %w", history.ErrBadConfig, err)
		}
		return nil, err
	}
	if h.TornTail {
		logger.Warn("the history's last line was torn (the run was killed mid-write); it was dropped")
	}
	res, err := checker.Shrink(ctx, h.Ops, opts)
	if err != nil {
		if errors.Is(err, checker.ErrBadHistory) || errors.Is(err, checker.ErrOptions) {
			return nil, fmt.Errorf("%w: %s: %w", history.ErrBadConfig, path, err)
		}
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if err := res.WriteFiles(dir); err != nil {
		return res, err
	}
	return res, nil
}

// autoShrink shrinks an invalid register run as it ends, within the run's
// ShrinkTimeout (0: not at all), and rewrites report.html to show the
// result. A shrink that fails or finds nothing to shrink is logged: the
// verdict stands either way.
func (r *run) autoShrink(ctx context.Context, sum *checker.Summary) *checker.ShrinkResult {
	if r.cfg.ShrinkTimeout <= 0 || r.cfg.Workload != checker.WorkloadRegister || sum.Valid != checker.Invalid {
		return nil
	}
	res, err := shrinkDir(ctx, r.dir, checker.ShrinkOptions{Timeout: r.cfg.ShrinkTimeout}, r.logger)
	switch {
	case errors.Is(err, checker.ErrNotInvalid):
		r.logger.Info("nothing to shrink: the anomaly is not in the linearizability check", "why", err)
		return nil
	case err != nil:
		r.logger.Warn("shrinking the invalid history failed; faultline shrink can try again", "err", err)
		return nil
	}
	if err := sum.WriteReport(filepath.Join(r.dir, checker.ReportFile)); err != nil {
		r.logger.Warn("rewriting report.html with the shrunk history", "err", err)
	}
	return res
}
