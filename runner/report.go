package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// Regenerated is what [Report] rewrote in a run directory.
type Regenerated struct {
	Summary *checker.Summary
	// Before is the verdict summary.json held before, Unknown when there
	// was none; Changed is true when the check now says otherwise (a
	// newer checker, a longer time limit).
	Before  checker.Validity
	Changed bool
	// Pages are the HTML pages now in the directory, by name.
	Pages []string
}

// Report regenerates every page of the run stored in dir — summary.json,
// report.html, linearizability.html, the timeline and the plots — from its
// history.jsonl and run.json, as Check does, and says whether the verdict
// changed. Unlike Check, it takes only a run directory: a bare history
// file has no pages to rewrite.
func Report(ctx context.Context, dir string, opts CheckOptions, logger *slog.Logger) (*Regenerated, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a run directory (it should hold %s); faultline check FILE checks a bare history file",
			history.ErrBadConfig, dir, checker.HistoryFile)
	}
	before, had := storedVerdict(dir)
	sum, err := Check(ctx, dir, opts, logger)
	if err != nil {
		return nil, err
	}
	out := &Regenerated{Summary: sum, Before: before, Changed: had && before != sum.Valid}
	if !had {
		out.Before = checker.Unknown
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	for _, p := range pages {
		out.Pages = append(out.Pages, filepath.Base(p))
	}
	slices.Sort(out.Pages)
	return out, nil
}

// storedVerdict is the verdict of dir's summary.json, if it has a readable
// one.
func storedVerdict(dir string) (checker.Validity, bool) {
	b, err := os.ReadFile(filepath.Join(dir, checker.SummaryFile))
	if err != nil {
		return checker.Unknown, false
	}
	var s struct {
		Valid *checker.Validity `json:"valid"`
	}
	if json.Unmarshal(b, &s) != nil || s.Valid == nil {
		return checker.Unknown, false
	}
	return *s.Valid, true
}
