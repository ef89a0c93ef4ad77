package breaker

import (
	"context"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// The benchmarks compare Execute with sony/gobreaker's on the two hot
// paths: a closed breaker whose calls succeed, and an open breaker that
// rejects. Both breakers use the real clock and their consecutive-failure
// policy with the same threshold and open delay.
//
//	go test -run '^$' -bench . -benchmem -count 5 ./impl/breaker

const benchTimeout = time.Hour

func benchBreaker(b *testing.B) *Breaker {
	cfg := DefaultConfig()
	cfg.Timeout = benchTimeout
	br, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return br
}

func benchGobreaker() *gobreaker.CircuitBreaker[struct{}] {
	return gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "bench",
		Timeout:     benchTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 5 },
	})
}

func gbSucceed() (struct{}, error) { return struct{}{}, nil }
func gbFail() (struct{}, error)    { return struct{}{}, errDown }

func openBreaker(b *testing.B, br *Breaker) {
	ctx := context.Background()
	for range 5 {
		_ = br.Execute(ctx, fail)
	}
	if s, _ := br.State(); s != Open {
		b.Fatalf("breaker is %s, want OPEN", s)
	}
}

func openGobreaker(b *testing.B, cb *gobreaker.CircuitBreaker[struct{}]) {
	for range 5 {
		_, _ = cb.Execute(gbFail)
	}
	if cb.State() != gobreaker.StateOpen {
		b.Fatalf("gobreaker is %s, want open", cb.State())
	}
}

func BenchmarkSuccess(b *testing.B) {
	b.Run("faultline", func(b *testing.B) {
		br, ctx := benchBreaker(b), context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = br.Execute(ctx, succeed)
		}
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := benchGobreaker()
		b.ReportAllocs()
		for b.Loop() {
			_, _ = cb.Execute(gbSucceed)
		}
	})
}

func BenchmarkSuccessParallel(b *testing.B) {
	b.Run("faultline", func(b *testing.B) {
		br, ctx := benchBreaker(b), context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = br.Execute(ctx, succeed)
			}
		})
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := benchGobreaker()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = cb.Execute(gbSucceed)
			}
		})
	})
}

func BenchmarkOpen(b *testing.B) {
	b.Run("faultline", func(b *testing.B) {
		br, ctx := benchBreaker(b), context.Background()
		openBreaker(b, br)
		b.ReportAllocs()
		for b.Loop() {
			_ = br.Execute(ctx, succeed)
		}
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := benchGobreaker()
		openGobreaker(b, cb)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = cb.Execute(gbSucceed)
		}
	})
}

func BenchmarkOpenParallel(b *testing.B) {
	b.Run("faultline", func(b *testing.B) {
		br, ctx := benchBreaker(b), context.Background()
		openBreaker(b, br)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = br.Execute(ctx, succeed)
			}
		})
	})
	b.Run("gobreaker", func(b *testing.B) {
		cb := benchGobreaker()
		openGobreaker(b, cb)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = cb.Execute(gbSucceed)
			}
		})
	})
}

// BenchmarkDoValue measures the generic helper, which wraps a closure.
func BenchmarkDoValue(b *testing.B) {
	br, ctx := benchBreaker(b), context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Do(ctx, br, func(context.Context) (int, error) { return 1, nil })
	}
}

// BenchmarkSuccessWithMetrics is the success path with Prometheus
// collectors attached: counting must not allocate either.
func BenchmarkSuccessWithMetrics(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Metrics = NewMetrics("bench", "metrics")
	br, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = br.Execute(ctx, succeed)
	}
}
