package checker

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"github.com/faultline/faultline/history"
)

// The size of the hand-drawn plots, in SVG user units.
const (
	plotWidth   = 900
	plotHeight  = 220
	plotMargin  = 50
	plotBuckets = 300
)

// timeline is the run cut into equal buckets of completion time.
type timeline struct {
	start, end int64
	pairs      []Pair
	windows    []history.Window
}

func newTimeline(ops []history.Op, pairs []Pair, windows []history.Window) timeline {
	tl := timeline{pairs: pairs, windows: windows}
	if len(ops) > 0 {
		tl.start, tl.end = ops[0].Time, ops[len(ops)-1].Time
	}
	if tl.end <= tl.start {
		tl.end = tl.start + 1
	}
	return tl
}

func (tl timeline) x(t int64) float64 {
	return plotMargin + float64(t-tl.start)/float64(tl.end-tl.start)*(plotWidth-2*plotMargin)
}

func (tl timeline) bucket(t int64) int {
	b := int(float64(t-tl.start) / float64(tl.end-tl.start) * plotBuckets)
	return min(max(b, 0), plotBuckets-1)
}

// shading draws the fault windows as translucent bands with their names.
func (tl timeline) shading(b *strings.Builder) {
	for _, w := range tl.windows {
		stop := w.End
		if w.Open() {
			stop = tl.end
		}
		x0, x1 := tl.x(w.Start), tl.x(stop)
		fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#e8a0a0" fill-opacity="0.35"><title>%s %s → %s</title></rect>`,
			x0, plotMargin/2, math.Max(x1-x0, 1), plotHeight-plotMargin, template.HTMLEscapeString(w.Fault), formatNanos(w.Start), formatNanos(stop))
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" fill="#a04040">%s</text>`, x0+2, plotMargin/2+10, template.HTMLEscapeString(w.Fault))
	}
}

func (tl timeline) frame(b *strings.Builder, yLabel string) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`, plotMargin, plotHeight-plotMargin/2, plotWidth-plotMargin, plotHeight-plotMargin/2)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`, plotMargin, plotMargin/2, plotMargin, plotHeight-plotMargin/2)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11">%s</text>`, plotMargin, plotMargin/2-6, template.HTMLEscapeString(yLabel))
	for i := 0; i <= 4; i++ {
		t := tl.start + (tl.end-tl.start)*int64(i)/4
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>`, tl.x(t), plotHeight-plotMargin/2+14, formatNanos(t))
	}
}

// latencySVG plots, per time bucket, the median and the maximum latency
// of the operations completed in it (ok, fail and info apart), on a log
// scale, with the fault windows shaded.
func latencySVG(tl timeline) template.HTML {
	type series struct {
		name, color string
		buckets     [plotBuckets][]int64
	}
	all := []*series{{name: "ok", color: "#2a8a2a"}, {name: "fail", color: "#d08000"}, {name: "info", color: "#c02020"}}
	var lo, hi int64 = math.MaxInt64, 1
	for _, p := range tl.pairs {
		if p.Open {
			continue
		}
		l := max(p.Latency(), 1)
		s := all[outcomeRank(p.Completion.Type)]
		k := tl.bucket(p.Completion.Time)
		s.buckets[k] = append(s.buckets[k], l)
		lo, hi = min(lo, l), max(hi, l)
	}
	if lo > hi {
		lo = 1
	}
	logLo, logHi := math.Log10(float64(lo)), math.Log10(float64(hi))
	if logHi-logLo < 1 {
		logHi = logLo + 1
	}
	y := func(l int64) float64 {
		f := (math.Log10(float64(max(l, 1))) - logLo) / (logHi - logLo)
		return float64(plotHeight-plotMargin/2) - f*float64(plotHeight-plotMargin)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="latency over time">`, plotWidth, plotHeight)
	tl.shading(&b)
	tl.frame(&b, "latency (log scale): line = median, dots = max per bucket")
	fmt.Fprintf(&b, `<text x="4" y="%.1f" font-size="10">%s</text>`, y(hi)+4, formatNanos(hi))
	fmt.Fprintf(&b, `<text x="4" y="%.1f" font-size="10">%s</text>`, y(lo), formatNanos(lo))
	for i, s := range all {
		var path strings.Builder
		for k, ls := range s.buckets {
			if len(ls) == 0 {
				continue
			}
			slices.Sort(ls)
			x := plotMargin + (float64(k)+0.5)/plotBuckets*(plotWidth-2*plotMargin)
			cmd := "L"
			if path.Len() == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x, y(ls[len(ls)/2]))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="1.5" fill="%s"/>`, x, y(ls[len(ls)-1]), s.color)
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.2"/>`, path.String(), s.color)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="%s">■ %s</text>`, plotWidth-plotMargin-150+i*50, plotMargin/2-6, s.color, s.name)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped names only
}

// throughputSVG plots completed operations per second over time, ok and
// not ok apart, with the fault windows shaded.
func throughputSVG(tl timeline) template.HTML {
	var ok, notOk [plotBuckets]int
	for _, p := range tl.pairs {
		if p.Open {
			continue
		}
		k := tl.bucket(p.Completion.Time)
		if p.Completion.Type == history.Ok {
			ok[k]++
		} else {
			notOk[k]++
		}
	}
	secs := float64(tl.end-tl.start) / 1e9 / plotBuckets
	peak := 1.0
	for k := range ok {
		peak = math.Max(peak, float64(ok[k]+notOk[k])/secs)
	}
	y := func(rate float64) float64 {
		return float64(plotHeight-plotMargin/2) - rate/peak*float64(plotHeight-plotMargin)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="throughput over time">`, plotWidth, plotHeight)
	tl.shading(&b)
	tl.frame(&b, "completed operations per second")
	fmt.Fprintf(&b, `<text x="4" y="%.1f" font-size="10">%.0f/s</text>`, y(peak)+4, peak)
	for _, s := range []struct {
		counts *[plotBuckets]int
		color  string
	}{{&ok, "#2a8a2a"}, {&notOk, "#c02020"}} {
		var path strings.Builder
		for k, n := range s.counts {
			x := plotMargin + (float64(k)+0.5)/plotBuckets*(plotWidth-2*plotMargin)
			cmd := "L"
			if k == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x, y(float64(n)/secs))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.2"/>`, path.String(), s.color)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#2a8a2a">■ ok</text><text x="%d" y="%d" font-size="11" fill="#c02020">■ fail + info</text>`,
		plotWidth-plotMargin-150, plotMargin/2-6, plotWidth-plotMargin-100, plotMargin/2-6)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
