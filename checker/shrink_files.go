package checker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/faultline/faultline/history"
)

// The files a shrink writes into a results directory.
const (
	ShrunkHistoryFile = "shrunk.jsonl" // the kept operations, in the history format
	ShrunkFile        = "shrunk.json"  // what was kept, how long it took, why it is invalid
	ShrunkSVGFile     = "shrunk.svg"   // the kept operations on their process lanes
)

// shrunkDoc is shrunk.json.
type shrunkDoc struct {
	*ShrinkResult
	Elapsed        string  `json:"elapsed"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	History        string  `json:"history"`
	Diagram        string  `json:"diagram"`
}

// History encodes the kept operations in the history format, with their
// times and every other field as they were and the indexes renumbered 0,
// 1, 2 … as the format requires (OriginalIndexes keeps the old ones).
func (r *ShrinkResult) History() ([]byte, error) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	for _, op := range r.Ops {
		if _, err := w.Write(op); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFiles writes shrunk.jsonl, shrunk.json and shrunk.svg into dir.
func (r *ShrinkResult) WriteFiles(dir string) error {
	hist, err := r.History()
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ShrunkHistoryFile, err)
	}
	svg, err := r.SVG()
	if err != nil {
		return fmt.Errorf("drawing %s: %w", ShrunkSVGFile, err)
	}
	doc, err := json.MarshalIndent(shrunkDoc{
		ShrinkResult: r, Elapsed: r.Elapsed.Round(time.Millisecond).String(), ElapsedSeconds: r.Elapsed.Seconds(),
		History: ShrunkHistoryFile, Diagram: ShrunkSVGFile,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ShrunkFile, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{ShrunkHistoryFile, hist}, {ShrunkSVGFile, svg}, {ShrunkFile, append(doc, '\n')}} {
		if err := history.WriteFileAtomic(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return nil
}

// shrunkReport is what report.html shows of a shrink, read back from
// shrunk.json: the report is written by a check, and a shrink may come
// later (after it, `faultline check DIR` shows it).
type shrunkReport struct {
	Key, Explanation       string
	Before, After          int
	Minimal                bool
	History, File, Diagram string
}

// readShrunkReport reads dir's shrunk.json; nil when there is none (or it
// cannot be read: the report does without it).
func readShrunkReport(dir string) *shrunkReport {
	raw, err := os.ReadFile(filepath.Join(dir, ShrunkFile))
	if err != nil {
		return nil
	}
	var doc struct {
		Key         string `json:"key"`
		Before      int    `json:"ops_before"`
		After       int    `json:"ops_after"`
		Minimal     bool   `json:"minimal"`
		Explanation string `json:"explanation"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	return &shrunkReport{
		Key: doc.Key, Explanation: doc.Explanation, Before: doc.Before, After: doc.After, Minimal: doc.Minimal,
		History: ShrunkHistoryFile, File: ShrunkFile, Diagram: ShrunkSVGFile,
	}
}
