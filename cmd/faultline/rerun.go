package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newRerunCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var results string
	var times int
	var untilFail, verbose bool
	cmd := &cobra.Command{
		Use:   "rerun RUN",
		Short: "Run a stored run again with exactly its configuration and seed",
		Long: "Rerun reads RUN/run.json (RUN is a results directory, or 'latest' for the newest run under\n" +
			"--results) and runs again with exactly its configuration: the same system settings, faults and\n" +
			"seed, so the same operation mix and fault schedule (timing in real systems does not repeat, so\n" +
			"not the same history). Each new run goes beside the original, its run.json naming the run it\n" +
			"repeats, and the verdicts are printed side by side. --times N repeats it N times and says how\n" +
			"many reproduced the original's verdict; --until-fail stops at the first INVALID one.\n" +
			"Exit codes: 0 every rerun valid, 1 one was invalid, 2 one was unknown (and none invalid),\n" +
			"254 bad input (no run, or a run.json of another format), 255 harness failure.",
		Example: "  faultline rerun latest\n" +
			"  faultline rerun results/20261207T101500Z-1a2b --times 10 --until-fail",
		Args: exactArgs(1, "one run directory, or latest"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if times < 1 {
				return fmt.Errorf("%w: --times must be at least 1, got %d", history.ErrBadConfig, times)
			}
			dir, err := storedRunDir(args[0], results)
			if err != nil {
				return err
			}
			orig, err := runner.LoadRerun(dir, reg)
			if err != nil {
				return err
			}
			cfg := orig.Config
			if cmd.Flags().Changed("results") {
				cfg.Results = results
			}
			if err := setNodeBinary(&cfg.NodeBinary); err != nil {
				return err
			}
			cfg.Status = statusPrinter(stderr)
			fmt.Fprintf(stdout, "repeating %s: %s\n", orig.ID, orig.Reproduce)
			t := rerunTable{orig: orig}
			logger := newLogger(stderr, verbose)
			var runErr error
			for i := range times {
				out, err := runner.Run(cmd.Context(), cfg, logger)
				if out != nil {
					t.add(out)
				}
				if err != nil {
					runErr = fmt.Errorf("rerun %d of %d: %w", i+1, times, err)
					break
				}
				if out.Interrupted || (untilFail && out.Valid() == checker.Invalid) {
					break
				}
			}
			t.print(stdout, times)
			st.code = t.exitCode()
			return runErr
		},
	}
	cmd.Flags().StringVar(&results, "results", "results", "the results directory 'latest' is looked up in, and where the new runs go (default: beside the original)")
	cmd.Flags().IntVar(&times, "times", 1, "how many times to run it again")
	cmd.Flags().BoolVar(&untilFail, "until-fail", false, "stop at the first rerun that is INVALID")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log the harness's debug messages")
	return cmd
}

// storedRunDir is the directory of a stored run: arg itself or, when no
// such path is here, the run of that name under results ("latest": the
// run results/latest points at; a run id, as report.html names it).
func storedRunDir(arg, results string) (string, error) {
	if _, err := os.Stat(arg); errors.Is(err, os.ErrNotExist) && !filepath.IsAbs(arg) {
		arg = filepath.Join(results, arg)
	}
	dir, err := filepath.EvalSymlinks(arg)
	if err != nil {
		return "", fmt.Errorf("%w: no run at %s (give a run's results directory, or latest for the newest under --results)", history.ErrBadConfig, arg)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory: give a run's results directory", history.ErrBadConfig, arg)
	}
	return dir, nil
}

// rerunTable is the original run and its reruns, for printing side by
// side.
type rerunTable struct {
	orig *runner.StoredRun
	runs []*runner.Outcome
}

func (t *rerunTable) add(out *runner.Outcome) { t.runs = append(t.runs, out) }

func (t *rerunTable) print(w io.Writer, times int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\trun id\tverdict")
	orig := "none (" + t.orig.Status + ", never checked)"
	if t.orig.Verdict != nil {
		orig = verdictCell(t.orig.VerdictLine, *t.orig.Verdict)
	}
	fmt.Fprintf(tw, "original\t%s\t%s\n", t.orig.ID, orig)
	for i, out := range t.runs {
		v := "UNKNOWN: interrupted before its check"
		if out.Summary != nil {
			v = verdictCell(out.Summary.VerdictLine(), out.Summary.Valid)
		}
		fmt.Fprintf(tw, "rerun %d\t%s\t%s\n", i+1, out.ID, v)
	}
	_ = tw.Flush()
	k, n := 0, len(t.runs)
	for _, out := range t.runs {
		if t.orig.Verdict != nil && out.Summary != nil && out.Valid() == *t.orig.Verdict {
			k++
		}
	}
	switch {
	case t.orig.Verdict == nil:
		fmt.Fprintf(w, "the original has no verdict to reproduce; %d of %d reruns INVALID\n", t.count(checker.Invalid), n)
	default:
		fmt.Fprintf(w, "reproduced %d of %d (the original's verdict, %s, again)", k, n, verdictWord(*t.orig.Verdict))
		if n < times {
			fmt.Fprintf(w, "; stopped after %d of the %d asked", n, times)
		}
		fmt.Fprintln(w)
	}
}

func (t *rerunTable) count(v checker.Validity) int {
	k := 0
	for _, out := range t.runs {
		if out.Valid() == v {
			k++
		}
	}
	return k
}

// exitCode is 1 when a rerun was invalid, else 2 when one was unknown,
// else 0.
func (t *rerunTable) exitCode() int {
	switch {
	case t.count(checker.Invalid) > 0:
		return runner.ExitInvalid
	case t.count(checker.Unknown) > 0 || len(t.runs) == 0:
		return runner.ExitUnknown
	}
	return runner.ExitValid
}

// verdictCell is a verdict line cut to fit a table's row.
func verdictCell(line string, v checker.Validity) string {
	if line == "" {
		return verdictWord(v)
	}
	if r := []rune(line); len(r) > 100 {
		return string(r[:99]) + "…"
	}
	return line
}

func verdictWord(v checker.Validity) string {
	switch v {
	case checker.Valid:
		return "VALID"
	case checker.Invalid:
		return "INVALID"
	}
	return "UNKNOWN"
}
