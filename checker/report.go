package checker

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/faultline/faultline/history"
)

// The files of a results directory that this package writes or links to.
const (
	HistoryFile         = "history.jsonl"
	SummaryFile         = "summary.json"
	ReportFile          = "report.html"
	LinearizabilityFile = "linearizability.html"
)

// maxReportWindows bounds the fault-window table of report.html.
const maxReportWindows = 200

//go:embed report.tmpl
var reportTemplate string

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"n":      thousands,
	"nanos":  formatNanos,
	"lasted": func(w history.Window) string { return formatNanos(w.End - w.Start) },
}).Parse(reportTemplate))

// reportData is what report.tmpl renders.
type reportData struct {
	S                                 *Summary
	Stats                             Stats
	Word, Meaning, Span               string
	Illegal                           *IllegalOp
	ByF                               []fCounts
	Windows                           []history.Window
	MoreWindows                       bool
	LatencySVG, ThroughputSVG         template.HTML
	History, Summary, Linearizability string
	Shrunk                            *shrunkReport // nil until the run or `faultline shrink` shrank it
	Run                               *runReport    // nil for a history without run.json
}

// runReport is what report.html says of the run from its run.json: how to
// reproduce it and run it again.
type runReport struct {
	Dir, Reproduce string
	Seed           int64
	Invalid        bool // a register run's anomaly can be shrunk
}

// readRunReport reads run.json beside the report, if there is one.
func readRunReport(dir string, s *Summary) *runReport {
	raw, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		return nil
	}
	var doc struct {
		Reproduce string `json:"reproduce"`
		Seed      int64  `json:"seed"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.Reproduce == "" {
		return nil
	}
	return &runReport{Dir: filepath.Base(dir), Reproduce: doc.Reproduce, Seed: doc.Seed,
		Invalid: s.Valid == Invalid && s.lin != nil}
}

type fCounts struct {
	F string
	C OpCounts
}

// WriteReport writes report.html: a self-contained page (no external
// assets) with the verdict in words, every checker's result, the counts
// and latency percentiles, latency and throughput over time with the fault
// windows shaded, the fault coverage, and links to history.jsonl,
// summary.json and (for the register workload) linearizability.html,
// which it expects beside it.
func (s *Summary) WriteReport(path string) error {
	d := reportData{
		S: s, Stats: s.stats, Word: strings.ToUpper(s.Valid.String()),
		History: HistoryFile, Summary: SummaryFile,
	}
	if s.lin != nil {
		d.Linearizability = LinearizabilityFile
		d.Illegal = s.lin.details.FirstIllegal
	}
	d.Meaning = s.meaning()
	d.Span = fmt.Sprintf("%s client operations over %s", thousands(s.Ops.Total), formatNanos(s.stats.Duration))
	for f, c := range s.stats.ByF {
		d.ByF = append(d.ByF, fCounts{f, c})
	}
	sort.Slice(d.ByF, func(i, j int) bool { return d.ByF[i].F < d.ByF[j].F })
	d.Windows = s.Faults.Windows
	if len(d.Windows) > maxReportWindows {
		d.Windows, d.MoreWindows = d.Windows[:maxReportWindows], true
	}
	d.Shrunk = readShrunkReport(filepath.Dir(path))
	d.Run = readRunReport(filepath.Dir(path), s)
	pairs, err := Pairs(s.ops) // not kept in the summary: they are cheap to redo
	if err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	tl := newTimeline(s.ops, pairs, s.Faults.Windows)
	d.LatencySVG, d.ThroughputSVG = latencySVG(tl), throughputSVG(tl)
	var buf bytes.Buffer
	if err := reportPage.Execute(&buf, d); err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	return history.WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// meaning says the verdict in words a reader who does not know Jepsen can
// act on.
func (s *Summary) meaning() string {
	first := func(v Validity) Result {
		for _, r := range s.Results {
			if r.Valid == v {
				return r
			}
		}
		return Result{}
	}
	switch s.Valid {
	case Valid:
		return "Every checker passed: no anomaly was found in the history, and the run did enough work, under the faults it asked for, to mean something. " +
			"A valid run is evidence, not proof: another schedule may still find a bug."
	case Invalid:
		return fmt.Sprintf("An anomaly was found: the %s checker says the history is not valid (above, and in detail below). The history is kept beside this page, so the anomaly can be re-checked and studied.", first(Invalid).Checker)
	}
	return fmt.Sprintf("The run proves nothing either way: the %s checker could not decide (above). Re-run with the cause addressed: more time for the check, a longer run, or the requested faults actually injected.", first(Unknown).Checker)
}

// WriteArtifacts writes summary.json, linearizability.html (for a
// workload with a linearizability check) and report.html into dir.
func (s *Summary) WriteArtifacts(ctx context.Context, dir string) error {
	if err := s.WriteFile(filepath.Join(dir, SummaryFile)); err != nil {
		return err
	}
	err := s.WriteLinearizability(ctx, filepath.Join(dir, LinearizabilityFile))
	if err != nil && !errors.Is(err, ErrNoLinearization) {
		return err
	}
	return s.WriteReport(filepath.Join(dir, ReportFile))
}
