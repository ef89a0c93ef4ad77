package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newDetectCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var (
		cfg       = runner.DetectConfig{Systems: reg, Results: "results"}
		seeds     int
		firstSeed int64
		bar       float64
		verbose   bool
	)
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Run every bug of the bug catalogs under the faults that expose it, and the correct systems as controls",
		Long: "Detect runs each bug of every system's bug catalog (faultline list) under the faults that expose it,\n" +
			"once per seed, and each correct system under the same faults, then prints and writes (detect.json,\n" +
			"detect.md) a table: bug, faults, caught in N of M seeds, the median time from the start of a run\n" +
			"to its first anomalous operation, and the false alarms on the correct systems.\n" +
			"Exit codes: 0 when every bug was caught in at least --bar of its runs and no correct system was\n" +
			"invalid, 1 otherwise, 2 when interrupted, 254 bad input.",
		Example: "  faultline detect --seeds 10\n  faultline detect --seeds 3 --bug stale-read --bug redislock/token-reuse",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seeds < 1 {
				return fmt.Errorf("%w: --seeds must be at least 1, got %d", history.ErrBadConfig, seeds)
			}
			if cfg.ControlSeeds < 0 {
				return fmt.Errorf("%w: --control-seeds must not be negative, got %d", history.ErrBadConfig, cfg.ControlSeeds)
			}
			if cfg.Parallel < 1 {
				return fmt.Errorf("%w: --parallel must be at least 1, got %d", history.ErrBadConfig, cfg.Parallel)
			}
			if bar < 0 || bar > 1 {
				return fmt.Errorf("%w: --bar is a fraction between 0 and 1, got %g", history.ErrBadConfig, bar)
			}
			for i := range seeds {
				cfg.Seeds = append(cfg.Seeds, firstSeed+int64(i))
			}
			if err := setNodeBinary(&cfg.NodeBinary); err != nil {
				return err
			}
			cfg.Progress = func(r runner.DetectRun) {
				first := ""
				if r.FirstAnomaly >= 0 {
					first = fmt.Sprintf(", first anomaly at %s", r.FirstAnomaly.Round(10*time.Millisecond))
				}
				line := fmt.Sprintf("%-40s seed %-3d %-7s%s (%s)", r.Case, r.Seed, r.Valid, first, r.Elapsed.Round(time.Second))
				if r.Error != "" {
					line += ": " + r.Error
				}
				fmt.Fprintln(stderr, line)
			}
			rep, err := runner.Detect(cmd.Context(), cfg, newLogger(stderr, verbose))
			if rep == nil {
				return err
			}
			fmt.Fprint(stdout, rep.Table())
			fmt.Fprintf(stdout, "results: %s\n", rep.Dir)
			if err != nil {
				return err
			}
			st.code = runner.ExitValid
			switch {
			case rep.Interrupted:
				st.code = runner.ExitUnknown
			case len(rep.BelowBar(bar)) > 0 || len(rep.FalseAlarms()) > 0:
				if m := rep.BelowBar(bar); len(m) > 0 {
					fmt.Fprintf(stdout, "caught in fewer than %.0f%% of runs: %s\n", 100*bar, strings.Join(m, ", "))
				}
				if f := rep.FalseAlarms(); len(f) > 0 {
					fmt.Fprintf(stdout, "false alarms: %s\n", strings.Join(f, ", "))
				}
				st.code = runner.ExitInvalid
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&seeds, "seeds", 10, "how many seeds each case runs with")
	f.IntVar(&cfg.ControlSeeds, "control-seeds", 0, "run the correct systems with only the first N seeds (default: every seed)")
	f.Int64Var(&firstSeed, "first-seed", 1, "the first seed; the others follow it")
	f.DurationVar(&cfg.Time, "time", 0, "run time of every case (default: each exposure's own)")
	f.StringArrayVar(&cfg.Bugs, "bug", nil, "only this bug, as system/bug or bug (repeatable; default: every bug of every catalog)")
	f.StringVar(&cfg.Results, "results", cfg.Results, "directory under which the campaign's directory is made")
	f.IntVar(&cfg.Parallel, "parallel", 1, "how many runs go at once")
	f.Float64Var(&bar, "bar", 0.9, "the fraction of runs in which each bug must be caught")
	f.BoolVarP(&verbose, "verbose", "v", false, "log the harness's debug messages")
	return cmd
}
