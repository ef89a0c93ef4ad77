package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/builtin"
)

// cliState is what the subcommand that ran leaves for main.
type cliState struct {
	code int  // the exit code of a command that ended without error
	ran  bool // a subcommand's RunE started: later errors are its own
}

// newRootCmd builds the command tree.
func newRootCmd(stdout, stderr io.Writer) (*cobra.Command, *cliState) {
	st := &cliState{}
	root := &cobra.Command{
		Use:   "faultline",
		Short: "Chaos and conformance testing for distributed systems",
		Long: "Faultline drives a system with concurrent clients while Toxiproxy injects partitions and\n" +
			"latency and the harness kills and pauses processes; it records every operation in a history\n" +
			"and checks it for linearizability and the system's own safety properties.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			st.ran = true
		},
	}
	reg := builtin.Registry()
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newRunCmd(stdout, stderr, st, reg),
		newCheckCmd(stdout, stderr, st, reg),
		newShrinkCmd(stdout, stderr, st, reg),
		newReportCmd(stdout, stderr, st, reg),
		newRerunCmd(stdout, stderr, st, reg),
		newListCmd(stdout, reg),
		newCompareCmd(stdout, reg),
		newDetectCmd(stdout, stderr, st, reg),
		newCampaignCmd(stdout, stderr, st, reg),
		newHealCmd(stdout, stderr),
		newToxiproxyCmd(stdout, stderr),
		newNodeCmd(),
	)
	return root, st
}

// exitFor prints a command's error in one line and returns its exit code:
// 254 for bad input — including unknown commands, flags and arguments, which
// fail before any command runs — and 255 for a failure of the harness.
func exitFor(err error, st *cliState, stderr io.Writer) int {
	fmt.Fprintf(stderr, "faultline: %v\n", err)
	if !st.ran {
		fmt.Fprintln(stderr, "run 'faultline --help' for usage")
		return runner.ExitBadInput
	}
	return runner.ErrorExitCode(err)
}

// exactArgs is cobra.ExactArgs with an error that exits 254.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%w: expected %s, got %d arguments", history.ErrBadConfig, what, len(args))
		}
		return nil
	}
}

// newLogger logs to stderr, warnings and errors only unless verbose.
func newLogger(stderr io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}
