package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newCheckCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var timeout, workload string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "check DIR|FILE",
		Short: "Re-check a stored run from its history.jsonl, or check a history file",
		Long: "Check reads DIR/history.jsonl (and DIR/run.json, if there is one, for the workload and the\n" +
			"faults requested; without it the register workload is assumed), checks it again, and writes\n" +
			"summary.json and the HTML reports into DIR. A run killed halfway can be checked this way.\n" +
			"Given a history FILE in the same format (from another tool), it checks the file and writes nothing.\n" +
			"Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad input, 255 harness failure.",
		Args: exactArgs(1, "one run directory or history file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := runner.CheckOptions{Workload: workload, Systems: reg}
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
			if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
				fmt.Fprintf(stdout, "results: %s\n", args[0])
			}
			st.code = runner.ExitCode(sum.Valid)
			return nil
		},
	}
	cmd.Flags().StringVar(&timeout, "check-timeout", "", "time limit of the linearizability check (default: the run's own)")
	cmd.Flags().StringVar(&workload, "workload", "", "the workload of a history without run.json (default: register)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log debug messages")
	return cmd
}
