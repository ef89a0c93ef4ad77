package checker

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

var (
	benchOnce  sync.Once
	benchJSONL []byte
)

// benchHistory is a valid 200,000-operation register history (100 keys,
// 32 workers, overlapping operations, 2% info, 2% fail, a partition every
// 20,000 operations) as history.jsonl bytes.
func benchHistory(b testing.TB) []byte {
	benchOnce.Do(func() {
		ops := genRegisterHistory(genSpec{Seed: 42, Ops: 200_000, Keys: 100, Procs: 32, Corrupt: -1, Faults: 20_000, InfoPct: 2, FailPct: 2})
		var buf bytes.Buffer
		w := history.NewWriter(&buf)
		for _, op := range ops {
			if _, err := w.Write(op); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		benchJSONL = buf.Bytes()
	})
	return benchJSONL
}

// BenchmarkCheck200k compares what `faultline check` does — parse the
// JSONL, check, write summary.json and the bounded linearizability.html —
// with plain porcupine.CheckOperations on the same operations.
func BenchmarkCheck200k(b *testing.B) {
	raw := benchHistory(b)
	b.Run("faultline", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(int64(len(raw)))
		defer reportCPU(b)()
		for b.Loop() {
			h, err := history.Read(bytes.NewReader(raw))
			if err != nil {
				b.Fatal(err)
			}
			s, err := Check(context.Background(), h.Ops, DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			if s.Valid != Valid {
				b.Fatalf("generated history is %s: %s", s.Valid, s.VerdictLine())
			}
			if err := s.WriteFile(filepath.Join(dir, "summary.json")); err != nil {
				b.Fatal(err)
			}
			if err := s.WriteLinearizability(context.Background(), filepath.Join(dir, "linearizability.html")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("porcupine", func(b *testing.B) {
		h, err := history.Read(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		pairs, err := Pairs(h.Ops)
		if err != nil {
			b.Fatal(err)
		}
		pops, err := RegisterOperations(pairs)
		if err != nil {
			b.Fatal(err)
		}
		model := RegisterModel()
		b.ResetTimer()
		defer reportCPU(b)()
		for b.Loop() {
			if !porcupine.CheckOperations(model, pops) {
				b.Fatal("generated history is not linearizable")
			}
		}
	})
}

// BenchmarkStages200k splits the faultline side into its stages.
func BenchmarkStages200k(b *testing.B) {
	raw := benchHistory(b)
	h, err := history.Read(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := history.Read(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("convert", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			pairs, err := Pairs(h.Ops)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := RegisterOperations(pairs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := Check(context.Background(), h.Ops, DefaultOptions()); err != nil {
				b.Fatal(err)
			}
		}
	})
	s, err := Check(context.Background(), h.Ops, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("visualize", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "linearizability.html")
		defer reportCPU(b)()
		for b.Loop() {
			if err := s.WriteLinearizability(context.Background(), path); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU reports the process's CPU time (user + system) per operation
// as cpu-ns/op, beside the wall time: on a machine shared with other work
// the wall time says more about the neighbours than about the code.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
