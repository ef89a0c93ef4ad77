package runner

import (
	"context"
	"sync"
	"time"

	"github.com/faultline/faultline/workloads"
)

// Status is the live state of a run, for the status line.
type Status struct {
	Elapsed time.Duration
	Total   time.Duration
	Counts  workloads.Counts
	Fault   string // the fault(s) in force, empty for none
}

// StatusSink receives the live status about once a second.
type StatusSink func(Status)

// reportStatus sends the status to the configured sink until ctx ends or the
// returned stop is called; stop also sends one last status.
func (r *run) reportStatus(ctx context.Context, rec *workloads.Recorder) (stop func()) {
	if r.cfg.Status == nil {
		return func() {}
	}
	start := time.Now()
	current := func() Status {
		return Status{Elapsed: time.Since(start), Total: r.cfg.Time, Counts: rec.Counts(), Fault: r.nem.Active()}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				r.cfg.Status(current())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		r.cfg.Status(current())
	}
}
