package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// FlushInterval bounds how long an appended line may sit in the writer's
// buffer before it reaches the operating system. A run killed with SIGKILL
// loses at most about this much of its history.
const FlushInterval = 50 * time.Millisecond

// ErrClosed is returned by a Writer after Close.
var ErrClosed = errors.New("history: writer is closed")

// Writer appends operations to a history as JSON lines. It assigns each
// line its index, and (through Append) its time on a monotonic clock that
// starts when the writer is created. It is safe for concurrent use: the
// index order, the time order and the file order agree.
type Writer struct {
	mu      sync.Mutex
	w       *bufio.Writer
	file    *os.File // nil when writing to a plain io.Writer
	start   time.Time
	next    int64
	dirty   bool
	closed  bool
	err     error
	flusher *time.Timer
}

// Create creates (or truncates) a history file at path and returns a Writer
// for it.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating history file: %w", err)
	}
	w := NewWriter(f)
	w.file = f
	return w, nil
}

// NewWriter returns a Writer that appends to w. Its clock starts now.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), start: time.Now()}
}

// Start is the instant the writer's clock counts from.
func (w *Writer) Start() time.Time { return w.start }

// Now is the current time on the writer's clock, in nanoseconds.
func (w *Writer) Now() int64 { return int64(time.Since(w.start)) }

// Append stamps op with the next index and the current time, writes it, and
// returns it as written.
func (w *Writer) Append(op Op) (Op, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	op.Time = int64(time.Since(w.start))
	return op, w.writeLocked(&op)
}

// Write writes op with the next index, keeping the time it carries (for
// converting or copying histories).
func (w *Writer) Write(op Op) (Op, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return op, w.writeLocked(&op)
}

func (w *Writer) writeLocked(op *Op) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	op.Index = w.next
	line, err := json.Marshal(op)
	if err != nil {
		return fmt.Errorf("encoding history op %d: %w", op.Index, err)
	}
	line = append(line, '\n')
	if _, err := w.w.Write(line); err != nil {
		w.err = fmt.Errorf("writing history: %w", err)
		return w.err
	}
	w.next++
	if !w.dirty {
		w.dirty = true
		w.scheduleFlushLocked()
	}
	return nil
}

func (w *Writer) scheduleFlushLocked() {
	if w.flusher == nil {
		w.flusher = time.AfterFunc(FlushInterval, w.timedFlush)
		return
	}
	w.flusher.Reset(FlushInterval)
}

func (w *Writer) timedFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.flushLocked()
	}
}

// Flush writes buffered lines to the underlying writer.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	w.dirty = false
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("flushing history: %w", err)
	}
	return w.err
}

// Len is the number of operations written so far.
func (w *Writer) Len() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.next
}

// Close flushes the history, fsyncs and closes the file if the writer owns
// one. Appends after Close return ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.flusher != nil {
		w.flusher.Stop()
	}
	err := w.flushLocked()
	if w.file != nil {
		if serr := w.file.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("syncing history: %w", serr)
		}
		if cerr := w.file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing history: %w", cerr)
		}
	}
	return err
}
