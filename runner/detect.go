package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
)

// DetectConfig is a detection campaign: every bug of every system's bug
// catalog, each run under the faults that expose it for every seed, and
// each correct system run under the same faults as the control.
type DetectConfig struct {
	// Seeds are the seeds every case runs with.
	Seeds []int64
	// ControlSeeds, if not 0, runs the controls with only the first
	// ControlSeeds seeds (a short campaign that still tries each bug with
	// every seed).
	ControlSeeds int
	// Time, if not 0, replaces every exposure's own run time.
	Time time.Duration
	// Bugs, if not empty, restricts the campaign to these bugs, each
	// "system/bug" or a bare bug name; their controls still run.
	Bugs []string
	// Results is the root directory; the campaign writes into a new
	// detect-<time> directory under it.
	Results string
	// Systems is the registry; nil means the built-in systems.
	Systems *systems.Registry
	// NodeBinary is the faultline binary that runs the Raft KV nodes.
	NodeBinary string
	// Parallel is how many runs go at once (default 1). Runs share
	// nothing (each has its own Toxiproxy, ports and processes), but they
	// share the machine's cores, and a slow machine slows the systems.
	Parallel int
	// Progress, if set, hears of every finished run (one at a time).
	Progress func(DetectRun)
}

// DetectCase is one run set-up of a detection campaign: a bug's exposure,
// or a correct system under the same faults (Bug empty).
type DetectCase struct {
	System   string        `json:"system"`
	Bug      string        `json:"bug,omitempty"`
	Does     string        `json:"does,omitempty"`
	Workload string        `json:"workload"`
	Faults   []string      `json:"faults"`
	Flags    []string      `json:"flags,omitempty"`
	Time     time.Duration `json:"time"`
	Interval time.Duration `json:"nemesis_interval,omitempty"`
	Targets  string        `json:"targets,omitempty"`
	// Directions are the toxic directions to draw from (--directions).
	Directions string `json:"directions,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Name is "system/bug", or the system and its faults for a control.
func (c DetectCase) Name() string {
	if c.Bug != "" {
		return c.System + "/" + c.Bug
	}
	name := c.System + " [" + strings.Join(c.Faults, ",")
	if c.Interval > 0 {
		name += " every " + c.Interval.String()
	}
	if c.Targets != "" {
		name += " on " + c.Targets
	}
	if c.Directions != "" {
		name += " " + c.Directions
	}
	name += "]"
	if len(c.Flags) > 0 {
		name += " " + strings.Join(c.Flags, " ")
	}
	return name
}

// key identifies a control: the same system under the same faults and
// flags is run once, for as long as the longest of the bugs it controls.
func (c DetectCase) key() string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", c.System, c.Workload, strings.Join(c.Faults, ","), strings.Join(c.Flags, " "), c.Interval, c.Targets, c.Directions)
}

// Command is the `faultline run` command line of the case with seed.
func (c DetectCase) Command(seed int64) string {
	args := []string{"faultline", "run", "--system", c.System}
	if c.Workload != "" {
		args = append(args, "--workload", c.Workload)
	}
	args = append(args, c.Flags...)
	if c.Bug != "" {
		args = append(args, "--bug", c.Bug)
	}
	nem := "none"
	if len(c.Faults) > 0 {
		nem = strings.Join(c.Faults, ",")
	}
	args = append(args, "--nemesis", nem, "--time", c.Time.String())
	if c.Interval > 0 {
		args = append(args, "--nemesis-interval", c.Interval.String())
	}
	if c.Targets != "" {
		args = append(args, "--targets", c.Targets)
	}
	if c.Directions != "" {
		args = append(args, "--directions", c.Directions)
	}
	return strings.Join(append(args, "--seed", fmt.Sprint(seed)), " ")
}

// DetectRun is one finished run of a case.
type DetectRun struct {
	Case  string           `json:"case"`
	Seed  int64            `json:"seed"`
	Valid checker.Validity `json:"valid"`
	// FirstAnomaly is when the first anomalous operation completed, from
	// the start of the run; -1 when there was none or it is not located.
	FirstAnomaly time.Duration `json:"first_anomaly"`
	Verdict      string        `json:"verdict,omitempty"`
	Dir          string        `json:"dir,omitempty"`
	// Error is the harness's failure, when the run did not end in a
	// verdict (its Valid is then unknown).
	Error   string        `json:"error,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// BugRow is a bug's line of the detection table.
type BugRow struct {
	DetectCase
	Runs   []DetectRun `json:"runs"`
	Caught int         `json:"caught"`
	// Unknown counts the runs that ended unknown (or in a harness error).
	Unknown int `json:"unknown"`
	// MedianFirstAnomaly is over the runs that caught it; -1 if none did.
	MedianFirstAnomaly time.Duration `json:"median_first_anomaly"`
	// Controls names the control cases of this bug.
	Controls []string `json:"controls"`
}

// ControlRow is a correct system's line: every invalid verdict is a false
// alarm.
type ControlRow struct {
	DetectCase
	Runs        []DetectRun `json:"runs"`
	FalseAlarms int         `json:"false_alarms"`
	Valid       int         `json:"valid"`
	Unknown     int         `json:"unknown"`
}

// DetectReport is what a detection campaign found: detect.json.
type DetectReport struct {
	Dir      string        `json:"dir"`
	Started  time.Time     `json:"started"`
	Elapsed  time.Duration `json:"elapsed"`
	Seeds    []int64       `json:"seeds"`
	Bugs     []BugRow      `json:"bugs"`
	Controls []ControlRow  `json:"controls"`
	// Interrupted is true when the campaign was stopped before every run
	// finished; the rows hold the runs that did.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Plan lists the bug cases of cfg and their controls, in registry order.
func (cfg DetectConfig) Plan() (bugs, controls []DetectCase, controlsOf map[string][]string, err error) {
	reg := cfg.Systems
	if reg == nil {
		reg = Config{}.registry()
	}
	byKey := map[string]int{}
	controlsOf = map[string][]string{}
	addControl := func(c DetectCase) string {
		if i, ok := byKey[c.key()]; ok {
			controls[i].Time = max(controls[i].Time, c.Time)
			return controls[i].key()
		}
		byKey[c.key()] = len(controls)
		controls = append(controls, c)
		return c.key()
	}
	matched := map[string]bool{}
	for _, sys := range reg.All() {
		cat, ok := sys.(systems.BugCatalog)
		if !ok {
			continue
		}
		for _, b := range cat.Bugs() {
			name := sys.Name() + "/" + b.Name
			if len(cfg.Bugs) > 0 && !slices.Contains(cfg.Bugs, name) && !slices.Contains(cfg.Bugs, b.Name) {
				continue
			}
			matched[name], matched[b.Name] = true, true
			e := b.Exposure
			c := DetectCase{System: sys.Name(), Bug: b.Name, Does: b.Does, Workload: e.Workload, Faults: slices.Clone(e.Faults),
				Flags: slices.Clone(e.Flags), Time: e.Time, Interval: e.Interval, Targets: e.Targets, Directions: e.Directions, Note: e.Note}
			if c.Workload == "" {
				c.Workload = sys.Workloads()[0]
			}
			if cfg.Time > 0 {
				c.Time = cfg.Time
			}
			ctl := c
			ctl.Bug, ctl.Does, ctl.Note = "", "", ""
			keys := []string{addControl(ctl)}
			// Another system that runs the same workload and takes the same
			// faults is a control too, when the exposure needs none of the
			// bug's system's own settings: a real system nobody here wrote
			// (etcd) keeps the checker honest.
			if len(c.Flags) == 0 {
				for _, peer := range reg.All() {
					if peer.Name() == sys.Name() || !slices.Contains(peer.Workloads(), c.Workload) ||
						!containsAll(peer.Faults(), c.Faults) {
						continue
					}
					pc := ctl
					pc.System = peer.Name()
					keys = append(keys, addControl(pc))
				}
			}
			controlsOf[name] = keys
			bugs = append(bugs, c)
		}
	}
	for _, want := range cfg.Bugs {
		if !matched[want] {
			return nil, nil, nil, fmt.Errorf("%w: no bug %q in any catalog; 'faultline list' shows them", history.ErrBadConfig, want)
		}
	}
	if len(bugs) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no system has a bug catalog", history.ErrBadConfig)
	}
	return bugs, controls, controlsOf, nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// runConfig is the run of case c with seed: the system's settings from
// its defaults and the exposure's flags, parsed as `faultline run` parses
// them, with the bug switched on for a bug case.
func (cfg DetectConfig) runConfig(c DetectCase, seed int64, dir string) (Config, error) {
	rc := DefaultConfig()
	rc.Systems, rc.NodeBinary, rc.Results = cfg.Systems, cfg.NodeBinary, dir
	rc.System, rc.Workload, rc.Nemesis, rc.Time, rc.Seed = c.System, c.Workload, slices.Clone(c.Faults), c.Time, seed
	if rc.Nemesis == nil {
		rc.Nemesis = []string{}
	}
	if c.Interval > 0 {
		rc.NemesisInterval = c.Interval
	}
	rc.Bounds.Targets, rc.Bounds.Directions = c.Targets, c.Directions
	sys, ok := rc.registry().Lookup(c.System)
	if !ok {
		return rc, fmt.Errorf("%w: unknown system %q", history.ErrBadConfig, c.System)
	}
	s := sys.NewSettings()
	fs := pflag.NewFlagSet(c.System, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.AddFlags(fs)
	args := slices.Clone(c.Flags)
	if c.Bug != "" {
		args = append(args, "--bug="+c.Bug)
	}
	if err := fs.Parse(args); err != nil {
		return rc, fmt.Errorf("%w: the exposure of %s: %w", history.ErrBadConfig, c.Name(), err)
	}
	rc.Settings = s
	return rc, nil
}

// Detect runs the campaign: for each seed, every bug case and then every
// control, Parallel at a time, each into its own run directory. It writes
// detect.json and detect.md into the campaign's directory, also when ctx
// ends it early (Interrupted), and returns the report. An error that ends
// one run (a harness failure) is recorded in its row and the campaign goes
// on; bad input ends it before any run.
func Detect(ctx context.Context, cfg DetectConfig, logger *slog.Logger) (*DetectReport, error) {
	bugs, controls, controlsOf, err := cfg.Plan()
	if err != nil {
		return nil, err
	}
	if len(cfg.Seeds) == 0 {
		return nil, fmt.Errorf("%w: a detection campaign needs at least one seed", history.ErrBadConfig)
	}
	for _, c := range append(slices.Clone(bugs), controls...) {
		rc, err := cfg.runConfig(c, cfg.Seeds[0], cfg.Results)
		if err == nil {
			err = rc.resolve().Validate()
		}
		if err != nil {
			return nil, fmt.Errorf("the run of %s: %w", c.Name(), err)
		}
	}
	start := time.Now()
	dir := filepath.Join(cfg.Results, "detect-"+start.UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the detection directory: %w", err)
	}
	rep := &DetectReport{Dir: dir, Started: start, Seeds: slices.Clone(cfg.Seeds)}
	for _, b := range bugs {
		row := BugRow{DetectCase: b, MedianFirstAnomaly: -1}
		for _, k := range controlsOf[b.System+"/"+b.Bug] {
			for _, c := range controls {
				if c.key() == k {
					row.Controls = append(row.Controls, c.Name())
				}
			}
		}
		rep.Bugs = append(rep.Bugs, row)
	}
	for _, c := range controls {
		rep.Controls = append(rep.Controls, ControlRow{DetectCase: c})
	}
	runOne := func(c DetectCase, seed int64) DetectRun {
		began := time.Now()
		r := DetectRun{Case: c.Name(), Seed: seed, Valid: checker.Unknown, FirstAnomaly: -1}
		rc, err := cfg.runConfig(c, seed, dir)
		var out *Outcome
		if err == nil {
			out, err = Run(ctx, rc, logger)
		}
		if err != nil {
			r.Error = err.Error()
		}
		if out != nil {
			r.Dir, r.Valid = out.Dir, out.Valid()
			if out.Summary != nil {
				r.Verdict = out.Summary.VerdictLine()
				if at, ok := out.Summary.FirstAnomaly(); ok {
					r.FirstAnomaly = time.Duration(at)
				}
			}
		}
		r.Elapsed = time.Since(began)
		return r
	}
	// One job per case and seed, seed by seed, so that a campaign cut
	// short has whole seeds.
	type job struct {
		c      DetectCase
		seed   int64
		record func(DetectRun)
	}
	var jobs []job
	for k, seed := range cfg.Seeds {
		for i, b := range bugs {
			jobs = append(jobs, job{b, seed, func(r DetectRun) { rep.Bugs[i].Runs = append(rep.Bugs[i].Runs, r) }})
		}
		if cfg.ControlSeeds > 0 && k >= cfg.ControlSeeds {
			continue
		}
		for i, c := range controls {
			jobs = append(jobs, job{c, seed, func(r DetectRun) { rep.Controls[i].Runs = append(rep.Controls[i].Runs, r) }})
		}
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan job)
	)
	for range max(1, cfg.Parallel) {
		wg.Go(func() {
			for j := range next {
				r := runOne(j.c, j.seed)
				mu.Lock()
				j.record(r)
				if cfg.Progress != nil {
					cfg.Progress(r)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for i := range rep.Bugs {
		slices.SortStableFunc(rep.Bugs[i].Runs, func(a, b DetectRun) int { return cmp.Compare(a.Seed, b.Seed) })
	}
	for i := range rep.Controls {
		slices.SortStableFunc(rep.Controls[i].Runs, func(a, b DetectRun) int { return cmp.Compare(a.Seed, b.Seed) })
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Elapsed = time.Since(start)
	rep.tally()
	return rep, rep.write()
}

// tally counts each row's runs.
func (rep *DetectReport) tally() {
	for i := range rep.Bugs {
		row := &rep.Bugs[i]
		row.Caught, row.Unknown = 0, 0
		var firsts []time.Duration
		for _, r := range row.Runs {
			switch r.Valid {
			case checker.Invalid:
				row.Caught++
				if r.FirstAnomaly >= 0 {
					firsts = append(firsts, r.FirstAnomaly)
				}
			case checker.Unknown:
				row.Unknown++
			}
		}
		row.MedianFirstAnomaly = median(firsts)
	}
	for i := range rep.Controls {
		row := &rep.Controls[i]
		row.FalseAlarms, row.Valid, row.Unknown = 0, 0, 0
		for _, r := range row.Runs {
			switch r.Valid {
			case checker.Invalid:
				row.FalseAlarms++
			case checker.Valid:
				row.Valid++
			default:
				row.Unknown++
			}
		}
	}
}

// median is the middle value (the lower of the two middle ones), or -1.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	ds = slices.Sorted(slices.Values(ds))
	return ds[(len(ds)-1)/2]
}

// Missed lists the bugs caught in no run, and FalseAlarms the controls with
// an invalid run: what makes a detection campaign fail.
func (rep *DetectReport) Missed() []string {
	var out []string
	for _, b := range rep.Bugs {
		if len(b.Runs) > 0 && b.Caught == 0 {
			out = append(out, b.Name())
		}
	}
	return out
}

// FalseAlarms lists the controls that some run called invalid.
func (rep *DetectReport) FalseAlarms() []string {
	var out []string
	for _, c := range rep.Controls {
		if c.FalseAlarms > 0 {
			out = append(out, c.Name())
		}
	}
	return out
}

// BelowBar lists the bugs caught in fewer than frac of their runs.
func (rep *DetectReport) BelowBar(frac float64) []string {
	var out []string
	for _, b := range rep.Bugs {
		if len(b.Runs) > 0 && float64(b.Caught) < frac*float64(len(b.Runs)) {
			out = append(out, b.Name())
		}
	}
	return out
}

func (rep *DetectReport) write() error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	err = os.WriteFile(filepath.Join(rep.Dir, "detect.json"), append(b, '\n'), 0o644)
	return errors.Join(err, os.WriteFile(filepath.Join(rep.Dir, "detect.md"), []byte(rep.Table()), 0o644))
}

// Table is the detection table in Markdown: one line per bug, then one per
// control.
func (rep *DetectReport) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| bug | faults | caught | median time to first anomaly | false alarms on the correct systems |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- |\n")
	alarms := map[string]string{}
	for _, c := range rep.Controls {
		alarms[c.Name()] = fmt.Sprintf("%s %d/%d", c.System, c.FalseAlarms, len(c.Runs))
	}
	for _, r := range rep.Bugs {
		var ctl []string
		for _, c := range r.Controls {
			ctl = append(ctl, alarms[c])
		}
		first := "—"
		if r.MedianFirstAnomaly >= 0 {
			first = r.MedianFirstAnomaly.Round(100 * time.Millisecond).String()
		}
		caught := fmt.Sprintf("%d/%d", r.Caught, len(r.Runs))
		if r.Unknown > 0 {
			caught += fmt.Sprintf(" (%d unknown)", r.Unknown)
		}
		faults := strings.Join(r.Faults, ",")
		if len(r.Flags) > 0 {
			faults += " (" + strings.Join(r.Flags, " ") + ")"
		}
		fmt.Fprintf(&b, "| `%s` | %s, %s | %s | %s | %s |\n", r.Name(), faults, r.Time, caught, first, strings.Join(ctl, ", "))
	}
	fmt.Fprintf(&b, "\n| correct system (control) | runs | valid | unknown | false alarms |\n| --- | --- | --- | --- | --- |\n")
	for _, c := range rep.Controls {
		fmt.Fprintf(&b, "| %s, %s | %d | %d | %d | %d |\n", c.Name(), c.Time, len(c.Runs), c.Valid, c.Unknown, c.FalseAlarms)
	}
	fmt.Fprintf(&b, "\n%d seeds (%s), %s", len(rep.Seeds), seedList(rep.Seeds), rep.Elapsed.Round(time.Second))
	if rep.Interrupted {
		b.WriteString("; interrupted before every run finished")
	}
	b.WriteString(".\n")
	return b.String()
}

func seedList(seeds []int64) string {
	if len(seeds) > 1 && seeds[len(seeds)-1]-seeds[0] == int64(len(seeds)-1) {
		return fmt.Sprintf("%d–%d", seeds[0], seeds[len(seeds)-1])
	}
	s := make([]string, len(seeds))
	for i, v := range seeds {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}
