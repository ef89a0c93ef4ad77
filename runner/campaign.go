package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// Outcomes of a campaign case.
const (
	CaseMet     = "met"     // the verdict is the one expected
	CaseFailed  = "failed"  // a definite verdict, not the one expected
	CaseUnknown = "unknown" // no definite verdict: unknown, interrupted or a harness failure
	CaseNotRun  = "not run" // the campaign stopped before it
)

// CampaignOptions say where and how a campaign runs.
type CampaignOptions struct {
	// Results is the root directory; the campaign writes into a new
	// campaign-<name>-<time> directory under it.
	Results string
	// Shard, if set, runs only that slice of the matrix.
	Shard Shard
	// Parallel is how many runs go at once (default 1). A run that names
	// an outside server (an address or URL, such as --toxiproxy) runs
	// alone, since runs at once would share it.
	Parallel int
	// NodeBinary is the faultline binary that runs the Raft KV nodes.
	NodeBinary string
	// Progress, if set, hears of the campaign's runs.
	Progress CampaignProgress
}

// CampaignProgress hears of a campaign as it goes. Its methods may be
// called from several goroutines at once.
type CampaignProgress interface {
	Started(c CampaignCase)
	Status(c CampaignCase, s Status)
	Finished(r CaseResult)
}

// CaseResult is how one case of a campaign ended.
type CaseResult struct {
	CampaignCase
	Outcome string           `json:"outcome"` // CaseMet, CaseFailed, CaseUnknown or CaseNotRun
	Valid   checker.Validity `json:"valid"`
	Verdict string           `json:"verdict,omitempty"`
	// Dir is the run's directory, relative to the campaign's.
	Dir     string        `json:"dir,omitempty"`
	Error   string        `json:"error,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// CampaignReport is campaign.json: every case of the (sharded) matrix,
// how each ended, and the counts.
type CampaignReport struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Digest string `json:"digest"`
	// Shard is the slice this report covers; zero for the whole matrix.
	Shard Shard `json:"shard,omitzero"`
	// Shards are the shard reports a merged report joins.
	Shards []string `json:"shards,omitempty"`
	// Total is the size of the whole matrix.
	Total       int           `json:"total"`
	Started     time.Time     `json:"started"`
	Elapsed     time.Duration `json:"elapsed"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Counts      CaseCounts    `json:"counts"`
	Cases       []CaseResult  `json:"cases"`

	dir string
}

// CaseCounts count the cases by outcome.
type CaseCounts struct {
	Met     int `json:"met"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
	NotRun  int `json:"not_run"`
}

// Dir is the campaign's directory.
func (r *CampaignReport) Dir() string { return r.dir }

// ExitCode is the campaign's exit code: 0 when every case met its
// expectation, 1 when one did not, else 2 when one has no definite
// verdict or did not run.
func (r *CampaignReport) ExitCode() int {
	switch {
	case r.Counts.Failed > 0:
		return ExitInvalid
	case r.Counts.Unknown > 0 || r.Counts.NotRun > 0 || r.Interrupted:
		return ExitUnknown
	}
	return ExitValid
}

// Line is the campaign's result in one line.
func (r *CampaignReport) Line() string {
	s := fmt.Sprintf("campaign %s: %d of %d runs met their expectation", r.Name, r.Counts.Met, len(r.Cases))
	if r.Counts.Failed > 0 {
		s += fmt.Sprintf(", %d did not", r.Counts.Failed)
	}
	if r.Counts.Unknown > 0 {
		s += fmt.Sprintf(", %d ended without a verdict", r.Counts.Unknown)
	}
	if r.Counts.NotRun > 0 {
		s += fmt.Sprintf(", %d did not run", r.Counts.NotRun)
	}
	if r.Interrupted {
		s += " (interrupted)"
	}
	return s + fmt.Sprintf(" (%s)", r.Elapsed.Round(time.Second))
}

func (r *CampaignReport) tally() {
	r.Counts = CaseCounts{}
	for _, c := range r.Cases {
		switch c.Outcome {
		case CaseMet:
			r.Counts.Met++
		case CaseFailed:
			r.Counts.Failed++
		case CaseUnknown:
			r.Counts.Unknown++
		default:
			r.Counts.NotRun++
		}
	}
}

// write writes campaign.json and junit.xml, each by rename, so that a
// reader never sees half a file.
func (r *CampaignReport) write() error {
	r.tally()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	j, err := r.JUnit()
	if err != nil {
		return err
	}
	return errors.Join(writeAtomic(filepath.Join(r.dir, "campaign.json"), append(b, '\n')),
		writeAtomic(filepath.Join(r.dir, "junit.xml"), j))
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// RunCampaign runs the campaign's cases (of opts.Shard), Parallel at a
// time, each into its own run directory under the campaign's directory,
// and rewrites campaign.json and junit.xml after every run, so that a
// campaign killed outright still leaves what finished. When ctx ends (Ctrl-C),
// the runs in progress heal and stop, no new run starts, and the report
// lists every case that did not run.
func RunCampaign(ctx context.Context, c *Campaign, opts CampaignOptions, logger *slog.Logger) (*CampaignReport, error) {
	cases := c.ShardCases(opts.Shard)
	if len(cases) == 0 {
		return nil, fmt.Errorf("%w: shard %s of campaign %s has no runs: the matrix has %d; use fewer shards",
			history.ErrBadConfig, opts.Shard, c.Name, len(c.Cases))
	}
	start := time.Now()
	name := "campaign-" + c.Name + "-" + start.UTC().Format("20060102T150405Z")
	if opts.Shard.N > 1 {
		name += fmt.Sprintf("-shard-%d-of-%d", opts.Shard.I, opts.Shard.N)
	}
	dir, err := makeUniqueDir(opts.Results, name)
	if err != nil {
		return nil, err
	}
	rep := &CampaignReport{Name: c.Name, File: c.File, Digest: c.Digest, Shard: opts.Shard, Total: len(c.Cases),
		Started: start, dir: dir}
	if opts.Shard.N <= 1 {
		rep.Shard = Shard{}
	}
	for _, cs := range cases {
		rep.Cases = append(rep.Cases, CaseResult{CampaignCase: cs, Outcome: CaseNotRun, Valid: checker.Unknown})
	}
	var mu sync.Mutex // guards rep and the files
	if err := rep.write(); err != nil {
		return nil, fmt.Errorf("writing the campaign's report: %w", err)
	}
	runOne := func(i int) {
		cs := cases[i]
		cfg := cs.config
		cfg.Results, cfg.NodeBinary = dir, opts.NodeBinary
		if p := opts.Progress; p != nil {
			p.Started(cs)
			cfg.Status = func(s Status) { p.Status(cs, s) }
		}
		began := time.Now()
		res := CaseResult{CampaignCase: cs, Valid: checker.Unknown}
		out, err := Run(ctx, cfg, logger)
		res.Elapsed = time.Since(began)
		if out != nil {
			res.Valid = out.Valid()
			if rel, err := filepath.Rel(dir, out.Dir); err == nil {
				res.Dir = rel
			}
			switch {
			case out.Interrupted:
				res.Verdict = "UNKNOWN: the run was interrupted"
			case out.Summary != nil:
				res.Verdict = out.Summary.VerdictLine()
			}
		}
		if err != nil {
			res.Error = err.Error()
		}
		switch {
		case err != nil || res.Valid == checker.Unknown:
			res.Outcome = CaseUnknown
		case res.Valid == cs.Expect:
			res.Outcome = CaseMet
		default:
			res.Outcome = CaseFailed
		}
		mu.Lock()
		rep.Cases[i] = res
		rep.Elapsed = time.Since(start)
		if werr := rep.write(); werr != nil {
			logger.Error("writing the campaign's report", "err", werr)
		}
		mu.Unlock()
		if opts.Progress != nil {
			opts.Progress.Finished(res)
		}
	}
	var (
		wg        sync.WaitGroup
		next      = make(chan int)
		exclusive sync.RWMutex // a run that names an outside server holds it alone
	)
	for range max(1, opts.Parallel) {
		wg.Go(func() {
			for i := range next {
				if sharesServer(cases[i].Args) {
					exclusive.Lock()
					runOne(i)
					exclusive.Unlock()
				} else {
					exclusive.RLock()
					runOne(i)
					exclusive.RUnlock()
				}
			}
		})
	}
feed:
	for i := range cases {
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	rep.Interrupted = ctx.Err() != nil
	rep.Elapsed = time.Since(start)
	return rep, rep.write()
}

// hostPort matches host:port, the other way to name an outside server.
var hostPort = regexp.MustCompile(`^[A-Za-z0-9.\-\[\]:]*:[0-9]{1,5}$`)

// sharesServer reports whether a run's flags name an outside server.
func sharesServer(args []string) bool {
	for _, a := range args {
		_, v, ok := strings.Cut(a, "=")
		if !ok {
			continue
		}
		if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
			return true
		}
		if hostPort.MatchString(v) {
			return true
		}
	}
	return false
}

// makeUniqueDir makes root/name, or root/name-2 … when it exists.
func makeUniqueDir(root, name string) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("%w: cannot create the results directory: %w; name a writable results directory", history.ErrBadConfig, err)
	}
	dir := filepath.Join(root, name)
	for n := 2; ; n++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || n > 100 {
			return "", fmt.Errorf("%w: cannot create %s: %w", history.ErrBadConfig, dir, err)
		}
		dir = filepath.Join(root, fmt.Sprintf("%s-%d", name, n))
	}
}

// LoadCampaignReport reads the campaign.json of a campaign's directory.
func LoadCampaignReport(dir string) (*CampaignReport, error) {
	b, err := os.ReadFile(filepath.Join(dir, "campaign.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a campaign's directory (no campaign.json): %w", history.ErrBadConfig, dir, err)
	}
	var rep CampaignReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%w: %s/campaign.json: %w", history.ErrBadConfig, dir, err)
	}
	if rep.Name == "" || rep.Digest == "" || rep.Total == 0 {
		return nil, fmt.Errorf("%w: %s/campaign.json is not a campaign report (no name, digest or total)", history.ErrBadConfig, dir)
	}
	rep.dir = dir
	return &rep, nil
}

// MergeCampaigns joins the reports of a campaign's shards into one, in a
// new directory under results: every case once, in matrix order, each
// run's directory relative to the new one. The shards must be of the same
// campaign file; a case that no shard ran is listed as not run.
func MergeCampaigns(dirs []string, results string) (*CampaignReport, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: name the campaign directories to merge", history.ErrBadConfig)
	}
	var parts []*CampaignReport
	for _, d := range dirs {
		p, err := LoadCampaignReport(d)
		if err != nil {
			return nil, err
		}
		if len(parts) > 0 && (p.Digest != parts[0].Digest || p.Name != parts[0].Name) {
			return nil, fmt.Errorf("%w: %s is of campaign %s (file digest %.12s), %s of campaign %s (%.12s): merge shards of one campaign file",
				history.ErrBadConfig, d, p.Name, p.Digest, dirs[0], parts[0].Name, parts[0].Digest)
		}
		parts = append(parts, p)
	}
	first := parts[0]
	merged := &CampaignReport{Name: first.Name, File: first.File, Digest: first.Digest, Total: first.Total, Started: first.Started}
	byIndex := map[int]CaseResult{}
	var end time.Time
	for i, p := range parts {
		merged.Shards = append(merged.Shards, dirs[i])
		if p.Started.Before(merged.Started) {
			merged.Started = p.Started
		}
		if e := p.Started.Add(p.Elapsed); e.After(end) {
			end = e
		}
		merged.Interrupted = merged.Interrupted || p.Interrupted
		for _, c := range p.Cases {
			if prev, ok := byIndex[c.Index]; ok && prev.Outcome != CaseNotRun {
				if c.Outcome != CaseNotRun {
					return nil, fmt.Errorf("%w: case %d (%s) is in two of the directories: merge each shard once", history.ErrBadConfig, c.Index, c.Name)
				}
				continue
			}
			if c.Dir != "" {
				c.Dir = filepath.Join(p.dir, c.Dir)
			}
			byIndex[c.Index] = c
		}
	}
	merged.Elapsed = end.Sub(merged.Started)
	dir, err := makeUniqueDir(results, "campaign-"+first.Name+"-merged-"+time.Now().UTC().Format("20060102T150405Z"))
	if err != nil {
		return nil, err
	}
	merged.dir = dir
	for i := range first.Total {
		c, ok := byIndex[i]
		if !ok {
			c = CaseResult{CampaignCase: CampaignCase{Index: i, Name: fmt.Sprintf("case %d (in no shard given)", i)},
				Outcome: CaseNotRun, Valid: checker.Unknown}
		}
		if c.Dir != "" {
			if rel, err := filepath.Rel(dir, c.Dir); err == nil {
				c.Dir = rel
			}
		}
		merged.Cases = append(merged.Cases, c)
	}
	return merged, merged.write()
}
