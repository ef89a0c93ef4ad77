package workloads

import (
	"context"
	"time"
)

// pacer spaces one worker's operations so that all workers together reach a
// target rate. A zero rate means no pacing.
type pacer struct {
	interval time.Duration
	next     time.Time
}

func newPacer(rate float64, workers int) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(workers) / rate * float64(time.Second))}
}

// wait blocks until the next operation may start, or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.interval == 0 {
		return nil
	}
	now := time.Now()
	if p.next.IsZero() || p.next.Before(now) {
		p.next = now
	}
	d := p.next.Sub(now)
	p.next = p.next.Add(p.interval)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
