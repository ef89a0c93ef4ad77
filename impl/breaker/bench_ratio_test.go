package breaker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// The ratio benchmarks run this breaker and gobreaker in alternating
// blocks of calls within one benchmark, so that both see the same load on
// a shared machine, and report each one's ns per call and their ratio
// (faultline/gobreaker: below 1 means faster than gobreaker).
//
//	go test -run '^$' -bench Ratio -benchtime 2s ./impl/breaker

const ratioBlock = 512

type ratioTimes struct{ ours, theirs atomic.Int64 }

func (rt *ratioTimes) report(b *testing.B, calls int64) {
	ours, theirs := float64(rt.ours.Load()), float64(rt.theirs.Load())
	b.ReportMetric(ours/float64(calls), "faultline-ns/call")
	b.ReportMetric(theirs/float64(calls), "gobreaker-ns/call")
	if theirs > 0 {
		b.ReportMetric(ours/theirs, "ratio")
	}
}

// block times n calls of fn.
func block(fn func()) int64 {
	start := time.Now()
	for range ratioBlock {
		fn()
	}
	return int64(time.Since(start))
}

func benchRatio(b *testing.B, open, parallel bool) {
	br, cb, ctx := benchBreaker(b), benchGobreaker(), context.Background()
	if open {
		openBreaker(b, br)
		openGobreaker(b, cb)
	}
	ours := func() { _ = br.Execute(ctx, succeed) }
	theirs := func() { _, _ = cb.Execute(gbSucceed) }
	var rt ratioTimes
	var blocks atomic.Int64
	b.ReportAllocs()
	step := func() {
		rt.ours.Add(block(ours))
		rt.theirs.Add(block(theirs))
		blocks.Add(1)
	}
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				step()
			}
		})
	} else {
		for b.Loop() {
			step()
		}
	}
	rt.report(b, blocks.Load()*ratioBlock)
}

func BenchmarkRatioSuccess(b *testing.B)         { benchRatio(b, false, false) }
func BenchmarkRatioSuccessParallel(b *testing.B) { benchRatio(b, false, true) }
func BenchmarkRatioOpen(b *testing.B)            { benchRatio(b, true, false) }
func BenchmarkRatioOpenParallel(b *testing.B)    { benchRatio(b, true, true) }
