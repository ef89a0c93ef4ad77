package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
)

func newCampaignCmd(stdout, stderr io.Writer, st *cliState, reg *systems.Registry) *cobra.Command {
	var (
		opts    = runner.CampaignOptions{Results: "results", Parallel: 1}
		shard   string
		list    bool
		verbose bool
		sets    []string
	)
	cmd := &cobra.Command{
		Use:   "campaign FILE",
		Short: "Run a campaign: a matrix of runs from a YAML file, with one summary, one exit code and a JUnit report",
		Long: "Campaign runs every run entry of FILE once per seed, each into its own run directory under a new\n" +
			"campaign directory, and writes campaign.json (every run, its verdict, its expectation, its\n" +
			"duration) and junit.xml (one test case per run) there after every run. A run entry's keys are the\n" +
			"flags of 'faultline run' (system, workload, nemesis, time, the system's own such as lock or bug)\n" +
			"and name, expect (valid, the default, or invalid) and seeds. campaigns/smoke.yaml is an example.\n" +
			"Exit codes: 0 every run met its expectation, 1 one did not, 2 one ended without a verdict or did\n" +
			"not run (Ctrl-C), 254 bad input (with the file's line), 255 harness failure.",
		Example: "  faultline campaign campaigns/smoke.yaml\n" +
			"  faultline campaign campaigns/smoke.yaml --set redislock.redis=127.0.0.1:6379\n" +
			"  faultline campaign campaigns/nightly.yaml --shard 2/4 --results results\n" +
			"  faultline campaign merge results/campaign-nightly-*-shard-*",
		Args: exactArgs(1, "the campaign file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("%w: reading the campaign file: %w", history.ErrBadConfig, err)
			}
			if opts.Parallel < 1 {
				return fmt.Errorf("%w: --parallel must be at least 1, got %d", history.ErrBadConfig, opts.Parallel)
			}
			if shard != "" {
				if opts.Shard, err = runner.ParseShard(shard); err != nil {
					return err
				}
			}
			var overrides []runner.Override
			for _, set := range sets {
				o, err := runner.ParseOverride(set)
				if err != nil {
					return err
				}
				overrides = append(overrides, o)
			}
			c, err := runner.ParseCampaign(data, args[0], func() runner.RunFlags { return newRunFlagSet(reg) }, overrides...)
			if err != nil {
				return err
			}
			if list {
				for _, cs := range c.ShardCases(opts.Shard) {
					fmt.Fprintf(stdout, "%3d  %s (expect %s)\n     %s\n", cs.Index, cs.Name, cs.Expect, cs.Command)
				}
				return nil
			}
			if err := setNodeBinary(&opts.NodeBinary); err != nil {
				return err
			}
			progress := newCampaignProgress(stderr, len(c.ShardCases(opts.Shard)))
			opts.Progress = progress
			rep, err := runner.RunCampaign(cmd.Context(), c, opts, newLogger(progress.logTo(), verbose))
			progress.wait()
			if rep == nil {
				return err
			}
			printCampaign(stdout, rep)
			st.code = rep.ExitCode()
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Results, "results", opts.Results, "directory under which the campaign's directory is made")
	f.StringVar(&shard, "shard", "", "run only the I-th of N slices of the matrix, I/N (one CI job of N)")
	f.StringArrayVar(&sets, "set", nil, "give every run (or SYSTEM's runs) that does not set it a run flag: [SYSTEM.]FLAG=VALUE, repeatable (redislock.redis=redis:6379)")
	f.IntVar(&opts.Parallel, "parallel", opts.Parallel, "how many runs go at once (a run that names an outside server runs alone)")
	f.BoolVar(&list, "list", false, "print the runs of the matrix (of the shard) and their commands, and run none")
	f.BoolVarP(&verbose, "verbose", "v", false, "log the harness's debug messages")
	cmd.AddCommand(newCampaignMergeCmd(stdout, st))
	return cmd
}

func newCampaignMergeCmd(stdout io.Writer, st *cliState) *cobra.Command {
	results := "results"
	cmd := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Join the campaign.json and junit.xml of a campaign's shards into one, with one exit code",
		Long: "Merge reads the campaign.json of each shard's campaign directory (the shards of one campaign\n" +
			"file), and writes one campaign.json and junit.xml with every case of the matrix into a new\n" +
			"directory under --results. A case that no shard ran is listed as not run. Exit codes as for\n" +
			"'faultline campaign'.",
		Example: "  faultline campaign merge shard-1/campaign-nightly-* shard-2/campaign-nightly-*",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, dirs []string) error {
			rep, err := runner.MergeCampaigns(dirs, results)
			if err != nil {
				return err
			}
			printCampaign(stdout, rep)
			st.code = rep.ExitCode()
			return nil
		},
	}
	cmd.Flags().StringVar(&results, "results", results, "directory under which the merged campaign's directory is made")
	return cmd
}

// printCampaign prints every run that did not meet its expectation, and
// the campaign's line.
func printCampaign(w io.Writer, rep *runner.CampaignReport) {
	for _, c := range rep.Cases {
		if c.Outcome == runner.CaseMet {
			continue
		}
		fmt.Fprintf(w, "%s: %s (expected %s)\n", c.Outcome, c.Name, c.Expect)
		if c.Verdict != "" {
			fmt.Fprintf(w, "  %s\n", c.Verdict)
		}
		if c.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", c.Error)
		}
		if c.Command != "" {
			fmt.Fprintf(w, "  reproduce: %s\n", c.Command)
		}
	}
	fmt.Fprintln(w, rep.Line())
	fmt.Fprintf(w, "results: %s (campaign.json, junit.xml)\n", rep.Dir())
}

// runFlagSet is `faultline run`'s flag set for one run of a campaign.
type runFlagSet struct {
	fs *pflag.FlagSet
	rf *runFlags
}

func newRunFlagSet(reg *systems.Registry) runner.RunFlags {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return runFlagSet{fs: fs, rf: addRunFlags(fs, reg)}
}

func (r runFlagSet) FlagSet() *pflag.FlagSet        { return r.fs }
func (r runFlagSet) Config() (runner.Config, error) { return r.rf.config() }

// campaignProgress shows the campaign: on a terminal, one bar for the
// campaign and a live line per run in progress (mpb); elsewhere (CI logs),
// a plain line when a run starts and ends, and the run's status every
// thirty seconds.
type campaignProgress struct {
	w     io.Writer
	total int
	p     *mpb.Progress // nil when not on a terminal
	all   *mpb.Bar
	mu    sync.Mutex // guards bars, last and done; never taken inside mpb
	bars  map[int]*mpb.Bar
	// lines are the live lines, read by the bars' decorators while mpb
	// renders: under a mutex of their own, so that a call into mpb made
	// while holding mu cannot wait on a render waiting for mu.
	lmu   sync.Mutex
	lines map[int]string
	last  map[int]time.Time
	done  int
}

func newCampaignProgress(w io.Writer, total int) *campaignProgress {
	cp := &campaignProgress{w: &lockedWriter{w: w}, total: total, bars: map[int]*mpb.Bar{}, lines: map[int]string{}, last: map[int]time.Time{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cp.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
		cp.all = cp.p.AddBar(int64(total), mpb.BarPriority(1<<30),
			mpb.PrependDecorators(decor.Name("campaign "), decor.CountersNoUnit("%d/%d runs")),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)))
	}
	return cp
}

// logTo is where the harness's log lines go: above the bars on a terminal.
func (cp *campaignProgress) logTo() io.Writer {
	if cp.p != nil {
		return cp.p
	}
	return cp.w
}

func (cp *campaignProgress) Started(c runner.CampaignCase) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.p == nil {
		fmt.Fprintf(cp.w, "started: %s\n", c.Name)
		return
	}
	cp.bars[c.Index] = cp.p.AddBar(0, mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(c.Name+" ")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			cp.lmu.Lock()
			defer cp.lmu.Unlock()
			return cp.lines[c.Index]
		})))
}

func (cp *campaignProgress) Status(c runner.CampaignCase, s runner.Status) {
	fault := s.Fault
	if fault == "" {
		fault = "none"
	}
	line := fmt.Sprintf("%5.1fs/%s  ok %d  fail %d  info %d  fault: %s",
		s.Elapsed.Seconds(), s.Total, s.Counts.Ok, s.Counts.Fail, s.Counts.Info, fault)
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.p == nil {
		if time.Since(cp.last[c.Index]) >= 30*time.Second {
			cp.last[c.Index] = time.Now()
			fmt.Fprintf(cp.w, "  %s: %s\n", c.Name, line)
		}
		return
	}
	cp.lmu.Lock()
	cp.lines[c.Index] = line
	cp.lmu.Unlock()
	if b := cp.bars[c.Index]; b != nil && s.Total > 0 {
		b.SetTotal(int64(s.Total/time.Millisecond), false)
		b.SetCurrent(int64(min(s.Elapsed, s.Total) / time.Millisecond))
	}
}

func (cp *campaignProgress) Finished(r runner.CaseResult) {
	cp.mu.Lock()
	cp.done++
	line := fmt.Sprintf("[%d/%d] %s: %s, %s (%s)", cp.done, cp.total, r.Name, r.Outcome, r.Valid, r.Elapsed.Round(time.Second))
	if r.Error != "" {
		line += ": " + r.Error
	}
	b := cp.bars[r.Index]
	delete(cp.bars, r.Index)
	if cp.p == nil {
		fmt.Fprintln(cp.w, line)
		cp.mu.Unlock()
		return
	}
	cp.mu.Unlock()
	fmt.Fprintln(cp.p, line)
	if b != nil {
		b.SetTotal(-1, true)
	}
	cp.all.Increment()
}

// wait stops the bars, whatever is left of them.
func (cp *campaignProgress) wait() {
	if cp.p == nil {
		return
	}
	cp.mu.Lock()
	for _, b := range cp.bars {
		b.Abort(true)
	}
	cp.mu.Unlock()
	cp.all.Abort(false)
	cp.p.Wait()
}

// lockedWriter lets the progress lines and the harness's log, written from
// the goroutines of runs at once, share one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
