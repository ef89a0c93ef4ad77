package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/breaker"
)

func newCompareCmd(stdout io.Writer, reg *systems.Registry) *cobra.Command {
	return &cobra.Command{
		Use:   "compare WITH_DIR WITHOUT_DIR",
		Short: "Compare a breaker run with a run of the same schedule without the breaker",
		Long: "Compare sets what the circuit breaker bought — calls shed, callers' latency during the faults —\n" +
			"in the run stored in WITH_DIR against the run in WITHOUT_DIR, made with the same --seed, --time\n" +
			"and --nemesis and --breaker off. It writes " + breaker.ComparisonFile + " into WITH_DIR.",
		Args: exactArgs(2, "two run directories"),
		RunE: func(_ *cobra.Command, args []string) error {
			with, err := storedBreakerRun(args[0], reg)
			if err != nil {
				return err
			}
			without, err := storedBreakerRun(args[1], reg)
			if err != nil {
				return err
			}
			cmp, err := breaker.Compare(with, without)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, cmp.Summary)
			fmt.Fprintf(stdout, "comparison: %s\n", filepath.Join(args[0], breaker.ComparisonFile))
			return nil
		},
	}
}

// storedBreakerRun reads what Compare needs of a stored breaker run.
func storedBreakerRun(dir string, reg *systems.Registry) (breaker.StoredRun, error) {
	cfg, err := runner.LoadRun(dir, reg)
	if err != nil {
		return breaker.StoredRun{}, err
	}
	settings, ok := cfg.Settings.(*breaker.Settings)
	if !ok {
		return breaker.StoredRun{}, fmt.Errorf("%w: %s is not the results directory of a breaker run (its system is %q)", history.ErrBadConfig, dir, cfg.System)
	}
	return breaker.StoredRun{Dir: dir, Seed: cfg.Seed, Time: cfg.Time, Nemesis: cfg.Nemesis, Settings: settings}, nil
}
