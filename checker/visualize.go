package checker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

// defaultMaxVisualizedOps bounds linearizability.html: porcupine's page
// draws every operation, and a browser chokes on hundreds of thousands.
const defaultMaxVisualizedOps = 5000

// visualizationTimeLimit bounds the re-check of the operations a bounded
// page shows.
const visualizationTimeLimit = 30 * time.Second

// undecidedRecheckLimit bounds that re-check when the check itself ran out
// of time: the page then shows how far porcupine got.
const undecidedRecheckLimit = 5 * time.Second

// ErrNoLinearization is returned by WriteLinearizability for a workload
// without a linearizability check.
var ErrNoLinearization = errors.New("no linearizability check for this workload")

// WriteLinearizability writes linearizability.html: porcupine's own
// visualization of the history and its (partial) linearizations, with the
// fault windows as annotations. A history of more than MaxVisualizedOps
// operations is cut down — to the keys that failed (or did not finish),
// or, when one failed key alone is too long, to the operations leading up
// to its first illegal one — and the page says what was left out.
func (s *Summary) WriteLinearizability(ctx context.Context, path string) error {
	if s.lin == nil {
		return fmt.Errorf("writing %s: %w (workload %s)", path, ErrNoLinearization, s.Workload)
	}
	v := s.visualization(ctx)
	var buf bytes.Buffer
	if err := porcupine.Visualize(v.model, v.info, &buf); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	page := bytes.Replace(buf.Bytes(), []byte("<title>Porcupine</title>"),
		[]byte("<title>Linearizability — Faultline</title>"), 1)
	page = bytes.Replace(page, []byte("<body>"), []byte("<body>\n"+v.banner()), 1)
	return history.WriteFileAtomic(path, page, 0o644)
}

// visualized is what one page shows.
type visualized struct {
	model porcupine.Model
	info  porcupine.LinearizationInfo
	// shownOps / totalOps, shownKeys / totalKeys: what the page holds.
	shownOps, totalOps   int
	shownKeys, totalKeys int
	// note says how the operations were chosen, when not all are shown.
	note    string
	verdict string
}

func (v visualized) banner() string {
	text := fmt.Sprintf("Faultline · linearizability: %s. Showing %s of %s operations on %s of %s keys.",
		v.verdict, thousands(v.shownOps), thousands(v.totalOps), thousands(v.shownKeys), thousands(v.totalKeys))
	if v.note != "" {
		text += " " + v.note
	}
	text += " Red bars tagged “nemesis” are fault windows."
	return `<p id="faultline-note" style="font-family:sans-serif;margin:8px 16px;padding:8px;background:#fff6d5;border:1px solid #e0c060">` +
		html.EscapeString(text) + "</p>"
}

func (s *Summary) visualization(ctx context.Context) visualized {
	lin := s.lin
	v := visualized{totalOps: len(lin.ops), totalKeys: len(lin.keys), verdict: lin.result.Valid.String(), model: RegisterModel()}
	switch {
	case len(lin.ops) <= s.maxVisual && lin.verbose && lin.lanes:
		v.shownOps, v.shownKeys, v.info = len(lin.ops), len(lin.keys), lin.info
	case len(lin.ops) <= s.maxVisual:
		v.shownOps, v.shownKeys = len(lin.ops), len(lin.keys)
		v.info = s.recheck(ctx, lin.ops, regValue{})
	default:
		ops, init, keys, note := s.selectOps()
		v.shownOps, v.shownKeys, v.note = len(ops), keys, note
		assignLanes(ops)
		v.info = s.recheck(ctx, ops, init)
		v.model = registerModel(nil, init)
	}
	v.info.AddAnnotations(s.faultAnnotations())
	return v
}

// recheck runs a verbose check of ops for the page: within
// visualizationTimeLimit and the check's own limit, and stopping with ctx.
func (s *Summary) recheck(ctx context.Context, ops []porcupine.Operation, init regValue) porcupine.LinearizationInfo {
	limit := min(visualizationTimeLimit, LinearizableChecker{TimeLimit: s.timeLimit}.limit(ctx))
	if s.lin.result.Valid == Unknown {
		limit = min(limit, undecidedRecheckLimit) // it did not finish before: do not wait as long again
	}
	var stop atomic.Bool
	defer context.AfterFunc(ctx, func() { stop.Store(true) })()
	_, info := porcupine.CheckOperationsVerbose(registerModel(&stop, init), ops, limit)
	return info
}

// selectOps picks at most maxVisual operations: whole keys, failed ones
// first, then unfinished, then valid ones; or, when the first key to show
// is too long by itself, a window of it ending just after its first
// illegal operation, started from the state the checker's longest
// linearization had reached there.
func (s *Summary) selectOps() (ops []porcupine.Operation, init regValue, keys int, note string) {
	lin := s.lin
	order := s.keyOrder()
	first := lin.parts[order[0]]
	if len(first) > s.maxVisual {
		ops, init, note = s.window(order[0])
		return ops, init, 1, note
	}
	var left []string
	for _, i := range order {
		if len(ops)+len(lin.parts[i]) > s.maxVisual {
			left = append(left, lin.keys[i])
			continue
		}
		ops = append(ops, lin.parts[i]...)
		keys++
	}
	what := "the keys that failed or did not finish first, then the others in order"
	if len(lin.details.FailedKeys)+len(lin.details.UnknownKeys) == 0 {
		what = "every key is linearizable; the first keys in history order"
	}
	note = fmt.Sprintf("Left out: %s operations on %d keys (%s), to keep the page small (%s); all of them were checked. %s.",
		thousands(len(lin.ops)-len(ops)), len(left), abbreviate(left, 10), what, summaryOfKeys(lin))
	return ops, init, keys, note
}

func summaryOfKeys(lin *linearization) string {
	d := lin.details
	switch {
	case len(d.FailedKeys) > 0:
		return "Keys not linearizable: " + abbreviate(d.FailedKeys, 20)
	case len(d.UnknownKeys) > 0:
		return "Keys not decided in time: " + abbreviate(d.UnknownKeys, 20)
	}
	return "Every key is linearizable"
}

func abbreviate(keys []string, n int) string {
	if len(keys) <= n {
		return strings.Join(keys, ", ")
	}
	return strings.Join(keys[:n], ", ") + fmt.Sprintf(" and %d more", len(keys)-n)
}

// keyOrder lists key positions: the first illegal operation's key, then
// failed, unfinished and valid keys, each in history order.
func (s *Summary) keyOrder() []int {
	lin := s.lin
	var order []int
	firstKey := -1
	if fi := lin.details.FirstIllegal; fi != nil {
		for i, k := range lin.keys {
			if k == fi.Key {
				firstKey = i
				order = append(order, i)
			}
		}
	}
	for _, want := range []Validity{Invalid, Unknown, Valid} {
		for i, v := range lin.verdict {
			if v == want && i != firstKey {
				order = append(order, i)
			}
		}
	}
	return order
}

// window cuts key k's operations (in invoke order) to the maxVisual that
// end just after its first illegal operation.
func (s *Summary) window(k int) ([]porcupine.Operation, regValue, string) {
	lin := s.lin
	part := lin.parts[k]
	fi := lin.details.FirstIllegal
	if fi == nil || fi.Key != lin.keys[k] || !lin.verbose {
		// Nothing illegal to centre on (valid, or undecided): the key's
		// first operations, which start from the absent value for sure.
		ops := cutBefore(part[:s.maxVisual], part[s.maxVisual].Call)
		note := fmt.Sprintf("Key %s alone has %s operations: showing its first %s (in invoke order; those still running where the page cuts off are drawn with an unknown outcome, reads among them left out); %s operations on it and every other key were left out of the page but checked. %s.",
			lin.keys[k], thousands(len(part)), thousands(s.maxVisual), thousands(len(lin.ops)-len(ops)), summaryOfKeys(lin))
		return ops, regValue{}, note
	}
	stop := fi.Completed
	if stop < 0 {
		stop = fi.Invoked
	}
	end := 0
	for end < len(part) && part[end].Call <= stop {
		end++
	}
	end = min(len(part), end+s.maxVisual/10) // a little context after it
	start := max(0, end-s.maxVisual)
	ops := append([]porcupine.Operation(nil), part[start:end]...)
	if end < len(part) {
		ops = cutBefore(ops, part[end].Call)
	}
	init := s.stateBefore(k, ops)
	note := fmt.Sprintf("Key %s alone has %s operations: showing operations %s–%s of it (in invoke order), around its first illegal operation; %s operations on it and every other key were left out of the page but checked. The window starts from the value %s, which the checker's longest linearization had reached by then.",
		lin.keys[k], thousands(len(part)), thousands(start+1), thousands(end), thousands(len(lin.ops)-len(ops)), init)
	return ops, init, note
}

// cutBefore makes ops — invoked before cut, the operations invoked at or
// after it being left out — checkable on their own: an operation still
// running at the cut may have depended on one left out (a read may have
// seen a later write), so it keeps its effect but loses its observation,
// as if it had timed out. If the whole history is linearizable, so is the
// cut one.
func cutBefore(ops []porcupine.Operation, cut int64) []porcupine.Operation {
	out := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		if op.Return >= cut {
			in := op.Input.(*regInput)
			if in.F == FRead {
				continue // a read of unknown outcome observes nothing
			}
			op.Output, op.Return = &regOutput{Outcome: outcomeUnknown}, Forever
		}
		out = append(out, op)
	}
	return out
}

// stateBefore replays key k's longest partial linearization up to its
// first operation that is in the window or returns after the window's
// first call.
func (s *Summary) stateBefore(k int, window []porcupine.Operation) regValue {
	state := regValue{}
	if len(window) == 0 {
		return state
	}
	partials := s.lin.info.PartialLinearizationsOperations()
	if k >= len(partials) {
		return state
	}
	in := map[*opMeta]bool{}
	for _, op := range window {
		in[op.Metadata.(*opMeta)] = true
	}
	for _, op := range longest(partials[k]) {
		if in[op.Metadata.(*opMeta)] || op.Return >= window[0].Call {
			break
		}
		_, state = stepRegister(state, op.Input.(*regInput), op.Output.(*regOutput))
	}
	return state
}

// faultAnnotations marks every fault window on a "nemesis" row; a window
// never ended runs to the end of the history.
func (s *Summary) faultAnnotations() []porcupine.Annotation {
	var end int64
	if len(s.ops) > 0 {
		end = s.ops[len(s.ops)-1].Time
	}
	var out []porcupine.Annotation
	for _, w := range s.Faults.Windows {
		stop, state := w.End, "ended at t="+formatNanos(w.End)
		if w.Open() {
			stop, state = end, "never ended"
		}
		out = append(out, porcupine.Annotation{
			Tag: "nemesis", Start: w.Start, End: stop, Description: w.Fault,
			Details:         fmt.Sprintf("%s %s (history ops %d–%d), started at t=%s, %s", w.Fault, faultValue(w), w.StartIndex, w.EndIndex, formatNanos(w.Start), state),
			BackgroundColor: "#f6c9c9",
		})
	}
	return out
}

func faultValue(w history.Window) string {
	if len(w.Value) == 0 {
		return ""
	}
	return string(w.Value)
}
