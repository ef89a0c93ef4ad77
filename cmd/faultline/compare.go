package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner"
)

func newCompareCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "compare WITH_DIR WITHOUT_DIR",
		Short: "Compare a breaker run with a run of the same schedule without the breaker",
		Long: "Compare sets what the circuit breaker bought — calls shed, callers' latency during the faults —\n" +
			"in the run stored in WITH_DIR against the run in WITHOUT_DIR, made with the same --seed, --time\n" +
			"and --nemesis and --breaker off. It writes " + runner.ComparisonFile + " into WITH_DIR.",
		Args: exactArgs(2, "two run directories"),
		RunE: func(_ *cobra.Command, args []string) error {
			cmp, err := runner.CompareBreaker(args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, cmp.Summary)
			fmt.Fprintf(stdout, "comparison: %s\n", filepath.Join(args[0], runner.ComparisonFile))
			return nil
		},
	}
}
