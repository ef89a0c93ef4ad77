package raftkv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// A register per key, checked with porcupine: the package's own end-to-end
// safety test, independent of the harness (which impl/ must not import).

type regState struct {
	value int64
	found bool
}

type regInput struct {
	op            Op
	key           string
	value, expect int64
}

type regOutput struct {
	value    int64
	found    bool
	mismatch bool
	unknown  bool // indeterminate: may or may not have taken effect
}

var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(regInput).key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return regState{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(regState), input.(regInput), output.(regOutput)
		matches := st.found && st.value == in.expect
		switch in.op {
		case OpRead:
			return out.found == st.found && (!st.found || out.value == st.value), st
		case OpWrite:
			return true, regState{value: in.value, found: true}
		}
		switch {
		case out.unknown:
			// Linearized after everything else, an unapplied cas is harmless.
			if matches {
				return true, regState{value: in.value, found: true}
			}
			return true, st
		case out.mismatch:
			return !matches, st
		}
		return matches, regState{value: in.value, found: true}
	},
	DescribeOperation: func(input, output any) string {
		return fmt.Sprintf("%+v -> %+v", input, output)
	},
}

// registerRun is a register workload running against a cluster, recording
// a porcupine history.
type registerRun struct {
	t       *testing.T
	mu      sync.Mutex
	history []porcupine.Operation
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// startRegister starts workers clients doing random reads, writes and cas
// on keys registers.
func startRegister(t *testing.T, c *testCluster, workers, keys int) *registerRun {
	r := &registerRun{t: t}
	ctx, stop := context.WithCancel(t.Context())
	r.stop = stop
	start := time.Now()
	for w := range workers {
		cl := c.newClient()
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				in := regInput{key: fmt.Sprintf("k%d", rng.IntN(keys)), value: int64(w*1_000_000 + i), expect: int64(rng.IntN(4))}
				switch rng.IntN(4) {
				case 0, 1:
					in.op = OpRead
				case 2:
					in.op = OpWrite
					in.value %= 4 // few values, so that cas sometimes matches
				default:
					in.op = OpCAS
				}
				call := time.Since(start).Nanoseconds()
				out, ok := runRegisterOp(cl, in)
				ret := time.Since(start).Nanoseconds()
				if !ok {
					continue // a definite failure: it did not happen
				}
				if out.unknown {
					ret = math.MaxInt64
				}
				r.mu.Lock()
				r.history = append(r.history, porcupine.Operation{ClientId: w, Input: in, Call: call, Output: out, Return: ret})
				r.mu.Unlock()
			}
		}()
	}
	return r
}

// waitMore waits until n more operations completed.
func (r *registerRun) waitMore(n int) {
	r.t.Helper()
	r.mu.Lock()
	want := len(r.history) + n
	r.mu.Unlock()
	require.Eventually(r.t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.history) >= want },
		10*time.Second, 5*time.Millisecond, "the cluster did not serve %d more operations", n)
}

// check stops the workers and checks the history.
func (r *registerRun) check() {
	r.t.Helper()
	r.stop()
	r.wg.Wait()
	res := porcupine.CheckOperationsTimeout(registerModel, r.history, 20*time.Second)
	require.NotEqual(r.t, porcupine.Illegal, res, "history of %d operations is not linearizable", len(r.history))
	r.t.Logf("%d operations, linearizability: %v", len(r.history), res)
}

// TestClusterLinearizableAcrossLeaderKill runs concurrent clients on three
// keys while the leader is stopped and restarted, and checks the history.
func TestClusterLinearizableAcrossLeaderKill(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.waitLeader()
	run := startRegister(t, c, 4, 3)
	run.waitMore(100)
	leader := c.waitLeader()
	c.stop(leader)
	c.waitLeader()
	run.waitMore(100)
	c.start(leader)
	c.waitLeader()
	run.waitMore(100)
	run.check()
}

// runRegisterOp runs one operation; ok is false for a definite failure.
func runRegisterOp(cl *Client, in regInput) (regOutput, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var err error
	var out regOutput
	switch in.op {
	case OpRead:
		out.value, out.found, err = cl.Read(ctx, in.key)
		if err != nil {
			return out, false // a read that failed observed nothing
		}
	case OpWrite:
		err = cl.Write(ctx, in.key, in.value)
	case OpCAS:
		err = cl.CAS(ctx, in.key, in.expect, in.value)
	}
	switch {
	case err == nil:
		return out, true
	case errors.Is(err, ErrMismatch):
		return regOutput{mismatch: true}, true
	case IsDefinite(err):
		return out, false
	}
	return regOutput{unknown: true}, true
}

// TestClusterLinearizableAcrossPartition isolates the leader from both
// followers while clients keep going (some talk to the old leader, whose
// writes cannot commit), heals, and checks the history.
func TestClusterLinearizableAcrossPartition(t *testing.T) {
	c := newProxiedCluster(t, 3)
	leader := c.waitLeader()
	run := startRegister(t, c, 4, 3)
	run.waitMore(100)

	c.isolate(leader, true)
	var rest []string
	for _, id := range c.ids {
		if id != leader {
			rest = append(rest, id)
		}
	}
	require.NotEqual(t, leader, c.waitLeaderAmong(rest...))
	run.waitMore(100)

	c.isolate(leader, false)
	c.waitLeader()
	run.waitMore(100)
	run.check()
}
