package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/builtin"
)

// StoredRun is a run as its results directory tells it: run.json's id,
// configuration and end, and summary.json's verdict.
type StoredRun struct {
	Dir       string
	ID        string
	Status    string // complete, interrupted, failed, running
	Reproduce string
	// Config is the run's configuration as it ran, set up to run again:
	// the same seed, settings and reproduce line, results under the same
	// results directory, Repeats naming this run.
	Config Config
	// Verdict is summary.json's, or nil when the run was never checked.
	Verdict *checker.Validity
	// VerdictLine is summary.json's verdict sentence.
	VerdictLine string
}

// LoadRerun reads the run stored in dir for `faultline rerun`. Only a
// run.json of RunFormat can be repeated exactly; one of an older version
// or of another tool is refused with an error that says what to do
// instead, rather than run with guessed settings.
func LoadRerun(dir string, reg *systems.Registry) (*StoredRun, error) {
	if reg == nil {
		reg = builtin.Registry()
	}
	path := filepath.Join(dir, "run.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no run.json: it is not the results directory of a run", history.ErrBadConfig, dir)
	}
	if err != nil {
		return nil, err
	}
	var head struct {
		Format    string `json:"format"`
		Reproduce string `json:"reproduce"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid JSON: %w", history.ErrBadConfig, path, err)
	}
	if head.Format != RunFormat {
		what := "it has no format: an older faultline (or another tool) wrote it"
		if head.Format != "" {
			what = fmt.Sprintf("its format is %q", head.Format)
		}
		hint := ""
		if head.Reproduce != "" {
			hint = "; its reproduce line, " + head.Reproduce + ", may come close"
		}
		return nil, fmt.Errorf("%w: %s cannot be repeated exactly: %s, and this faultline repeats %s runs only%s",
			history.ErrBadConfig, path, what, RunFormat, hint)
	}
	meta, _, err := readRunMeta(dir, reg)
	if err != nil {
		return nil, err
	}
	if _, ok := reg.Lookup(meta.Config.System); !ok {
		return nil, fmt.Errorf("%w: %s: system %q is not one this faultline has (see 'faultline list')", history.ErrBadConfig, path, meta.Config.System)
	}
	cfg := meta.Config
	cfg.Systems, cfg.Seed, cfg.Args, cfg.Repeats = reg, meta.Seed, meta.Args, meta.ID
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cfg.Results = filepath.Dir(abs)
	run := &StoredRun{Dir: dir, ID: meta.ID, Status: meta.Status, Reproduce: meta.Reproduce, Config: cfg}
	if err := run.readVerdict(); err != nil {
		return nil, err
	}
	return run, nil
}

// readVerdict reads summary.json's verdict, if the run has one.
func (r *StoredRun) readVerdict() error {
	b, err := os.ReadFile(filepath.Join(r.Dir, checker.SummaryFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var s struct {
		Valid   *checker.Validity `json:"valid"`
		Verdict string            `json:"verdict"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %s: %w", history.ErrBadConfig, filepath.Join(r.Dir, checker.SummaryFile), err)
	}
	r.Verdict, r.VerdictLine = s.Valid, s.Verdict
	return nil
}

// ReproduceArgs are the `faultline run` flags of c's reproduce line, but
// for --seed: see runArgs.
func ReproduceArgs(c Config) []string { return runArgs(c) }

// runArgs are the `faultline run` flags of c's reproduce line: the flags
// the user gave, when the CLI recorded them, else every setting of c that
// differs from the defaults, the system's own settings included.
func runArgs(c Config) []string {
	if len(c.Args) > 0 {
		return c.Args
	}
	return configArgs(c)
}

// configArgs are the `faultline run` flags that make c, but for --seed and
// --results: every setting that differs from DefaultConfig's, and every
// setting of the run's own system that differs from its defaults.
func configArgs(c Config) []string {
	d := DefaultConfig()
	args := []string{"--system=" + c.System}
	add := func(name string, v, def any) {
		if s := fmt.Sprint(v); s != fmt.Sprint(def) {
			args = append(args, "--"+name+"="+s)
		}
	}
	add("workload", c.Workload, d.Workload)
	add("nemesis", nemesisArg(c.Nemesis), nemesisArg(d.Nemesis))
	add("nodes", c.Nodes, d.Nodes)
	add("time", c.Time, d.Time)
	add("concurrency", c.Concurrency, d.Concurrency)
	add("rate", c.Rate, d.Rate)
	add("op-timeout", c.OpTimeout, d.OpTimeout)
	add("toxiproxy", c.Toxiproxy, d.Toxiproxy)
	add("check-timeout", c.CheckTimeout, d.CheckTimeout)
	add("nemesis-interval", c.NemesisInterval, d.NemesisInterval)
	add("nemesis-overlap", c.NemesisOverlap, d.NemesisOverlap)
	add("recovery-time", c.RecoveryTime, d.RecoveryTime)
	add("shrink-timeout", c.ShrinkTimeout, d.ShrinkTimeout)
	b, db := c.Bounds, d.Bounds
	add("latency-min", b.LatencyMin, db.LatencyMin)
	add("latency-max", b.LatencyMax, db.LatencyMax)
	add("jitter", b.Jitter, db.Jitter)
	add("bandwidth-min", b.BandwidthMin, db.BandwidthMin)
	add("bandwidth-max", b.BandwidthMax, db.BandwidthMax)
	add("toxic-links", b.ToxicLinks, db.ToxicLinks)
	add("directions", b.Directions, db.Directions)
	add("topologies", b.Topologies, db.Topologies)
	add("targets", b.Targets, db.Targets)
	return append(args, settingsArgs(c)...)
}

func nemesisArg(faults []string) string {
	if len(faults) == 0 {
		return "none"
	}
	return strings.Join(faults, ",")
}

// settingsArgs are the flags of c's system settings that differ from the
// system's defaults, as its own flag set declares them: a repeatable flag
// once per value.
func settingsArgs(c Config) []string {
	sys, ok := c.registry().Lookup(c.System)
	if !ok || c.Settings == nil {
		return nil
	}
	bound := sys.NewSettings()
	src, dst := reflect.ValueOf(c.Settings), reflect.ValueOf(bound)
	if src.Type() != dst.Type() || src.Kind() != reflect.Pointer || src.IsNil() {
		return nil
	}
	fs := pflag.NewFlagSet(c.System, pflag.ContinueOnError)
	bound.AddFlags(fs)
	// The flags are bound to bound's fields: giving it c's settings gives
	// them c's values.
	dst.Elem().Set(src.Elem())
	var args []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Value.String() != f.DefValue {
			args = append(args, FlagArgs(f)...)
		}
	})
	return args
}

// FlagArgs is flag f's value as command-line arguments: --name=value, or
// once per value for a repeatable flag (a pflag.SliceValue).
func FlagArgs(f *pflag.Flag) []string {
	sv, ok := f.Value.(pflag.SliceValue)
	if !ok {
		return []string{"--" + f.Name + "=" + f.Value.String()}
	}
	var args []string
	for _, v := range sv.GetSlice() {
		args = append(args, "--"+f.Name+"="+v)
	}
	return args
}
