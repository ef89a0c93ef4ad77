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
	path := filepath.Join(dir, checker.HistoryFile)
	if _, err := os.Stat(path); err != nil {
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
