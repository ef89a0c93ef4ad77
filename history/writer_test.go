package history

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer that the writer's flush timer and the test
// may touch at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

func TestWriterConcurrentAppend(t *testing.T) {
	const workers, each = 8, 200
	var out syncBuffer
	w := NewWriter(&out)
	var wg sync.WaitGroup
	for p := 0; p < workers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				op, err := w.Append(Op{Process: p, Type: Invoke, F: "read", Key: "k"})
				assert.NoError(t, err)
				assert.GreaterOrEqual(t, op.Time, int64(0))
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(workers*each), w.Len())
	require.NoError(t, w.Close())

	h, err := Read(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	require.Len(t, h.Ops, workers*each)
	perProcess := map[int]int{}
	for i, op := range h.Ops {
		assert.Equal(t, int64(i), op.Index, "index order is file order")
		if i > 0 {
			assert.GreaterOrEqual(t, op.Time, h.Ops[i-1].Time, "time order is file order")
		}
		perProcess[op.Process]++
	}
	for p := 0; p < workers; p++ {
		assert.Equal(t, each, perProcess[p])
	}
}

func TestWriterFlushesWithoutBeingAsked(t *testing.T) {
	var out syncBuffer
	w := NewWriter(&out)
	defer w.Close()
	_, err := w.Append(Op{Process: 0, Type: Invoke, F: "read"})
	require.NoError(t, err)
	deadline := time.Now().Add(20 * FlushInterval)
	for len(out.Bytes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(FlushInterval / 5)
	}
	h, err := Read(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	require.Len(t, h.Ops, 1, "the line reached the underlying writer without Flush or Close")
}

func TestWriterKeepsTimeOnWrite(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	op, err := w.Write(Op{Index: 99, Time: 12345, Process: 2, Type: Ok, F: "write", Value: MustValue(3)})
	require.NoError(t, err)
	assert.Equal(t, int64(0), op.Index, "the writer assigns indexes")
	assert.Equal(t, int64(12345), op.Time)
	require.NoError(t, w.Flush())
	assert.JSONEq(t, `{"index":0,"time":12345,"process":2,"type":"ok","f":"write","value":3}`, buf.String())
}

func TestWriterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	w, err := Create(path)
	require.NoError(t, err)
	_, err = w.Append(Op{Process: 0, Type: Invoke, F: "read"})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")
	_, err = w.Append(Op{Process: 0, Type: Ok, F: "read"})
	require.ErrorIs(t, err, ErrClosed)

	h, err := ReadFile(path)
	require.NoError(t, err)
	assert.Len(t, h.Ops, 1)
	assert.False(t, h.TornTail)
}

func TestCreateFailsOnBadPath(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir", "history.jsonl"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "creating history file")
}

// failingWriter accepts n bytes then fails.
type failingWriter struct{ n int }

var errFull = errors.New("no space left")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterErrorsAreSticky(t *testing.T) {
	w := NewWriter(&failingWriter{n: 10})
	_, err := w.Append(Op{Process: 0, Type: Invoke, F: "read"})
	require.NoError(t, err, "buffered")
	err = w.Flush()
	require.ErrorIs(t, err, errFull)
	_, err = w.Append(Op{Process: 0, Type: Ok, F: "read"})
	require.ErrorIs(t, err, errFull, "a writer that failed keeps failing")
	require.ErrorIs(t, w.Close(), errFull)
}

// TestTornWriteIsCheckable writes a history, cuts its file mid-line as a
// SIGKILL would, and reads what is left.
func TestTornWriteIsCheckable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	w, err := Create(path)
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		_, err := w.Append(Op{Process: i % 3, Type: Invoke, F: "write", Key: "k", Value: MustValue(i)})
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw[:len(raw)-20], 0o644))

	h, err := ReadFile(path)
	require.NoError(t, err)
	assert.True(t, h.TornTail)
	assert.Len(t, h.Ops, 9)
}
