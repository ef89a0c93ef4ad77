package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// A campaign file (YAML) is a matrix of runs:
//
//	name: nightly
//	time: 30s            # per run, may be overridden per run
//	seeds: [1, 2, 3]     # each run entry runs once per seed
//	runs:
//	  - system: raftkv
//	    workload: register
//	    nemesis: [partition, latency, kill, pause]
//	  - system: redislock
//	    lock: naive
//	    nemesis: [latency]
//	    expect: invalid  # this run passes when an anomaly is found
//
// Every key of a run but name, expect and seeds is a flag of `faultline
// run`, spelled as the flag is (nemesis-interval, or nemesis_interval), the
// system's own flags included (lock, bug, keys …); a list is a comma list,
// or the flag given once per item where the flag repeats (bug). So a run
// entry means exactly what its `faultline run` command line means, and
// that line is what the campaign prints to reproduce it.

// RunFlags is the flag set of `faultline run` for one run: the CLI makes
// one per run entry, so that a campaign file is read by the same flags and
// defaults as the command line.
type RunFlags interface {
	// FlagSet holds the run's flags; the campaign sets them by name.
	FlagSet() *pflag.FlagSet
	// Config is the run the flags set so far describe.
	Config() (Config, error)
}

// Campaign is a parsed campaign file.
type Campaign struct {
	Name string `json:"name"`
	// File is the file's path as given, and Digest the SHA-256 of its
	// bytes: shards of one campaign agree on it.
	File   string `json:"file"`
	Digest string `json:"digest"`
	// Runs are the run entries, and Cases the matrix they make: each
	// entry once per seed, in file order, seed by seed within an entry.
	Runs  []CampaignEntry `json:"-"`
	Cases []CampaignCase  `json:"-"`
}

// CampaignEntry is one run entry of the file.
type CampaignEntry struct {
	Line   int
	Name   string
	Expect checker.Validity
	Seeds  []int64
	// Args are the entry's `faultline run` flags, without --seed.
	Args []string
	// overridden are the --set overrides the entry took.
	overridden []string
}

// CampaignCase is one run of the matrix: an entry with one seed.
type CampaignCase struct {
	// Index is the case's place in the whole matrix, which shards split.
	Index  int              `json:"index"`
	Name   string           `json:"name"`
	Class  string           `json:"class"` // system.workload, JUnit's classname
	Line   int              `json:"line"`  // of its run entry in the file
	Seed   int64            `json:"seed"`
	Expect checker.Validity `json:"expect"`
	// Command is the `faultline run` command line that repeats the case.
	Command string   `json:"command"`
	Args    []string `json:"-"`
	config  Config
}

// campaignKeys are a campaign file's top-level keys; runKeys the keys of a
// run entry that are not flags of `faultline run`.
var (
	campaignKeys = []string{"name", "time", "seeds", "runs"}
	runKeys      = []string{"name", "expect", "seeds"}
	// Flags of `faultline run` a campaign sets itself.
	campaignOwned = []string{"seed", "results"}
)

// ParseCampaign reads a campaign file. newFlags makes the `faultline run`
// flag set of one run. Every run of the matrix is configured and validated
// here, before anything runs; an error names the file and line and wraps
// history.ErrBadConfig.
//
// Overrides (`faultline campaign --set`) give a flag to every run they
// match that does not set it itself (over the campaign's time, too), so
// that one file can run against other servers (a compose stack's
// Toxiproxy and Redis) without a copy of it.
func ParseCampaign(data []byte, file string, newFlags func() RunFlags, overrides ...Override) (*Campaign, error) {
	bad := func(line int, format string, a ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", history.ErrBadConfig, file, line, fmt.Sprintf(format, a...))
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%w: %s is empty: a campaign needs a name and runs (see campaigns/smoke.yaml)", history.ErrBadConfig, file)
		}
		return nil, fmt.Errorf("%w: %s: %w", history.ErrBadConfig, file, err)
	}
	top := &doc
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil, bad(top.Line, "a campaign is a mapping with the keys %s", strings.Join(campaignKeys, ", "))
	}
	sum := sha256.Sum256(data)
	c := &Campaign{File: file, Digest: hex.EncodeToString(sum[:])}
	var (
		timeNode  *yaml.Node
		seeds     = []int64{1}
		runs      *yaml.Node
		seen      = map[string]bool{}
		seedsNode *yaml.Node
	)
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			return nil, bad(k.Line, "%q is given twice", k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, bad(v.Line, "name is a non-empty string")
			}
			c.Name = v.Value
		case "time":
			timeNode = v
		case "seeds":
			seedsNode = v
		case "runs":
			runs = v
		default:
			return nil, bad(k.Line, "unknown key %q; a campaign's keys are %s", k.Value, strings.Join(campaignKeys, ", "))
		}
	}
	if c.Name == "" {
		return nil, bad(top.Line, "the campaign has no name: add `name: nightly` (it names the results directory and the JUnit suite)")
	}
	if strings.ContainsAny(c.Name, `/\`) || c.Name == "." || c.Name == ".." {
		return nil, bad(top.Line, "name %q must not contain a path separator", c.Name)
	}
	if seedsNode != nil {
		var err error
		if seeds, err = parseSeeds(seedsNode); err != nil {
			return nil, bad(seedsNode.Line, "%v", err)
		}
	}
	if timeNode != nil && timeNode.Kind != yaml.ScalarNode {
		return nil, bad(timeNode.Line, "time is a duration (examples: 30s, 2m)")
	}
	if runs == nil || runs.Kind != yaml.SequenceNode || len(runs.Content) == 0 {
		line := top.Line
		if runs != nil {
			line = runs.Line
		}
		return nil, bad(line, "the campaign has no runs: add a list under `runs:`, each with at least `system:`")
	}
	names := map[string]int{}
	for _, rn := range runs.Content {
		e, cfg, err := parseEntry(rn, timeNode, seeds, newFlags, overrides, bad)
		if err != nil {
			return nil, err
		}
		c.Runs = append(c.Runs, e)
		for _, seed := range e.Seeds {
			cfg := cfg
			cfg.Seed = seed
			resolved := cfg.resolve()
			if err := resolved.Validate(); err != nil {
				msg := strings.TrimPrefix(err.Error(), history.ErrBadConfig.Error()+": ")
				if len(e.overridden) > 0 {
					msg += " (with --set " + strings.Join(e.overridden, " --set ") + ")"
				}
				return nil, bad(e.Line, "%s", msg)
			}
			name := fmt.Sprintf("%s seed %d", e.Name, seed)
			if n := names[name]; n > 0 {
				name = fmt.Sprintf("%s #%d", name, n+1)
			}
			names[name]++
			c.Cases = append(c.Cases, CampaignCase{
				Index: len(c.Cases), Name: name, Class: resolved.System + "." + resolved.Workload, Line: e.Line,
				Seed: seed, Expect: e.Expect, Args: e.Args, config: cfg,
				Command: strings.Join(append(append([]string{"faultline", "run"}, quoteArgs(e.Args)...), "--seed", strconv.FormatInt(seed, 10)), " "),
			})
		}
	}
	return c, nil
}

// parseEntry reads one run entry into its flags and the run they make.
func parseEntry(rn *yaml.Node, timeNode *yaml.Node, seeds []int64, newFlags func() RunFlags, overrides []Override,
	bad func(int, string, ...any) error) (CampaignEntry, Config, error) {
	e := CampaignEntry{Line: rn.Line, Expect: checker.Valid, Seeds: seeds}
	if rn.Kind != yaml.MappingNode {
		return e, Config{}, bad(rn.Line, "a run is a mapping of `faultline run` flags, for example `system: raftkv`")
	}
	rf := newFlags()
	fs := rf.FlagSet()
	seen := map[string]bool{}
	hasTime := false
	// The system first: which flags exist depends on it.
	type kv struct{ k, v *yaml.Node }
	var pairs []kv
	for i := 0; i+1 < len(rn.Content); i += 2 {
		p := kv{rn.Content[i], rn.Content[i+1]}
		if p.k.Value == "system" {
			pairs = append([]kv{p}, pairs...)
		} else {
			pairs = append(pairs, p)
		}
	}
	var described []string
	for _, p := range pairs {
		key := strings.ReplaceAll(p.k.Value, "_", "-")
		if seen[key] {
			return e, Config{}, bad(p.k.Line, "%q is given twice in this run", p.k.Value)
		}
		seen[key] = true
		switch key {
		case "name":
			if p.v.Kind != yaml.ScalarNode || p.v.Value == "" {
				return e, Config{}, bad(p.v.Line, "name is a non-empty string")
			}
			e.Name = p.v.Value
			continue
		case "expect":
			switch p.v.Value {
			case "valid":
				e.Expect = checker.Valid
			case "invalid":
				e.Expect = checker.Invalid
			default:
				return e, Config{}, bad(p.v.Line, "expect is valid or invalid, not %q", p.v.Value)
			}
			continue
		case "seeds":
			s, err := parseSeeds(p.v)
			if err != nil {
				return e, Config{}, bad(p.v.Line, "%v", err)
			}
			e.Seeds = s
			continue
		}
		if slices.Contains(campaignOwned, key) {
			return e, Config{}, bad(p.k.Line, "%q is set by the campaign: use seeds (a list) instead of seed, and --results on the command line", p.k.Value)
		}
		f := fs.Lookup(key)
		if f == nil || key == "help" {
			return e, Config{}, bad(p.k.Line, "unknown key %q: a run's keys are name, expect, seeds and the flags of `faultline run` (see 'faultline run --help')", p.k.Value)
		}
		values, err := nodeValues(p.v)
		if err != nil {
			return e, Config{}, bad(p.v.Line, "%s: %v", p.k.Value, err)
		}
		if len(values) > 1 {
			// A list is a comma list for a string flag (nemesis, targets),
			// the flag once per item for one that repeats (bug), and an
			// error for a number, a duration or a switch.
			switch f.Value.Type() {
			case "string":
				values = []string{strings.Join(values, ",")}
			case "bool", "int", "int64", "uint", "float64", "duration":
				return e, Config{}, bad(p.v.Line, "%s takes one value, not a list", p.k.Value)
			}
		}
		for _, v := range values {
			if err := fs.Set(key, v); err != nil {
				return e, Config{}, bad(p.v.Line, "%s: %q: %v", p.k.Value, v, err)
			}
			e.Args = append(e.Args, "--"+key+"="+v)
		}
		// The flags are read as a whole (the faults parsed, the system's
		// own replayed into its settings): the first key after which they
		// no longer make a run is the one to blame.
		if _, err := rf.Config(); err != nil {
			return e, Config{}, bad(p.v.Line, "%s: %v", p.k.Value, strings.TrimPrefix(err.Error(), history.ErrBadConfig.Error()+": "))
		}
		if key == "time" {
			hasTime = true
		}
		if key != "system" {
			described = append(described, key+"="+strings.Join(values, ","))
		}
	}
	if timeNode != nil && !hasTime {
		if err := fs.Set("time", timeNode.Value); err != nil {
			return e, Config{}, bad(timeNode.Line, "time: %q: %v", timeNode.Value, err)
		}
		e.Args = append(e.Args, "--time="+timeNode.Value)
	}
	system := ""
	if f := fs.Lookup("system"); f != nil {
		system = f.Value.String()
	}
	for _, o := range overrides {
		// The file is authoritative for what a run says itself: an
		// override fills only what the run leaves open.
		if (o.System != "" && o.System != system) || seen[o.Flag] {
			continue
		}
		if fs.Lookup(o.Flag) == nil || slices.Contains(campaignOwned, o.Flag) || o.Flag == "system" {
			return e, Config{}, fmt.Errorf("%w: --set %s: a %s run has no flag --%s to set", history.ErrBadConfig, o, system, o.Flag)
		}
		if err := fs.Set(o.Flag, o.Value); err != nil {
			return e, Config{}, fmt.Errorf("%w: --set %s: %v", history.ErrBadConfig, o, err)
		}
		if _, err := rf.Config(); err != nil {
			return e, Config{}, bad(rn.Line, "with --set %s: %v", o, strings.TrimPrefix(err.Error(), history.ErrBadConfig.Error()+": "))
		}
		e.Args = append(e.Args, "--"+o.Flag+"="+o.Value)
		e.overridden = append(e.overridden, o.String())
	}
	cfg, err := rf.Config()
	if err != nil {
		return e, Config{}, bad(rn.Line, "%v", strings.TrimPrefix(err.Error(), history.ErrBadConfig.Error()+": "))
	}
	cfg.Args = e.Args
	if e.Name == "" {
		e.Name = strings.Join(append([]string{cfg.System}, described...), " ")
	}
	return e, cfg, nil
}

// nodeValues is a scalar's value, or a list's.
func nodeValues(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("a list of plain values, not of lists or mappings")
			}
			out = append(out, item.Value)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("an empty list: leave the key out for the default, or write none")
		}
		return out, nil
	}
	return nil, fmt.Errorf("a value or a list of values, not a mapping")
}

// parseSeeds reads a seed or a list of seeds.
func parseSeeds(n *yaml.Node) ([]int64, error) {
	values, err := nodeValues(n)
	if err != nil {
		return nil, fmt.Errorf("seeds: %v", err)
	}
	var out []int64
	for _, v := range values {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seeds: %q is not an integer", v)
		}
		if slices.Contains(out, s) {
			return nil, fmt.Errorf("seeds: %d is listed twice", s)
		}
		out = append(out, s)
	}
	return out, nil
}

// quoteArgs quotes the arguments a shell would split.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"$`\\*?;&|<>()[]{}") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// Shard is the I-th of N slices of a campaign's matrix (1 ≤ I ≤ N); the
// zero Shard is the whole matrix.
type Shard struct {
	I int `json:"i"`
	N int `json:"n"`
}

// Override is one `faultline campaign --set [SYSTEM.]FLAG=VALUE`: a run
// flag given to every run of the campaign, or to the runs of one system,
// that does not set the flag itself.
type Override struct {
	System string // empty: every run
	Flag   string
	Value  string
}

// ParseOverride reads [SYSTEM.]FLAG=VALUE.
func ParseOverride(s string) (Override, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return Override{}, fmt.Errorf("%w: --set %q: give [SYSTEM.]FLAG=VALUE, for example redislock.redis=redis:6379", history.ErrBadConfig, s)
	}
	var o Override
	if sys, flag, ok := strings.Cut(k, "."); ok {
		o.System, k = sys, flag
	}
	o.Flag, o.Value = strings.TrimPrefix(strings.ReplaceAll(k, "_", "-"), "--"), v
	if o.Flag == "" {
		return Override{}, fmt.Errorf("%w: --set %q names no flag", history.ErrBadConfig, s)
	}
	return o, nil
}

func (o Override) String() string {
	if o.System != "" {
		return o.System + "." + o.Flag + "=" + o.Value
	}
	return o.Flag + "=" + o.Value
}

// ParseShard reads "I/N".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("%w: --shard %q: want I/N with 1 ≤ I ≤ N, for example 1/4", history.ErrBadConfig, s)
	}
	return Shard{I: i, N: n}, nil
}

// String is "I/N", or "" for the whole matrix.
func (s Shard) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// ShardCases are the cases of the shard: every N-th case of the matrix from
// the I-th on, so that each shard gets a mix of systems and seeds, and the
// split depends on the file alone.
func (c *Campaign) ShardCases(s Shard) []CampaignCase {
	if s.N <= 1 {
		return slices.Clone(c.Cases)
	}
	var out []CampaignCase
	for _, cs := range c.Cases {
		if cs.Index%s.N == s.I-1 {
			out = append(out, cs)
		}
	}
	return out
}
