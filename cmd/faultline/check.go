package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner"
)

func newCheckCmd(stdout, stderr io.Writer, st *cliState) *cobra.Command {
	var timeout string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "check DIR",
		Short: "Re-check a stored run from its history.jsonl",
		Long: "Check reads DIR/history.jsonl (and DIR/run.json, if there is one, for the workload and the\n" +
			"faults requested; without it the register workload is assumed), checks it again, and writes\n" +
			"summary.json and the HTML reports into DIR. A run killed halfway can be checked this way.\n" +
			"Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad input, 255 harness failure.",
		Args: exactArgs(1, "one run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := runner.CheckOptions{}
			if timeout != "" {
				d, err := parseDuration("--check-timeout", timeout)
				if err != nil {
					return err
				}
				opts.CheckTimeout = d
			}
			sum, err := runner.Check(cmd.Context(), args[0], opts, newLogger(stderr, verbose))
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, sum.VerdictLine())
			for _, line := range sum.Faults.Coverage.Lines() {
				fmt.Fprintln(stdout, "  "+line)
			}
			fmt.Fprintf(stdout, "results: %s\n", args[0])
			st.code = runner.ExitCode(sum.Valid)
			return nil
		},
	}
	cmd.Flags().StringVar(&timeout, "check-timeout", "", "time limit of the linearizability check (default: the run's own)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log debug messages")
	return cmd
}
