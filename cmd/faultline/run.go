package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newRunCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var rf *runFlags
	var verbose bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a chaos test: drive a workload under faults, record the history, check it",
		Long: "Run starts the system under test with every link behind Toxiproxy, drives the workload with\n" +
			"concurrent clients while the nemesis injects faults, heals, reads every key once more, and\n" +
			"checks the history. Exit codes: 0 valid, 1 invalid, 2 unknown, 254 bad input, 255 harness failure.",
		Example: "  faultline run\n" +
			"  faultline run --nemesis kill,pause,partition,latency --time 60s --seed 42",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := rf.config()
			if err != nil {
				return err
			}
			cfg.Args = runArgs(cmd.Flags())
			if err := setNodeBinary(&cfg.NodeBinary); err != nil {
				return err
			}
			cfg.Status = statusPrinter(stderr)
			out, err := runner.Run(cmd.Context(), cfg, newLogger(stderr, verbose))
			if out != nil {
				printOutcome(stdout, out)
				st.code = runner.ExitCode(out.Valid())
			}
			return err
		},
	}
	rf = addRunFlags(cmd.Flags(), reg)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log the harness's debug messages")
	cmd.SetUsageTemplate(cmd.UsageTemplate() + strings.ReplaceAll(rf.systems.usage, "{{", `{{"{{"}}`) + "\n")
	return cmd
}

// runFlags are the flags of `faultline run`: the run's shared settings,
// bound to a runner.Config holding runner.DefaultConfig, and every
// system's own.
type runFlags struct {
	cfg     runner.Config
	nemesis string
	systems *systemFlags
}

// addRunFlags binds the run's flags to fs.
func addRunFlags(f *pflag.FlagSet, reg *systems.Registry) *runFlags {
	rf := &runFlags{cfg: runner.DefaultConfig()}
	cfg := &rf.cfg
	cfg.Systems = reg
	f.StringVar(&cfg.System, "system", cfg.System, "the system under test (see 'faultline list')")
	f.StringVar(&cfg.Workload, "workload", cfg.Workload, "the workload (default: the system's first; see 'faultline list')")
	f.StringVar(&rf.nemesis, "nemesis", strings.Join(cfg.Nemesis, ","), "faults to inject, a comma list, 'all' or 'none'")
	f.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "number of nodes")
	f.DurationVar(&cfg.Time, "time", cfg.Time, "how long the workload runs")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "number of concurrent clients")
	f.Float64Var(&cfg.Rate, "rate", cfg.Rate, "total operations per second (0: the workload's own pace, as fast as the clients go unless it says otherwise)")
	f.DurationVar(&cfg.OpTimeout, "op-timeout", cfg.OpTimeout, "deadline of each client operation")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of every random choice (default: random, written to run.json)")
	f.StringVar(&cfg.Results, "results", cfg.Results, "directory that holds the results of runs")
	f.StringVar(&cfg.Toxiproxy, "toxiproxy", cfg.Toxiproxy, "URL of an external Toxiproxy (default: an embedded one)")
	f.DurationVar(&cfg.CheckTimeout, "check-timeout", cfg.CheckTimeout, "time limit of the linearizability check; past it the verdict is unknown")
	f.DurationVar(&cfg.NemesisInterval, "nemesis-interval", cfg.NemesisInterval, "how long each fault lasts, and the quiet gap after it")
	f.BoolVar(&cfg.NemesisOverlap, "nemesis-overlap", cfg.NemesisOverlap, "let faults overlap")
	f.DurationVar(&cfg.RecoveryTime, "recovery-time", cfg.RecoveryTime, "how long the system has to recover for the final reads")
	f.DurationVar(&cfg.ShrinkTimeout, "shrink-timeout", cfg.ShrinkTimeout, "time bound of the shrink of an invalid register run to the operations that prove it (0: no shrink)")
	bnd := &cfg.Bounds
	f.DurationVar(&bnd.LatencyMin, "latency-min", bnd.LatencyMin, "least latency a latency fault draws (default: the system's)")
	f.DurationVar(&bnd.LatencyMax, "latency-max", bnd.LatencyMax, "most latency a latency fault draws (default: the system's)")
	f.DurationVar(&bnd.Jitter, "jitter", bnd.Jitter, "most jitter a latency fault draws (default: the system's)")
	f.Int64Var(&bnd.BandwidthMin, "bandwidth-min", bnd.BandwidthMin, "least bandwidth, KB/s, a bandwidth fault draws (default 1)")
	f.Int64Var(&bnd.BandwidthMax, "bandwidth-max", bnd.BandwidthMax, "most bandwidth, KB/s, a bandwidth fault draws (default 64)")
	f.StringVar(&bnd.ToxicLinks, "toxic-links", bnd.ToxicLinks, "links the toxics act on: nodes, clients or all (default nodes)")
	f.StringVar(&bnd.Directions, "directions", bnd.Directions, "toxic directions to draw from: upstream,downstream,both")
	f.StringVar(&bnd.Topologies, "topologies", bnd.Topologies, "partition topologies to draw from (default all: halves,isolate-one,isolate-leader,majority-ring,bridge,one-way,flapping)")
	f.StringVar(&bnd.Targets, "targets", bnd.Targets, "process-fault targets to draw from: one,leader,minority,majority,all")
	rf.systems = addSystemFlags(f, reg)
	return rf
}

// config is the run the flags describe: the faults parsed, and the
// settings of the run's own system.
func (rf *runFlags) config() (runner.Config, error) {
	cfg := rf.cfg
	faults, err := nemesis.ParseFaults(rf.nemesis)
	if err != nil {
		return cfg, err
	}
	cfg.Nemesis = faults
	if cfg.Settings, err = rf.systems.settings(cfg.System); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// statusPrinter renders the live status line: rewritten in place on a
// terminal, a plain line every five seconds otherwise (CI logs).
func statusPrinter(w io.Writer) runner.StatusSink {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	var last time.Time
	return func(s runner.Status) {
		fault := s.Fault
		if fault == "" {
			fault = "none"
		}
		line := fmt.Sprintf("%5.1fs/%s  ok %d  fail %d  info %d  fault: %s",
			s.Elapsed.Seconds(), s.Total, s.Counts.Ok, s.Counts.Fail, s.Counts.Info, fault)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			if s.Elapsed >= s.Total {
				fmt.Fprintln(w)
			}
			return
		}
		if time.Since(last) >= 5*time.Second || s.Elapsed >= s.Total {
			last = time.Now()
			fmt.Fprintln(w, line)
		}
	}
}

// printOutcome prints the verdict in one line and where the results are.
func printOutcome(w io.Writer, out *runner.Outcome) {
	switch {
	case out.Interrupted:
		fmt.Fprintf(w, "UNKNOWN: the run was interrupted; the history so far is checkable with: faultline check %s\n", out.Dir)
	case out.Summary != nil:
		fmt.Fprintln(w, out.Summary.VerdictLine())
		for _, line := range out.Summary.Faults.Coverage.Lines() {
			fmt.Fprintln(w, "  "+line)
		}
		if s := out.Shrunk; s != nil {
			which := ""
			if n := failedKeys(out.Summary); n > 1 {
				which = fmt.Sprintf(" (the smallest of the %d keys that failed)", n)
			}
			fmt.Fprintf(w, "shrunk%s: %s\n", which, s.Explanation)
			fmt.Fprintf(w, "  %s; %s\n", s.Line(), filepath.Join(out.Dir, checker.ShrunkHistoryFile))
		}
	}
	fmt.Fprintf(w, "results: %s\n", out.Dir)
}

// failedKeys is how many keys the linearizability check found invalid.
func failedKeys(sum *checker.Summary) int {
	for _, r := range sum.Results {
		if d, ok := r.Details.(*checker.LinearizabilityDetails); ok {
			return len(d.FailedKeys)
		}
	}
	return 0
}

// runArgs are the flags the user gave `faultline run`, as flags again, for
// the reproduce line: every one set on the command line but --seed (the
// line adds the run's), --results and --verbose, in name order, a
// repeatable flag once per value.
func runArgs(fs *pflag.FlagSet) []string {
	var args []string
	fs.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "seed", "results", "verbose", "help":
			return
		}
		args = append(args, runner.FlagArgs(f)...)
	})
	return args
}
