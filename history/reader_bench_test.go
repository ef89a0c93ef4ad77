package history

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkRead parses a 100,000-line register history.
func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := 0; i < 50_000; i++ {
		key := fmt.Sprintf("k%d", i%100)
		if _, err := w.Write(Op{Time: int64(2 * i), Process: i % 32, Type: Invoke, F: "cas", Key: key, Value: MustValue([]int{i, i + 1})}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(Op{Time: int64(2*i + 1), Process: i % 32, Type: Ok, F: "cas", Key: key, Value: MustValue([]int{i, i + 1})}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	raw := buf.Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		h, err := Read(bytes.NewReader(raw))
		if err != nil || len(h.Ops) != 100_000 {
			b.Fatalf("read %v, %v", h, err)
		}
	}
}
