package workloads

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/faultline/faultline/history"
)

// RegisterClient is what the register workload needs from a system: a
// read, write and compare-and-set on integer registers named by string keys.
// Read reports found=false for a key that was never written. CAS returns
// ErrMismatch when the current value is not old. Errors that certainly mean
// "not applied" must be wrapped with Definite; every other error is recorded
// as indeterminate. One call is one attempt: no retries underneath.
type RegisterClient interface {
	Read(ctx context.Context, key string) (value int64, found bool, err error)
	Write(ctx context.Context, key string, value int64) error
	CAS(ctx context.Context, key string, old, new int64) error
}

// NodeReporter is an optional ability of a client: the node that answered
// its last call, for the history's node field.
type NodeReporter interface {
	LastNode() string
}

// Mix weighs the register operations against each other.
type Mix struct {
	Read, Write, CAS int
}

// RegisterSettings are the register workload's own settings, declared once
// here and embedded in the settings of every system that runs it.
type RegisterSettings struct {
	// Keys is the number of registers in use at a time.
	Keys int `json:"keys"`
	// OpsPerKey is about how many operations a register gets before the
	// workers move on to fresh ones (Jepsen's independent keys); 0 for no
	// limit.
	OpsPerKey int `json:"ops_per_key"`
	// ClientRouting is how a multi-node system's clients pick the node
	// they call: "bound" (each worker bound to one node, worker i to node
	// i mod N, Jepsen style: reads always go to the bound node first, so a
	// node that answers reads itself is exercised), "leader" (the last
	// known leader first) or "random" (any node per call).
	ClientRouting string `json:"client_routing,omitempty"`
}

// The client routings.
const (
	RouteBound  = "bound"
	RouteLeader = "leader"
	RouteRandom = "random"
)

// DefaultRegisterSettings: eight keys at a time, 300 operations each,
// clients bound to nodes.
func DefaultRegisterSettings() RegisterSettings {
	return RegisterSettings{Keys: 8, OpsPerKey: 300, ClientRouting: RouteBound}
}

// Validate reports the first setting that cannot work.
func (s RegisterSettings) Validate() error {
	switch {
	case s.Keys < 1:
		return fmt.Errorf("%w: keys must be at least 1, got %d", history.ErrBadConfig, s.Keys)
	case s.OpsPerKey < 0:
		return fmt.Errorf("%w: ops_per_key must not be negative, got %d", history.ErrBadConfig, s.OpsPerKey)
	case s.ClientRouting != RouteBound && s.ClientRouting != RouteLeader && s.ClientRouting != RouteRandom:
		return fmt.Errorf("%w: client_routing must be %s, %s or %s, got %q", history.ErrBadConfig, RouteBound, RouteLeader, RouteRandom, s.ClientRouting)
	}
	return nil
}

// RegisterConfig configures the register workload.
type RegisterConfig struct {
	Common
	RegisterSettings
	Mix Mix // relative weights of read, write and cas
	// InfoPause is how long a worker waits after an indeterminate outcome
	// before its next operation, doubled after each further one in a row
	// up to a second: a client whose node just died does not hammer it with
	// calls that each end unknown (and each leave the checker an operation
	// that may take effect at any time).
	InfoPause time.Duration
}

// DefaultRegisterConfig is a mix of half reads, a quarter writes and a
// quarter cas over eight keys, with ten workers.
func DefaultRegisterConfig() RegisterConfig {
	return RegisterConfig{
		Common:           DefaultCommon(),
		RegisterSettings: DefaultRegisterSettings(),
		Mix:              Mix{Read: 2, Write: 1, CAS: 1},
		InfoPause:        100 * time.Millisecond,
	}
}

// Validate reports the first setting that cannot work.
func (c RegisterConfig) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	if err := c.RegisterSettings.Validate(); err != nil {
		return err
	}
	switch {
	case c.Mix.Read < 0 || c.Mix.Write < 0 || c.Mix.CAS < 0 || c.Mix.Read+c.Mix.Write+c.Mix.CAS == 0:
		return fmt.Errorf("%w: the operation mix needs non-negative weights, not all zero (got read=%d write=%d cas=%d)",
			history.ErrBadConfig, c.Mix.Read, c.Mix.Write, c.Mix.CAS)
	case c.InfoPause < 0:
		return fmt.Errorf("%w: the pause after an info must not be negative", history.ErrBadConfig)
	}
	return nil
}

// maxInfoPause bounds the back-off after indeterminate outcomes.
const maxInfoPause = time.Second

// RegisterOp is one generated register operation.
type RegisterOp struct {
	F        string // "read", "write" or "cas"
	Key      string
	Value    int64 // the value to write, or cas's new value
	Expected int64 // cas's expected value
}

// Arg is the invoke's value in the history format.
func (o RegisterOp) Arg() any {
	switch o.F {
	case "write":
		return o.Value
	case "cas":
		return []int64{o.Expected, o.Value}
	}
	return nil
}

// RegisterGen generates one worker's operations. The sequence of operation
// kinds and keys depends only on the seed and the worker; a cas expects the
// last value this worker saw in its key, so its expected value depends on
// what the system answered.
//
// Like Jepsen's independent keys, the workers move on to fresh registers as
// the run goes: a worker's operations fall in generations of Keys
// registers, each generation long enough that a register gets about
// OpsPerKey operations from all workers together. A bounded history per key
// keeps the linearizability check fast however long the run.
type RegisterGen struct {
	cfg    RegisterConfig
	w      *Worker
	n      int // operations generated
	genLen int // a worker's operations per generation; 0 for one generation
	writes int64
	seen   map[string]int64
}

// NewRegisterGen returns the generator of worker w.
func NewRegisterGen(cfg RegisterConfig, w *Worker) *RegisterGen {
	g := &RegisterGen{cfg: cfg, w: w, seen: map[string]int64{}}
	if cfg.OpsPerKey > 0 {
		g.genLen = max(1, cfg.OpsPerKey*cfg.Keys/cfg.Concurrency)
	}
	return g
}

// KeysUsed is how many registers the generator has named so far: keys
// "0" up to KeysUsed()-1.
func (g *RegisterGen) KeysUsed() int {
	return (g.generation() + 1) * g.cfg.Keys
}

func (g *RegisterGen) generation() int {
	if g.genLen == 0 || g.n == 0 {
		return 0
	}
	return (g.n - 1) / g.genLen
}

// Key is the name of register i.
func Key(i int) string { return strconv.Itoa(i) }

// Next returns the worker's next operation. Every written value is unique
// in the run (worker w's n-th write is n·concurrency + w + 1), so an anomaly
// points at exactly one write.
func (g *RegisterGen) Next() RegisterOp {
	m := g.cfg.Mix
	g.n++
	key := Key(g.generation()*g.cfg.Keys + g.w.Rand.IntN(g.cfg.Keys))
	pick := g.w.Rand.IntN(m.Read + m.Write + m.CAS)
	switch {
	case pick < m.Read:
		return RegisterOp{F: "read", Key: key}
	case pick < m.Read+m.Write:
		return RegisterOp{F: "write", Key: key, Value: g.fresh()}
	}
	return RegisterOp{F: "cas", Key: key, Expected: g.seen[key], Value: g.fresh()}
}

func (g *RegisterGen) fresh() int64 {
	v := g.writes*int64(g.cfg.Concurrency) + int64(g.w.ID) + 1
	g.writes++
	return v
}

// Observe tells the generator the outcome of op, so that later cas
// operations expect a value that was really there.
func (g *RegisterGen) Observe(op RegisterOp, res Result) {
	if res.Err != nil {
		return
	}
	switch op.F {
	case "read":
		if v, ok := res.Value.(int64); ok {
			g.seen[op.Key] = v
		}
	case "write", "cas":
		g.seen[op.Key] = op.Value
	}
}

// Invoke runs op on c.
func (o RegisterOp) Invoke(ctx context.Context, c RegisterClient) Result {
	var res Result
	switch o.F {
	case "read":
		v, found, err := c.Read(ctx, o.Key)
		res.Err = err
		if err == nil && found {
			res.Value = v
		}
	case "write":
		res.Err = c.Write(ctx, o.Key, o.Value)
		if res.Err == nil {
			res.Value = o.Value
		}
	case "cas":
		res.Err = c.CAS(ctx, o.Key, o.Expected, o.Value)
		if res.Err == nil {
			res.Value = []int64{o.Expected, o.Value}
		}
	}
	if nr, ok := c.(NodeReporter); ok {
		res.Node = nr.LastNode()
	}
	return res
}

// RunRegister drives the register workload with one worker per client until
// ctx is done. It returns the number of registers the workers used (keys
// "0" up to keys-1, for the final reads), and an error only when the
// history cannot be written.
func RunRegister(ctx context.Context, cfg RegisterConfig, rec *Recorder, clients []RegisterClient) (keys int, err error) {
	if len(clients) != cfg.Concurrency {
		return 0, fmt.Errorf("register workload: %d clients for %d workers", len(clients), cfg.Concurrency)
	}
	g, ctx := errgroup.WithContext(ctx)
	gens := make([]*RegisterGen, len(clients))
	for i, c := range clients {
		gens[i] = NewRegisterGen(cfg, NewWorker(cfg.Seed, i, cfg.Concurrency))
		g.Go(func() error { return runRegisterWorker(ctx, cfg, rec, gens[i], c) })
	}
	err = g.Wait()
	for _, gen := range gens {
		keys = max(keys, gen.KeysUsed())
	}
	return keys, err
}

func runRegisterWorker(ctx context.Context, cfg RegisterConfig, rec *Recorder, gen *RegisterGen, c RegisterClient) error {
	w := gen.w
	pace := newPacer(cfg.Rate, cfg.Concurrency)
	pause := cfg.InfoPause
	for {
		if err := pace.wait(ctx); err != nil {
			return nil // the time is up
		}
		op := gen.Next()
		var res Result
		done, err := rec.Do(ctx, Call{Process: w.Process, F: op.F, Key: op.Key, Arg: op.Arg()}, func(ctx context.Context) Result {
			ctx, cancel := context.WithTimeout(ctx, cfg.OpTimeout)
			defer cancel()
			res = op.Invoke(ctx, c)
			return res
		})
		if err != nil {
			return err
		}
		gen.Observe(op, res)
		w.Completed(done.Type)
		switch {
		case done.Type != history.Info:
			pause = cfg.InfoPause
		case pause > 0:
			retryPause(ctx, pause)
			pause = min(2*pause, maxInfoPause)
		}
	}
}

// FinalReads reads keys "0" up to keys-1 once the system has recovered: each
// key is read until a read succeeds or ctx is done, every attempt recorded,
// as process firstProcess (moving on after an info, like any worker). It
// returns the keys it could not read.
func FinalReads(ctx context.Context, cfg RegisterConfig, rec *Recorder, c RegisterClient, firstProcess, keys int) ([]string, error) {
	w := &Worker{ID: firstProcess, Process: firstProcess, Concurrency: 1}
	var unread []string
	for i := range keys {
		op := RegisterOp{F: "read", Key: Key(i)}
		for {
			if ctx.Err() != nil {
				unread = append(unread, op.Key)
				break
			}
			done, err := rec.Do(ctx, Call{Process: w.Process, F: op.F, Key: op.Key}, func(ctx context.Context) Result {
				ctx, cancel := context.WithTimeout(ctx, cfg.OpTimeout)
				defer cancel()
				return op.Invoke(ctx, c)
			})
			if err != nil {
				return unread, err
			}
			w.Completed(done.Type)
			if done.Type == history.Ok {
				break
			}
			retryPause(ctx, 100*time.Millisecond)
		}
	}
	return unread, nil
}

func retryPause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
