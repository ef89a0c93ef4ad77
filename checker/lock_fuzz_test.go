package checker

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline/history"
)

// FuzzLockCheckers feeds arbitrary histories to the lock checkers: they may
// say anything but must not panic, and a history they cannot read is never
// valid.
func FuzzLockCheckers(f *testing.F) {
	for _, name := range []string{"lock-ok", "lock-overlap-bad", "fenced-ok", "fenced-lost-bad"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".jsonl"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := history.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, c := range []Checker{MutualExclusionChecker{}, LockModelChecker{TimeLimit: time.Second}, FencedChecker{TimeLimit: time.Second}, LeaseChecker{}} {
			res := c.Check(ctx, h.Ops)
			if _, perr := Pairs(h.Ops); perr != nil && res.Valid == Valid {
				t.Fatalf("%s: a malformed history was judged valid", c.Name())
			}
		}
	})
}
