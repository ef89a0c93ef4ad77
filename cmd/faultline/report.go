package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newReportCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var results string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "report RUN",
		Short: "Regenerate every page of a stored run (report.html, timeline, plots, summary.json)",
		Long: "Report checks RUN/history.jsonl again (RUN is a results directory, or latest for <results>/latest)\n" +
			"with the run's own settings from run.json and rewrites summary.json and every page — report.html,\n" +
			"timeline.html, linearizability.html — with this version's reports. It says the verdict and whether\n" +
			"it changed from the one summary.json held. The verdict is `faultline check`'s business: report exits\n" +
			"0 when the pages were written, 254 on bad input (no run directory, no history), 255 on a harness failure.",
		Args: exactArgs(1, "one run directory (or latest)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := storedRunDir(args[0], results)
			if err != nil {
				return err
			}
			out, err := runner.Report(cmd.Context(), dir, runner.CheckOptions{Systems: reg}, newLogger(stderr, verbose))
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, out.Summary.VerdictLine())
			if out.Changed {
				fmt.Fprintf(stdout, "the verdict changed: summary.json said %s\n", out.Before)
			}
			for _, p := range out.Pages {
				fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, p))
			}
			st.code = 0
			return nil
		},
	}
	cmd.Flags().StringVar(&results, "results", "results", "the results directory that latest is in")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log debug messages")
	return cmd
}
