package workloads

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/faultline/faultline/history"
)

// LockClient is what the lock workloads need from a lock: acquire the lock
// named key and release it again. One client is used by one worker, so it
// may remember the lease it holds. Acquire returns the fencing token, or 0
// for a lock that has none. A refusal because someone else holds the lock,
// and a release refused because the client no longer holds it, must be
// wrapped with Definite; so must anything else that certainly did not take
// effect. Every other error is recorded as indeterminate. No retries
// underneath beyond the lock's own acquire loop.
type LockClient interface {
	Acquire(ctx context.Context, key string) (token int64, err error)
	Release(ctx context.Context, key string) error
}

// FencedStore is the resource the fenced workload protects with the lock: a
// counter that accepts a read or a write only with a token at least as high
// as any it has seen, and refuses a lower one with a Definite error.
type FencedStore interface {
	Read(ctx context.Context, token int64) (value int64, err error)
	Write(ctx context.Context, token, value int64) error
}

// StoreReader reads the resource without a token, for the final read.
type StoreReader interface {
	Current(ctx context.Context) (value int64, err error)
}

// Operations of the lock workloads.
const (
	FAcquire = "acquire"
	FRelease = "release"
	FRead    = "read"
	FWrite   = "write"
)

// ResourceKey is the key of the fenced workload's resource operations.
const ResourceKey = "resource"

// LockSettings are the lock workloads' own settings, declared once here and
// embedded in the settings of every system that runs them.
type LockSettings struct {
	// Hold is the critical section: how long a holder keeps the lock.
	Hold time.Duration `json:"hold"`
	// Think is the most a worker waits (uniformly drawn) between critical
	// sections.
	Think time.Duration `json:"think"`
}

// DefaultLockSettings hold the lock for 150 ms and think up to 20 ms.
func DefaultLockSettings() LockSettings {
	return LockSettings{Hold: 150 * time.Millisecond, Think: 20 * time.Millisecond}
}

// Validate reports the first setting that cannot work.
func (s LockSettings) Validate() error {
	switch {
	case s.Hold < 0:
		return fmt.Errorf("%w: hold must not be negative, got %s", history.ErrBadConfig, s.Hold)
	case s.Think < 0:
		return fmt.Errorf("%w: think must not be negative, got %s", history.ErrBadConfig, s.Think)
	}
	return nil
}

// LockConfig configures the lock and fenced workloads. Common.OpTimeout is
// the deadline of each call (an acquire includes its retries).
type LockConfig struct {
	Common
	LockSettings
	Key string // the lock's name
	// Lease is the lock's lease (its time to live at the lock server),
	// recorded in every acquire's invoke value so that a checker can tell
	// a lease that ran out from a lock granted twice; 0 when the lock has
	// none or it is not known.
	Lease time.Duration
}

// DefaultLockConfig is five workers contending for one lock.
func DefaultLockConfig() LockConfig {
	c := LockConfig{Common: DefaultCommon(), LockSettings: DefaultLockSettings(), Key: "lock"}
	c.Concurrency, c.OpTimeout = 5, 5*time.Second
	return c
}

// Validate reports the first setting that cannot work.
func (c LockConfig) Validate() error {
	if c.Key == "" {
		return fmt.Errorf("%w: the lock needs a name", history.ErrBadConfig)
	}
	if err := c.Common.Validate(); err != nil {
		return err
	}
	return c.LockSettings.Validate()
}

// Acquire is the invoke value of an acquire in the history: the lease it
// asks for (ns). An acquire of a lock without a known lease has no value.
type Acquire struct {
	LeaseNS int64 `json:"lease_ns"`
}

// Acquired is the ok value of an acquire whose client says when the
// attempt that won was sent (a GrantReporter): the fencing token, if the
// lock has them, and that time (ns since the run started), from which the
// lease surely ran. Without a GrantReporter the ok value is the token (or
// null for a lock without tokens).
type Acquired struct {
	Token int64 `json:"token,omitempty"`
	Sent  int64 `json:"sent"`
}

// GrantReporter is an optional ability of a LockClient: when the attempt
// that won its last successful acquire was sent. A lock that retries makes
// many attempts within one acquire, so the acquire's invoke says little of
// when the lease began; this says it exactly.
type GrantReporter interface {
	LastGrantSent() time.Time
}

// FencedWrite is the value of a fenced write in the history.
type FencedWrite struct {
	Token int64 `json:"token"`
	Value int64 `json:"value"`
}

// FencedRead is the invoke value of a fenced read in the history.
type FencedRead struct {
	Token int64 `json:"token"`
}

// RunLock drives the lock workload until ctx is done: each worker acquires
// the lock, holds it for cfg.Hold, and releases it. procs, if not nil, are
// the workers' simulated processes, for the nemesis to pause and kill. It
// returns an error only when the history cannot be written.
func RunLock(ctx context.Context, cfg LockConfig, rec *Recorder, clients []LockClient, procs []*ClientProcess) error {
	return runLockWorkers(ctx, cfg, rec, clients, nil, procs)
}

// RunFenced drives the fenced workload until ctx is done: each holder reads
// the counter in stores[i] with its token, holds the lock for cfg.Hold,
// writes the counter plus one with its token, and releases the lock.
func RunFenced(ctx context.Context, cfg LockConfig, rec *Recorder, clients []LockClient, stores []FencedStore, procs []*ClientProcess) error {
	if len(stores) != len(clients) {
		return fmt.Errorf("fenced workload: %d stores for %d clients", len(stores), len(clients))
	}
	return runLockWorkers(ctx, cfg, rec, clients, stores, procs)
}

func runLockWorkers(ctx context.Context, cfg LockConfig, rec *Recorder, clients []LockClient, stores []FencedStore, procs []*ClientProcess) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(clients) != cfg.Concurrency {
		return fmt.Errorf("lock workload: %d clients for %d workers", len(clients), cfg.Concurrency)
	}
	if procs != nil && len(procs) != len(clients) {
		return fmt.Errorf("lock workload: %d client processes for %d clients", len(procs), len(clients))
	}
	g, ctx := errgroup.WithContext(ctx)
	for i, c := range clients {
		lw := &lockWorker{cfg: cfg, rec: rec, w: NewWorker(cfg.Seed, i, cfg.Concurrency), client: c, proc: NewClientProcess()}
		if stores != nil {
			lw.store = stores[i]
		}
		if procs != nil {
			lw.proc = procs[i]
		}
		g.Go(func() error { return lw.run(ctx) })
	}
	return g.Wait()
}

// lockWorker is one worker of the lock workloads.
type lockWorker struct {
	cfg    LockConfig
	rec    *Recorder
	w      *Worker
	client LockClient
	store  FencedStore // nil for the plain lock workload
	proc   *ClientProcess
}

func (lw *lockWorker) run(ctx context.Context) error {
	for {
		if lw.proc.Wait(ctx) != nil || ctx.Err() != nil {
			return nil // the time is up
		}
		token, held, err := lw.acquire(ctx)
		if err != nil {
			return err
		}
		if held {
			if err := lw.critical(ctx, token); err != nil {
				return err
			}
			if err := lw.release(ctx, token); err != nil {
				return err
			}
		}
		if lw.cfg.Think > 0 {
			lw.pause(ctx, time.Duration(lw.w.Rand.Int64N(int64(lw.cfg.Think)+1)))
		}
	}
}

// crashed reports whether the client has been killed.
func (lw *lockWorker) crashed() bool {
	select {
	case <-lw.proc.Crashed():
		return true
	default:
		return false
	}
}

// pause waits d, or until ctx is done or the client crashes.
func (lw *lockWorker) pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-lw.proc.Crashed():
	case <-t.C:
	}
}

// frozen waits while the client is paused, but not past a crash: a crashed
// holder gives up its belief at once.
func (lw *lockWorker) frozen(ctx context.Context) {
	crash := lw.proc.Crashed()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-crash:
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = lw.proc.Wait(ctx)
}

// do records one call with the operation timeout; a crash of the client
// cancels it.
func (lw *lockWorker) do(ctx context.Context, c Call, fn func(ctx context.Context) Result) (history.Op, error) {
	c.Process = lw.w.Process
	done, err := lw.rec.Do(ctx, c, func(ctx context.Context) Result {
		ctx, cancel := context.WithTimeout(ctx, lw.cfg.OpTimeout)
		defer cancel()
		ctx, unbind := lw.proc.bind(ctx)
		defer unbind()
		res := fn(ctx)
		if res.Err != nil && context.Cause(ctx) == ErrClientCrashed {
			res.Err = fmt.Errorf("%w: %w", ErrClientCrashed, res.Err)
		}
		return res
	})
	if err == nil {
		lw.w.Completed(done.Type)
	}
	return done, err
}

func (lw *lockWorker) acquire(ctx context.Context) (token int64, held bool, err error) {
	call := Call{F: FAcquire, Key: lw.cfg.Key}
	if lw.cfg.Lease > 0 {
		call.Arg = Acquire{LeaseNS: lw.cfg.Lease.Nanoseconds()}
	}
	done, err := lw.do(ctx, call, func(ctx context.Context) Result {
		t, err := lw.client.Acquire(ctx, lw.cfg.Key)
		token = t
		if err != nil {
			return Result{Err: err}
		}
		if g, ok := lw.client.(GrantReporter); ok {
			if sent, ok := lw.rec.Since(g.LastGrantSent()); ok {
				return Result{Value: Acquired{Token: t, Sent: sent}}
			}
		}
		if t == 0 {
			return Result{}
		}
		return Result{Value: t}
	})
	return token, err == nil && done.Type == history.Ok, err
}

// critical is the critical section: a pause for the plain workload; a
// fenced read, a pause and a fenced write of the value plus one for the
// fenced workload. A failed read skips the write. A paused client stays
// inside its critical section until resumed.
func (lw *lockWorker) critical(ctx context.Context, token int64) error {
	if lw.store == nil {
		lw.pause(ctx, lw.cfg.Hold)
		lw.frozen(ctx)
		return nil
	}
	if ctx.Err() != nil || lw.crashed() {
		return nil // go straight to the release
	}
	var value int64
	done, err := lw.do(ctx, Call{F: FRead, Key: ResourceKey, Arg: FencedRead{Token: token}}, func(ctx context.Context) Result {
		v, err := lw.store.Read(ctx, token)
		value = v
		if err != nil {
			return Result{Err: err}
		}
		return Result{Value: v}
	})
	if err != nil || done.Type != history.Ok {
		return err
	}
	lw.pause(ctx, lw.cfg.Hold)
	lw.frozen(ctx)
	if ctx.Err() != nil || lw.crashed() {
		return nil
	}
	w := FencedWrite{Token: token, Value: value + 1}
	_, err = lw.do(ctx, Call{F: FWrite, Key: ResourceKey, Arg: w}, func(ctx context.Context) Result {
		if err := lw.store.Write(ctx, w.Token, w.Value); err != nil {
			return Result{Err: err}
		}
		return Result{Value: w}
	})
	if err == nil {
		lw.frozen(ctx)
	}
	return err
}

// release releases the lock, even when the run's time is up, so that the
// history ends with every holder's release. A holder that crashed records
// its release as info at once — it no longer believes it holds the lock,
// and its lease lapses on its own — then waits to be restarted.
func (lw *lockWorker) release(ctx context.Context, token int64) error {
	rctx := context.WithoutCancel(ctx)
	var arg any
	if token != 0 {
		arg = token
	}
	if lw.crashed() {
		_, err := lw.do(rctx, Call{F: FRelease, Key: lw.cfg.Key, Arg: arg}, func(context.Context) Result {
			return Result{Err: fmt.Errorf("%w while holding the lock; its lease lapses on its own", ErrClientCrashed)}
		})
		return err
	}
	_, err := lw.do(rctx, Call{F: FRelease, Key: lw.cfg.Key, Arg: arg}, func(ctx context.Context) Result {
		return Result{Err: lw.client.Release(ctx, lw.cfg.Key)}
	})
	return err
}

// FinalRead reads the fenced resource without a token once the run is
// over, retrying until a read succeeds or ctx is done; every attempt is
// recorded as process firstProcess (moving on after an info).
func FinalRead(ctx context.Context, rec *Recorder, store StoreReader, firstProcess int) error {
	w := &Worker{ID: firstProcess, Process: firstProcess, Concurrency: 1}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("final read of the resource: %w", err)
		}
		done, err := rec.Do(ctx, Call{Process: w.Process, F: FRead, Key: ResourceKey}, func(ctx context.Context) Result {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			v, err := store.Current(ctx)
			if err != nil {
				return Result{Err: err}
			}
			return Result{Value: v}
		})
		if err != nil {
			return err
		}
		w.Completed(done.Type)
		if done.Type == history.Ok {
			return nil
		}
		retryPause(ctx, 100*time.Millisecond)
	}
}
