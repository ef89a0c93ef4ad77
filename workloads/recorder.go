package workloads

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/faultline/faultline/history"
)

// Appender is where the recorder writes; *history.Writer is one.
type Appender interface {
	Append(history.Op) (history.Op, error)
}

// Counts are the completions recorded so far, for a live status line.
type Counts struct{ Ok, Fail, Info int64 }

// Recorder records client operations: an invoke before the call and exactly
// one completion after it, stamped by the history writer's monotonic clock.
// It is safe for concurrent use by many workers.
type Recorder struct {
	out            Appender
	ok, fail, info atomic.Int64
}

// NewRecorder returns a Recorder writing to out.
func NewRecorder(out Appender) *Recorder {
	return &Recorder{out: out}
}

// Call is one operation to record.
type Call struct {
	Process int
	F       string
	Key     string
	// Arg is the invoke's value (nil for null).
	Arg any
}

// Result is what a client call returns to the recorder: the observed value
// on success (nil for null), the node that answered if known, and the error.
type Result struct {
	Value any
	Node  string
	Err   error
}

// Do records c's invoke, runs fn, and records its completion. It returns the
// completion as written. fn must honour ctx. A panic in fn is recorded as an
// info completion and then re-raised, so the history stays well formed.
func (r *Recorder) Do(ctx context.Context, c Call, fn func(ctx context.Context) Result) (history.Op, error) {
	inv := history.Op{Process: c.Process, Type: history.Invoke, F: c.F, Key: c.Key, Value: history.MustValue(c.Arg)}
	if _, err := r.out.Append(inv); err != nil {
		return history.Op{}, fmt.Errorf("recording invoke: %w", err)
	}
	done := false
	defer func() {
		if !done {
			p := recover()
			_, _ = r.complete(inv, Result{Err: fmt.Errorf("panic in client: %v", p)})
			panic(p)
		}
	}()
	res := fn(ctx)
	done = true
	return r.complete(inv, res)
}

func (r *Recorder) complete(inv history.Op, res Result) (history.Op, error) {
	typ, msg := Classify(res.Err)
	op := history.Op{Process: inv.Process, Type: typ, F: inv.F, Key: inv.Key, Error: msg, Node: res.Node}
	switch typ {
	case history.Ok:
		op.Value = history.MustValue(res.Value)
		r.ok.Add(1)
	case history.Fail:
		r.fail.Add(1)
	default:
		r.info.Add(1)
	}
	written, err := r.out.Append(op)
	if err != nil {
		return history.Op{}, fmt.Errorf("recording completion: %w", err)
	}
	return written, nil
}

// Since converts t into the history's clock (ns since the run started),
// when the Appender keeps one (a *history.Writer does): ok is false if it
// does not, or t has no monotonic reading to compare with.
func (r *Recorder) Since(t time.Time) (ns int64, ok bool) {
	s, has := r.out.(interface{ Start() time.Time })
	if !has || t.IsZero() {
		return 0, false
	}
	return int64(t.Sub(s.Start())), true
}

// Counts returns the completions recorded so far.
func (r *Recorder) Counts() Counts {
	return Counts{Ok: r.ok.Load(), Fail: r.fail.Load(), Info: r.info.Load()}
}
