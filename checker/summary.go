package checker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
)

// WorkloadRegister is the workload whose checker this package builds in.
const WorkloadRegister = "register"

// ErrOptions is wrapped by every error about invalid Options.
var ErrOptions = errors.New("invalid check options")

// Options configures Check.
type Options struct {
	// Workload names the workload that recorded the history. For
	// "register" (the default) Check adds the linearizability checker;
	// for any other workload the caller supplies the checkers.
	Workload string
	// Checkers are extra checkers, run after the built-in one.
	Checkers []Checker
	// TimeLimit bounds the linearizability check (0: DefaultTimeLimit).
	TimeLimit time.Duration
	// RequestedFaults lists the fault kinds the run asked for; one never
	// injected makes the verdict Unknown.
	RequestedFaults []string
	// TornTail records that the history's last line was torn and dropped
	// (history.History.TornTail); the summary says so.
	TornTail bool
	// MaxVisualizedOps bounds linearizability.html (0: 5,000 operations).
	MaxVisualizedOps int
}

// DefaultOptions checks a register history.
func DefaultOptions() Options {
	return Options{Workload: WorkloadRegister, TimeLimit: DefaultTimeLimit, MaxVisualizedOps: defaultMaxVisualizedOps}
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	switch {
	case o.TimeLimit < 0:
		return fmt.Errorf("%w: time limit %s is negative", ErrOptions, o.TimeLimit)
	case o.MaxVisualizedOps < 0:
		return fmt.Errorf("%w: max visualized ops %d is negative", ErrOptions, o.MaxVisualizedOps)
	case o.Workload != "" && o.Workload != WorkloadRegister && len(o.Checkers) == 0:
		return fmt.Errorf("%w: workload %q has no built-in checker (only %q has); pass its checkers in Options.Checkers",
			ErrOptions, o.Workload, WorkloadRegister)
	}
	for i, c := range o.Checkers {
		if c == nil {
			return fmt.Errorf("%w: checker %d is nil", ErrOptions, i)
		}
	}
	return nil
}

// Summary is the verdict on a history and its evidence: what summary.json
// holds.
type Summary struct {
	// Valid merges every checker's verdict.
	Valid Validity `json:"valid"`
	// Verdict is VerdictLine.
	Verdict  string `json:"verdict"`
	Workload string `json:"workload"`
	// TornTail is true when the history's torn last line was dropped.
	TornTail bool `json:"torn_tail,omitempty"`
	// Ops counts the client operations by outcome.
	Ops OpCounts `json:"ops"`
	// Faults are the fault windows and what each kind of fault covered.
	Faults FaultSummary `json:"faults"`
	// Results has one entry per checker: linearizability (register), the
	// caller's checkers, stats (the too-little-work rule), coverage.
	Results []Result `json:"results"`

	ops       []history.Op
	stats     Stats
	lin       *linearization
	maxVisual int
	timeLimit time.Duration
}

// FaultSummary is the faults of a run.
type FaultSummary struct {
	Windows  []history.Window `json:"windows"`
	Coverage Coverage         `json:"coverage"`
}

// Check runs every checker that applies on ops and merges their verdicts.
// It returns an error wrapping ErrBadHistory when the history breaks the
// format's rules, or ErrOptions for bad options: bad input, not a verdict.
func Check(ctx context.Context, ops []history.Op, opts Options) (*Summary, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Workload == "" {
		opts.Workload = WorkloadRegister
	}
	if opts.MaxVisualizedOps == 0 {
		opts.MaxVisualizedOps = defaultMaxVisualizedOps
	}
	pairs, err := Pairs(ops)
	if err != nil {
		return nil, err
	}
	windows := history.FaultWindows(ops)
	s := &Summary{
		Workload: opts.Workload, TornTail: opts.TornTail, ops: ops, maxVisual: opts.MaxVisualizedOps, timeLimit: opts.TimeLimit,
		stats: ComputeStats(ops, pairs, windows),
	}
	cov := ComputeCoverage(ops, pairs, windows, opts.RequestedFaults)
	if opts.Workload == WorkloadRegister {
		pops, err := RegisterOperations(pairs)
		if err != nil {
			return nil, err
		}
		pairs = nil // nothing needs them now: spare the collector scanning them during the search
		s.lin = LinearizableChecker{TimeLimit: opts.TimeLimit}.checkOperations(ctx, pops, len(pops) <= opts.MaxVisualizedOps)
		s.Results = append(s.Results, s.lin.result)
	}
	for _, c := range opts.Checkers {
		r := c.Check(ctx, ops)
		if r.Checker == "" {
			r.Checker = c.Name()
		}
		s.Results = append(s.Results, r)
	}
	s.Results = append(s.Results, StatsChecker{}.check(s.stats), CoverageChecker{Requested: opts.RequestedFaults}.check(cov))
	s.Ops = s.stats.Ops
	s.Faults = FaultSummary{Windows: windows, Coverage: cov}
	if s.Faults.Windows == nil {
		s.Faults.Windows = []history.Window{}
	}
	vs := make([]Validity, len(s.Results))
	for i, r := range s.Results {
		vs[i] = r.Valid
	}
	s.Valid = Merge(vs...)
	s.Verdict = s.VerdictLine()
	return s, nil
}

// Stats is the run's operation statistics.
func (s *Summary) Stats() Stats { return s.stats }

// VerdictLine says the verdict in one line, for the end of a run:
//
//	INVALID: linearizability: key 3: read by process 2 … returned 4, but …
//	UNKNOWN: stats: too little work: no client operation succeeded …
//	VALID: 12,345 ops (10,211 ok, 1,802 fail, 332 info), 6 faults
func (s *Summary) VerdictLine() string {
	line := ""
	switch s.Valid {
	case Valid:
		line = fmt.Sprintf("VALID: %s ops (%s ok, %s fail, %s info), %s",
			thousands(s.Ops.Total), thousands(s.Ops.Ok), thousands(s.Ops.Fail), thousands(s.Ops.Info),
			plural(len(s.Faults.Windows), "fault", "faults"))
	default:
		line = strings.ToUpper(s.Valid.String()) + ": "
		for _, r := range s.Results {
			if r.Valid == s.Valid {
				line += r.Checker + ": " + r.Explanation
				break
			}
		}
	}
	if s.TornTail {
		line += " (the history's torn last line was dropped)"
	}
	return line
}

// WriteFile writes the summary as indented JSON to path (summary.json). It
// writes a temporary file and renames it, so a crash never leaves a
// half-written summary looking complete.
func (s *Summary) WriteFile(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding summary: %w", err)
	}
	return history.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// thousands writes n with comma separators: 12,345.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}
