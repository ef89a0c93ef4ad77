package workloads

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// memRegisters is a linearizable in-memory register store whose calls can be
// made to fail definitely or indeterminately.
type memRegisters struct {
	mu     sync.Mutex
	vals   map[string]int64
	failAt func(n int) error // error for the n-th call, or nil
	calls  int
}

func (m *memRegisters) step() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.failAt != nil {
		return m.failAt(m.calls)
	}
	return nil
}

func (m *memRegisters) Read(_ context.Context, key string) (int64, bool, error) {
	if err := m.step(); err != nil {
		return 0, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vals[key]
	return v, ok, nil
}

func (m *memRegisters) Write(_ context.Context, key string, v int64) error {
	if err := m.step(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vals[key] = v
	return nil
}

func (m *memRegisters) CAS(_ context.Context, key string, old, new int64) error {
	if err := m.step(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.vals[key]; !ok || v != old {
		return ErrMismatch
	}
	m.vals[key] = new
	return nil
}

func TestRegisterGenIsDeterministicPerSeed(t *testing.T) {
	cfg := DefaultRegisterConfig()
	gen := func(seed int64, worker int) []RegisterOp {
		g := NewRegisterGen(cfg, NewWorker(seed, worker, cfg.Concurrency))
		var ops []RegisterOp
		for range 200 {
			ops = append(ops, g.Next())
		}
		return ops
	}
	assert.Equal(t, gen(42, 3), gen(42, 3), "same seed and worker")
	assert.NotEqual(t, gen(42, 3), gen(43, 3), "another seed")
	assert.NotEqual(t, gen(42, 3), gen(42, 4), "another worker")
}

func TestRegisterGenWritesUniqueValues(t *testing.T) {
	cfg := DefaultRegisterConfig()
	seen := map[int64]bool{}
	for w := range cfg.Concurrency {
		g := NewRegisterGen(cfg, NewWorker(7, w, cfg.Concurrency))
		for range 500 {
			op := g.Next()
			if op.F == "read" {
				continue
			}
			require.False(t, seen[op.Value], "value %d written twice", op.Value)
			seen[op.Value] = true
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		typ  history.Type
		msg  string
	}{
		{"nil is ok", nil, history.Ok, ""},
		{"mismatch is an observing fail", ErrMismatch, history.Fail, "mismatch"},
		{"wrapped mismatch", errors.Join(errors.New("cas"), ErrMismatch), history.Fail, "mismatch"},
		{"definite is fail", Definite(errors.New("not leader")), history.Fail, "not leader"},
		{"timeout is info", context.DeadlineExceeded, history.Info, "timeout: context deadline exceeded"},
		{"anything else is info", errors.New("connection reset"), history.Info, "connection reset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, msg := Classify(tc.err)
			assert.Equal(t, tc.typ, typ)
			assert.Equal(t, tc.msg, msg)
		})
	}
}

func TestRunRegisterKeepsTheProcessRule(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	store := &memRegisters{vals: map[string]int64{}, failAt: func(n int) error {
		switch n % 7 {
		case 3:
			return errors.New("connection lost after sending")
		case 5:
			return Definite(errors.New("not leader"))
		}
		return nil
	}}
	cfg := DefaultRegisterConfig()
	cfg.Concurrency = 4
	cfg.Seed = 1
	cfg.InfoPause = time.Millisecond
	rec := NewRecorder(w)
	clients := make([]RegisterClient, cfg.Concurrency)
	for i := range clients {
		clients[i] = store
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	keys, err := RunRegister(ctx, cfg, rec, clients)
	require.NoError(t, err)
	require.GreaterOrEqual(t, keys, cfg.Keys)
	unread, err := FinalReads(context.Background(), cfg, rec, store, 1000, keys)
	require.NoError(t, err)
	assert.Empty(t, unread)
	require.NoError(t, w.Close())

	h, err := history.Read(&buf)
	require.NoError(t, err)
	counts := rec.Counts()
	assert.Positive(t, counts.Ok)
	assert.Positive(t, counts.Fail)
	assert.Positive(t, counts.Info)

	open := map[int]history.Op{}
	retired := map[int]bool{}
	for _, op := range h.Ops {
		require.False(t, retired[op.Process], "process %d used after an info (op %d)", op.Process, op.Index)
		if op.Type == history.Invoke {
			_, busy := open[op.Process]
			require.False(t, busy, "process %d invoked twice (op %d)", op.Process, op.Index)
			open[op.Process] = op
			continue
		}
		inv, ok := open[op.Process]
		require.True(t, ok, "completion without invoke (op %d)", op.Index)
		assert.Equal(t, inv.F, op.F)
		delete(open, op.Process)
		if op.Type == history.Info {
			retired[op.Process] = true
		}
	}
}

func TestRegisterGenMovesOnToFreshKeys(t *testing.T) {
	cfg := DefaultRegisterConfig()
	cfg.Keys, cfg.OpsPerKey, cfg.Concurrency = 4, 10, 2 // a worker's generation is 20 operations
	g := NewRegisterGen(cfg, NewWorker(1, 0, cfg.Concurrency))
	for i := range 60 {
		op := g.Next()
		k, err := strconv.Atoi(op.Key)
		require.NoError(t, err)
		assert.Equal(t, i/20, k/cfg.Keys, "op %d on key %s", i, op.Key)
	}
	assert.Equal(t, 12, g.KeysUsed())

	cfg.OpsPerKey = 0
	g = NewRegisterGen(cfg, NewWorker(1, 0, cfg.Concurrency))
	for range 1000 {
		k, _ := strconv.Atoi(g.Next().Key)
		require.Less(t, k, cfg.Keys, "no limit: the same keys throughout")
	}
}
