package nemesis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxFailures is how many faults in a row may fail to inject before Run
// gives up: one failure is logged and skipped, a run of them means the
// Toxiproxy or the system is gone.
const maxFailures = 3

// Run injects and heals faults on the schedule until ctx ends, then heals
// everything still in force (within Config.HealTimeout) and returns.
func (n *Nemesis) Run(ctx context.Context) error {
	err := n.schedule(ctx)
	healCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.HealTimeout)
	defer cancel()
	return errors.Join(err, n.HealAll(healCtx))
}

// schedule runs the steps of the plan until ctx ends or faults keep
// failing. Without overlap each step runs to its heal, then a quiet
// Interval follows; with overlap each step runs on its own goroutine.
func (n *Nemesis) schedule(ctx context.Context) error {
	if len(n.kinds) == 0 {
		<-ctx.Done()
		return nil
	}
	p := newPlanner(n)
	start := time.Now()
	quietUntil := start
	var failures atomic.Int32
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		step := p.next()
		// A stalled machine must not fire a burst of overdue faults: keep
		// the quiet gap without overlap, and half an Interval between
		// starts with it.
		due := later(start.Add(step.At), quietUntil)
		if !sleepUntil(ctx, due) {
			return nil
		}
		if failures.Load() >= maxFailures {
			return fmt.Errorf("%w: %d in a row; see the log for each", ErrInjectFailed, maxFailures)
		}
		run := func() {
			if err := n.runStep(ctx, step); err != nil {
				failures.Add(1)
				n.log.Warn("fault failed", "fault", step.Fault, "err", err)
				return
			}
			failures.Store(0)
		}
		if n.cfg.Overlap {
			quietUntil = time.Now().Add(n.cfg.Interval / 2)
			wg.Go(run)
			continue
		}
		run()
		quietUntil = time.Now().Add(n.cfg.Interval)
	}
}

// runStep injects one step's fault, keeps it for its Hold and heals it.
// When ctx ends during the hold the fault stays for Run's final HealAll.
// Process faults wait for each other, so a node is never paused while it
// is dead, however late the steps run.
func (n *Nemesis) runStep(ctx context.Context, step Step) error {
	if faultKinds[step.Fault].process {
		select {
		case n.procBusy <- struct{}{}:
			defer func() { <-n.procBusy }()
		case <-ctx.Done():
			return nil
		}
	}
	id, err := n.injectStep(ctx, step)
	if err != nil || id == 0 {
		return err
	}
	if !sleepUntil(ctx, time.Now().Add(step.Hold)) {
		return nil
	}
	if err := n.acquire(ctx); err != nil {
		return nil // ctx ended: HealAll takes over
	}
	defer n.release()
	// Heal on a context of its own: a heal cut short by the end of the
	// run would leave the fault half in force until HealAll.
	healCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.HealTimeout)
	defer cancel()
	return n.heal(healCtx, id)
}

// injectStep builds and injects a step's fault and records its start. It
// returns 0 when ctx ended first. A fault that fails to inject is undone.
func (n *Nemesis) injectStep(ctx context.Context, step Step) (int64, error) {
	if err := n.acquire(ctx); err != nil {
		return 0, nil
	}
	defer n.release()
	if ctx.Err() != nil {
		return 0, nil
	}
	n.mu.Lock()
	n.nextID++
	id := n.nextID
	n.mu.Unlock()
	f := step.spec.build(n, id, step.Hold)
	af := &activeFault{id: id, fault: f, label: label(step, id)}
	n.mu.Lock()
	n.active[id] = af
	n.mu.Unlock()

	err := f.Inject(ctx)
	if err == nil {
		err = n.record(f.Name(), startValue(id, step.Params, f))
		af.recorded = err == nil
	}
	if err != nil {
		healCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.HealTimeout)
		defer cancel()
		healErr := n.heal(healCtx, id)
		if ctx.Err() != nil && healErr == nil {
			return 0, nil // the run ended during the inject
		}
		return 0, errors.Join(fmt.Errorf("injecting %s: %w", af.label, err), healErr)
	}
	n.log.Info("fault injected", "fault", af.label)
	return id, nil
}

// heal heals one active fault and records its end. A fault that fails to
// heal stays active, for HealAll to try again. The caller holds the lock.
func (n *Nemesis) heal(ctx context.Context, id int64) error {
	n.mu.Lock()
	af, ok := n.active[id]
	n.mu.Unlock()
	if !ok {
		return nil
	}
	if err := af.fault.Heal(ctx); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrHealFailed, af.label, err)
	}
	n.mu.Lock()
	delete(n.active, id)
	n.mu.Unlock()
	if af.recorded {
		if err := n.record(endEvent(af.fault.Name()), map[string]any{"id": id}); err != nil {
			n.log.Warn("fault healed but not recorded", "fault", af.label, "err", err)
		}
	}
	n.log.Info("fault healed", "fault", af.label)
	return nil
}

// label names a fault for logs and the status line.
func label(step Step, id int64) string {
	detail := ""
	if t, ok := step.Params["topology"]; ok {
		detail = fmt.Sprintf("(%v)", t)
	} else if t, ok := step.Params["target"]; ok {
		detail = fmt.Sprintf("(%v)", t)
	}
	return fmt.Sprintf("%s%s#%d", step.Fault, detail, id)
}

// sleepUntil waits until t; it returns false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
