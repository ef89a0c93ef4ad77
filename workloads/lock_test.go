package workloads

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// memLock is a correct in-memory lock with fencing tokens, shared by the
// clients of one test; each memLockClient remembers whether it holds it.
type memLock struct {
	mu     sync.Mutex
	holder *memLockClient
	token  int64
}

var errHeld = errors.New("held by another client")

type memLockClient struct{ l *memLock }

func (c *memLockClient) Acquire(ctx context.Context, _ string) (int64, error) {
	for {
		c.l.mu.Lock()
		if c.l.holder == nil {
			c.l.holder = c
			c.l.token++
			t := c.l.token
			c.l.mu.Unlock()
			return t, nil
		}
		c.l.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, Definite(errHeld)
		case <-time.After(time.Millisecond):
		}
	}
}

func (c *memLockClient) Release(context.Context, string) error {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	if c.l.holder != c {
		return Definite(errors.New("not held"))
	}
	c.l.holder = nil
	return nil
}

// memStore is a fenced counter.
type memStore struct {
	mu             sync.Mutex
	highest, value int64
}

func (s *memStore) admit(token int64) error {
	if token < s.highest {
		return Definite(errors.New("stale token"))
	}
	s.highest = token
	return nil
}

func (s *memStore) Read(_ context.Context, token int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value, s.admit(token)
}

func (s *memStore) Write(_ context.Context, token, value int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.admit(token); err != nil {
		return err
	}
	s.value = value
	return nil
}

func (s *memStore) Current(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value, nil
}

func lockTestConfig(n int) LockConfig {
	cfg := DefaultLockConfig()
	cfg.Concurrency = n
	cfg.Hold = 5 * time.Millisecond
	cfg.Think = time.Millisecond
	cfg.OpTimeout = 200 * time.Millisecond
	cfg.Seed = 3
	return cfg
}

func memClients(n int) []LockClient {
	l := &memLock{}
	out := make([]LockClient, n)
	for i := range out {
		out[i] = &memLockClient{l: l}
	}
	return out
}

func readHistory(t *testing.T, buf *bytes.Buffer, w *history.Writer) []history.Op {
	t.Helper()
	require.NoError(t, w.Close())
	h, err := history.Read(buf)
	require.NoError(t, err)
	return h.Ops
}

// holdsOf pairs each ok acquire with the same process's next release
// invoke.
func holdsOf(t *testing.T, ops []history.Op) [][2]history.Op {
	open := map[int]history.Op{}
	var holds [][2]history.Op
	for _, op := range ops {
		switch {
		case op.F == FAcquire && op.Type == history.Ok:
			open[op.Process] = op
		case op.F == FRelease && op.Type == history.Invoke:
			a, ok := open[op.Process]
			require.True(t, ok, "release by process %d that holds nothing", op.Process)
			holds = append(holds, [2]history.Op{a, op})
			delete(open, op.Process)
		}
	}
	assert.Empty(t, open, "every holder releases before the workload returns")
	return holds
}

func TestRunLockRecordsAcquireAndRelease(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	rec := NewRecorder(w)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg := lockTestConfig(3)
	require.NoError(t, RunLock(ctx, cfg, rec, memClients(3), nil))
	ops := readHistory(t, &buf, w)
	holds := holdsOf(t, ops)
	require.NotEmpty(t, holds)
	for i := 1; i < len(holds); i++ {
		assert.Greater(t, holds[i][0].Time, holds[i-1][1].Time-1, "a correct lock never overlaps holders")
	}
	for _, op := range ops {
		if op.F == FAcquire && op.Type == history.Ok {
			tok, ok, err := op.Int()
			require.NoError(t, err)
			assert.True(t, ok && tok > 0, "an ok acquire carries its token")
		}
	}
}

func TestRunFencedIncrementsUnderTheLock(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	rec := NewRecorder(w)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg := lockTestConfig(3)
	store := &memStore{}
	stores := []FencedStore{store, store, store}
	require.NoError(t, RunFenced(ctx, cfg, rec, memClients(3), stores, nil))
	require.NoError(t, FinalRead(context.Background(), rec, store, 100))
	ops := readHistory(t, &buf, w)
	var writes int64
	for _, op := range ops {
		if op.F == FWrite && op.Type == history.Ok {
			writes++
		}
	}
	last := ops[len(ops)-1]
	require.Equal(t, FRead, last.F)
	v, ok, err := last.Int()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Positive(t, writes)
	assert.Equal(t, writes, v, "each acknowledged write incremented the counter once")
}

// signalClient tells the test when its first acquire has succeeded.
type signalClient struct {
	LockClient
	once     sync.Once
	acquired chan struct{}
}

func newSignalClient() *signalClient {
	return &signalClient{LockClient: memClients(1)[0], acquired: make(chan struct{})}
}

func (c *signalClient) Acquire(ctx context.Context, key string) (int64, error) {
	t, err := c.LockClient.Acquire(ctx, key)
	if err == nil {
		c.once.Do(func() { close(c.acquired) })
	}
	return t, err
}

func TestPausedHolderStaysInItsCriticalSection(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	rec := NewRecorder(w)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cfg := lockTestConfig(1)
	proc := NewClientProcess()
	c := newSignalClient()
	go func() {
		// Pause the worker for 200 ms as soon as it holds the lock.
		<-c.acquired
		proc.Pause()
		time.AfterFunc(200*time.Millisecond, proc.Resume)
	}()
	require.NoError(t, RunLock(ctx, cfg, rec, []LockClient{c}, []*ClientProcess{proc}))
	holds := holdsOf(t, readHistory(t, &buf, w))
	longest := time.Duration(0)
	for _, h := range holds {
		longest = max(longest, time.Duration(h[1].Time-h[0].Time))
	}
	assert.Greater(t, longest, 100*time.Millisecond, "the pause kept a holder inside its critical section")
}

func TestKilledHolderRecordsItsReleaseAsInfo(t *testing.T) {
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	rec := NewRecorder(w)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	cfg := lockTestConfig(1)
	cfg.Hold = 100 * time.Millisecond
	proc := NewClientProcess()
	c := newSignalClient()
	var killedAt int64
	go func() {
		// Kill the worker while it holds the lock; restart it 150 ms later.
		<-c.acquired
		killedAt = w.Now()
		proc.Kill()
		time.AfterFunc(150*time.Millisecond, proc.Restart)
	}()
	require.NoError(t, RunLock(ctx, cfg, rec, []LockClient{c}, []*ClientProcess{proc}))
	ops := readHistory(t, &buf, w)
	var crashed *history.Op
	for i, op := range ops {
		if op.F == FRelease && op.Type == history.Info {
			crashed = &ops[i]
			break
		}
	}
	require.NotNil(t, crashed, "the crash ends the holder's release as info")
	assert.Contains(t, crashed.Error, ErrClientCrashed.Error())
	assert.Less(t, crashed.Time-killedAt, int64(100*time.Millisecond), "recorded at the crash, not at the restart")
	var after []int
	for _, op := range ops {
		if op.Index > crashed.Index && op.Type == history.Invoke {
			after = append(after, op.Process)
		}
	}
	require.NotEmpty(t, after, "the worker goes on after the restart")
	assert.NotEqual(t, crashed.Process, after[0], "as a new process")
}

func TestClientProcessWait(t *testing.T) {
	p := NewClientProcess()
	require.NoError(t, p.Wait(context.Background()))
	p.Pause()
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Wait(short), context.DeadlineExceeded)
	p.Resume()
	require.NoError(t, p.Wait(context.Background()))
	crash := p.Crashed()
	p.Kill()
	select {
	case <-crash:
	default:
		t.Fatal("Kill must close the crash channel")
	}
	p.Restart()
	require.NoError(t, p.Wait(context.Background()))
}

func TestLockConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*LockConfig)
		ok   bool
	}{
		{"default", func(*LockConfig) {}, true},
		{"no key", func(c *LockConfig) { c.Key = "" }, false},
		{"no workers", func(c *LockConfig) { c.Concurrency = 0 }, false},
		{"negative hold", func(c *LockConfig) { c.Hold = -1 }, false},
		{"no timeout", func(c *LockConfig) { c.OpTimeout = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultLockConfig()
			tt.mod(&c)
			if tt.ok {
				assert.NoError(t, c.Validate())
			} else {
				assert.ErrorIs(t, c.Validate(), history.ErrBadConfig)
			}
		})
	}
}
