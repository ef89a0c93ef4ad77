package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newShrinkCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var timeout, key, results string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "shrink RUN",
		Short: "Shrink an invalid register run to the few operations that are not linearizable",
		Long: "Shrink reads RUN/history.jsonl (RUN is a results directory, or latest for <results>/latest) of an\n" +
			"INVALID register run and removes operations of its failing key for as long as what is left is still\n" +
			"not linearizable, never leaving a read without a write of the value it read. It writes the operations\n" +
			"left into RUN/" + checker.ShrunkHistoryFile + " (the history format: `faultline check` reads it), why they are not\n" +
			"linearizable into RUN/" + checker.ShrunkFile + ", and a diagram of them into RUN/" + checker.ShrunkSVGFile + ".\n" +
			"The result is 1-minimal — removing any one operation makes it linearizable — unless --timeout ran out.\n" +
			"Exit codes: 1 a shrunk invalid history was written, 2 the run is not known to be invalid (nothing to\n" +
			"shrink), 254 bad input (not a register run, no history), 255 harness failure.",
		Args: exactArgs(1, "one run directory (or latest)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := parseDuration("--timeout", timeout)
			if err != nil {
				return err
			}
			if d <= 0 {
				return fmt.Errorf("%w: --timeout %s must be positive", history.ErrBadConfig, timeout)
			}
			dir, err := storedRunDir(args[0], results)
			if err != nil {
				return err
			}
			logger := newLogger(stderr, verbose)
			res, err := runner.Shrink(cmd.Context(), dir, checker.ShrinkOptions{Timeout: d, Key: key}, reg, logger)
			if errors.Is(err, checker.ErrNotInvalid) {
				fmt.Fprintf(stderr, "faultline: nothing to shrink: %v\n", err)
				st.code = runner.ExitUnknown
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, res.Explanation)
			fmt.Fprintln(stdout, res.Line())
			for _, f := range []string{checker.ShrunkHistoryFile, checker.ShrunkFile, checker.ShrunkSVGFile} {
				fmt.Fprintf(stdout, "  %s\n", filepath.Join(dir, f))
			}
			// The check rewrites report.html, which then shows the shrunk
			// operations; the verdict is the stored one, re-derived.
			if _, err := runner.Check(cmd.Context(), dir, runner.CheckOptions{Systems: reg}, logger); err != nil {
				fmt.Fprintf(stderr, "faultline: report.html was not rewritten (%v); faultline check %s shows the shrunk operations in it\n", err, dir)
			} else {
				fmt.Fprintf(stdout, "  %s (with the shrunk operations)\n", filepath.Join(dir, checker.ReportFile))
			}
			st.code = runner.ExitInvalid
			return nil
		},
	}
	cmd.Flags().StringVar(&timeout, "timeout", checker.DefaultShrinkTimeout.String(), "time bound of the whole shrink")
	cmd.Flags().StringVar(&key, "key", "", "the key to shrink (default: the failing key with the fewest operations)")
	cmd.Flags().StringVar(&results, "results", "results", "the results directory that latest is in")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log debug messages")
	return cmd
}
