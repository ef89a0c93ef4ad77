package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/faultline/faultline/runner"
)

func newRunCmd(stdout, stderr io.Writer, st *cliState) *cobra.Command {
	cfg := runner.DefaultConfig()
	var nemesisFlag string
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
			cfg.Nemesis = runner.ParseNemesis(nemesisFlag)
			if cfg.NodeBinary == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("finding the faultline executable to run nodes: %w", err)
				}
				cfg.NodeBinary = exe
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
	f := cmd.Flags()
	f.StringVar(&cfg.System, "system", cfg.System, "the system under test (see 'faultline list')")
	f.StringVar(&cfg.Workload, "workload", cfg.Workload, "the workload (default: the system's first; see 'faultline list')")
	f.StringVar(&nemesisFlag, "nemesis", strings.Join(cfg.Nemesis, ","), "faults to inject, a comma list, 'all' or 'none'")
	f.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "number of nodes")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "number of concurrent clients")
	f.DurationVar(&cfg.Time, "time", cfg.Time, "how long the workload runs")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of every random choice (default: random, written to run.json)")
	f.StringVar(&cfg.Results, "results", cfg.Results, "directory that holds the results of runs")
	f.StringVar(&cfg.Toxiproxy, "toxiproxy", "", "URL of an external Toxiproxy (default: an embedded one)")
	f.DurationVar(&cfg.CheckTimeout, "check-timeout", cfg.CheckTimeout, "time limit of the linearizability check; past it the verdict is unknown")
	f.DurationVar(&cfg.NemesisInterval, "nemesis-interval", cfg.NemesisInterval, "how long each fault lasts, and the quiet gap after it")
	f.BoolVar(&cfg.NemesisOverlap, "nemesis-overlap", cfg.NemesisOverlap, "let faults overlap")
	bnd := &cfg.Bounds
	f.DurationVar(&bnd.LatencyMin, "latency-min", 0, "least latency a latency fault draws (default: the system's)")
	f.DurationVar(&bnd.LatencyMax, "latency-max", 0, "most latency a latency fault draws (default: the system's)")
	f.DurationVar(&bnd.Jitter, "jitter", 0, "most jitter a latency fault draws (default: the system's)")
	f.Int64Var(&bnd.BandwidthMin, "bandwidth-min", 0, "least bandwidth, KB/s, a bandwidth fault draws (default 1)")
	f.Int64Var(&bnd.BandwidthMax, "bandwidth-max", 0, "most bandwidth, KB/s, a bandwidth fault draws (default 64)")
	f.StringVar(&bnd.ToxicLinks, "toxic-links", "", "links the toxics act on: nodes, clients or all (default nodes)")
	f.StringVar(&bnd.Directions, "directions", "", "toxic directions to draw from: upstream,downstream,both")
	f.StringVar(&bnd.Topologies, "topologies", "", "partition topologies to draw from (default all: halves,isolate-one,isolate-leader,majority-ring,bridge,one-way,flapping)")
	f.StringVar(&bnd.Targets, "targets", "", "process-fault targets to draw from: one,leader,minority,majority,all")
	f.IntVar(&cfg.Keys, "keys", cfg.Keys, "number of keys in use at a time (register workload)")
	f.IntVar(&cfg.OpsPerKey, "ops-per-key", cfg.OpsPerKey, "operations a key gets before the clients move on to fresh keys (0: no limit)")
	f.Float64Var(&cfg.Rate, "rate", cfg.Rate, "total operations per second (0: as fast as the clients go)")
	f.DurationVar(&cfg.OpTimeout, "op-timeout", cfg.OpTimeout, "deadline of each client operation")
	f.DurationVar(&cfg.RecoveryTime, "recovery-time", cfg.RecoveryTime, "how long the system has to recover for the final reads")
	f.BoolVarP(&verbose, "verbose", "v", false, "log the harness's debug messages")
	addSystemFlags(f, &cfg)
	return cmd
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
	}
	fmt.Fprintf(w, "results: %s\n", out.Dir)
}
