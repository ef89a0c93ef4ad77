package checker

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
)

// The size of the shrunk history's diagram, in SVG user units.
const (
	shrinkWidth   = 760
	shrinkLabels  = 150 // the lane labels' column
	shrinkRight   = 40
	shrinkTop     = 40
	shrinkLane    = 38
	shrinkBar     = 14
	shrinkBottom  = 46
	shrinkMaxTick = 6
)

// SVG draws the shrunk operations on their process lanes: one bar per
// operation from its invoke to its completion (an unknown outcome runs off
// the right edge), labelled with what it did, the operation the checker
// cannot linearize in red, over an axis in seconds since the first kept
// operation began. The drawing is self-contained.
func (r *ShrinkResult) SVG() ([]byte, error) {
	pairs, err := Pairs(r.Ops)
	if err != nil {
		return nil, err
	}
	ops, err := RegisterOperations(pairs)
	if err != nil {
		return nil, err
	}
	var lanes []int // process ids, in the order they first invoke
	t0, t1 := int64(math.MaxInt64), int64(math.MinInt64)
	for _, op := range ops {
		if !slices.Contains(lanes, op.ClientId) {
			lanes = append(lanes, op.ClientId)
		}
		t0 = min(t0, op.Call)
		t1 = max(t1, op.Call)
		if op.Return != Forever {
			t1 = max(t1, op.Return)
		}
	}
	if len(ops) == 0 {
		t0, t1 = 0, 1
	}
	span := max(t1-t0, 1)
	plot := float64(shrinkWidth - shrinkLabels - shrinkRight)
	x := func(t int64) float64 { return shrinkLabels + float64(t-t0)/float64(span)*plot*0.95 }
	height := shrinkTop + len(lanes)*shrinkLane + shrinkBottom

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" role="img" aria-label="shrunk history of key %s">`,
		shrinkWidth, height, shrinkWidth, height, esc(r.Key))
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`)
	fmt.Fprintf(&b, `<text x="8" y="20" font-size="13" font-weight="bold">key %s: %d operations that are not linearizable</text>`, esc(r.Key), len(ops))
	for i, p := range lanes {
		y := shrinkTop + i*shrinkLane
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`, shrinkLabels, y+shrinkLane-6, shrinkWidth-shrinkRight/2, y+shrinkLane-6)
		fmt.Fprintf(&b, `<text x="8" y="%d" font-size="12">%s</text>`, y+shrinkLane-10, esc(r.laneLabel(p, pairs)))
	}
	for _, op := range ops {
		r.drawOp(&b, op, x, shrinkTop+slices.Index(lanes, op.ClientId)*shrinkLane)
	}
	axis(&b, t0, span, x, shrinkTop+len(lanes)*shrinkLane+4)
	b.WriteString(`</svg>`)
	return []byte(b.String()), nil
}

// laneLabel names a process lane, with the node its operations went to.
func (r *ShrinkResult) laneLabel(process int, pairs []Pair) string {
	label := fmt.Sprintf("process %d", process)
	for _, p := range pairs {
		u := shrinkUnit{pair: p}
		if p.Invoke.Process == process && u.node() != "" {
			return label + " · " + u.node()
		}
	}
	return label
}

func (r *ShrinkResult) drawOp(b *strings.Builder, op porcupine.Operation, x func(int64) float64, top int) {
	m := op.Metadata.(*opMeta)
	in, out := op.Input.(*regInput), op.Output.(*regOutput)
	x0 := x(op.Call)
	x1, open := float64(shrinkWidth-shrinkRight/2), op.Return == Forever
	if !open {
		x1 = x(op.Return)
	}
	fill, stroke, dash := "#6a9fd8", "#2d5f99", ""
	switch {
	case out.Outcome == outcomeUnknown:
		fill, stroke, dash = "#e4e4e4", "#888", ` stroke-dasharray="4 3"`
	case out.Outcome == outcomeMismatch:
		fill, stroke = "#e8b860", "#a07010"
	}
	if r.Illegal != nil && m.Invoke == r.Illegal.InvokeIndex {
		fill, stroke = "#e06060", "#a00000"
	}
	y := top + shrinkLane - 6 - shrinkBar
	fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s" stroke="%s"%s><title>%s: %s → %s</title></rect>`,
		x0, y, max(x1-x0, 2), shrinkBar, fill, stroke, dash, esc(describeOp(in, out)), formatNanos(op.Call), returnText(op.Return))
	label := describeOp(in, out)
	if open {
		label += " …"
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="11">%s</text>`, x0, y-3, esc(label))
}

func returnText(ret int64) string {
	if ret == Forever {
		return "never known"
	}
	return formatNanos(ret)
}

// axis draws the time axis in seconds since t0, with round ticks.
func axis(b *strings.Builder, t0, span int64, x func(int64) float64, y int) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`, shrinkLabels, y, shrinkWidth-shrinkRight/2, y)
	step := niceStep(float64(span) / 1e9 / shrinkMaxTick)
	digits := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	for k := 0; float64(k)*step <= float64(span)/1e9*1.0001; k++ {
		sec := float64(k) * step
		tx := x(t0 + int64(math.Round(sec*1e9)))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#444"/>`, tx, y, tx, y+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>`, tx, y+15, strconv.FormatFloat(sec, 'f', digits, 64))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11">seconds since the first of these operations began (%s into the run)</text>`, shrinkLabels, y+34, formatNanos(t0))
}

// niceStep rounds a tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1e-9
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string { return template.HTMLEscapeString(s) }
