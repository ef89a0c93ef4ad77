package checker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline/history"
)

// FuzzCheck runs Check, the visualization and the report on any history
// the reader accepts. It must never panic, must refuse bad input only with
// ErrBadHistory, and an invalid verdict must name its failed keys.
func FuzzCheck(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	for _, name := range names {
		if raw, err := os.ReadFile(name); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := history.Read(bytes.NewReader(raw))
		if err != nil {
			return
		}
		opts := DefaultOptions()
		opts.TimeLimit = time.Second
		opts.MaxVisualizedOps = 4 // exercise the cut-down pages too
		s, err := Check(context.Background(), h.Ops, opts)
		if err != nil {
			if !errors.Is(err, ErrBadHistory) {
				t.Fatalf("error %v is not ErrBadHistory", err)
			}
			return
		}
		d := s.Results[0].Details.(*LinearizabilityDetails)
		if s.Results[0].Valid == Invalid && len(d.FailedKeys)+len(d.UnknownKeys) == 0 {
			t.Fatalf("invalid without a failed key: %s", s.VerdictLine())
		}
		dir := t.TempDir()
		if err := s.WriteArtifacts(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
	})
}
