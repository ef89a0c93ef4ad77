package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrMalformed is wrapped by every error about a line that is not a valid
// history entry.
var ErrMalformed = errors.New("malformed history")

// maxLine bounds a single history line; a longer one is malformed.
const maxLine = 16 << 20

// History is a history as read from a file.
type History struct {
	Ops []Op
	// TornTail is true when the last line was incomplete (no newline and not
	// parseable) and was dropped: what a writer killed mid-line leaves.
	TornTail bool
}

// ReadFile reads the history at path.
func ReadFile(path string) (*History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening history: %w", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	h, err := read(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// Read parses a history. A last line that is cut short is dropped and
// reported in TornTail; any other malformed line is an error wrapping
// ErrMalformed that names the line number (1-based). Blank lines are
// skipped.
func Read(r io.Reader) (*History, error) {
	var size int64
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	return read(r, size)
}

// typicalLine is about the length of a register history line; with the
// input's size it sizes the Ops slice once instead of growing it.
const typicalLine = 90

// read is Read with a hint of the input's size in bytes (0: unknown).
func read(r io.Reader, size int64) (*History, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	h := &History{Ops: make([]Op, 0, min(size/typicalLine, 1<<24)+16)}
	p := newLineParser()
	var buf []byte // reused: parseLine copies what it keeps
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br, buf[:0])
		buf = line
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		complete := len(line) > 0 && line[len(line)-1] == '\n'
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 {
			op, perr := p.parseLine(trimmed, int64(len(h.Ops)))
			switch {
			case perr == nil:
				h.Ops = append(h.Ops, op)
			case !complete && errors.Is(err, io.EOF):
				h.TornTail = true
			default:
				return nil, fmt.Errorf("line %d: %w", lineNo, perr)
			}
		}
		if errors.Is(err, io.EOF) {
			return h, nil
		}
	}
}

// readLine appends the next line, newline included, to line.
func readLine(br *bufio.Reader, line []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, maxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

// rawOp mirrors Op with pointers so that missing required fields are seen.
type rawOp struct {
	Index   *int64          `json:"index"`
	Time    *int64          `json:"time"`
	Process *int            `json:"process"`
	Type    Type            `json:"type"`
	F       string          `json:"f"`
	Key     string          `json:"key"`
	Value   json.RawMessage `json:"value"`
	Error   string          `json:"error"`
	Node    string          `json:"node"`
}

// parseLine parses one history line; want is the index it must carry.
func (p *lineParser) parseLine(line []byte, want int64) (Op, error) {
	var r rawOp
	if !p.parseFast(line, &r) {
		return parseSlow(line, want)
	}
	return r.op(want)
}

// parseSlow parses one history line with encoding/json.
func parseSlow(line []byte, want int64) (Op, error) {
	var r rawOp
	if err := json.Unmarshal(line, &r); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) && strings.Contains(syntax.Error(), "after top-level value") {
			return Op{}, fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
		}
		return Op{}, fmt.Errorf("%w: not a JSON object: %w", ErrMalformed, err)
	}
	return r.op(want)
}

// op checks the fields of a line and makes it an Op.
func (r *rawOp) op(want int64) (Op, error) {
	switch {
	case r.Index == nil:
		return Op{}, fmt.Errorf("%w: missing \"index\"", ErrMalformed)
	case *r.Index != want:
		return Op{}, fmt.Errorf("%w: index is %d, want %d (indexes count 0, 1, 2 … in file order)", ErrMalformed, *r.Index, want)
	case r.Time == nil:
		return Op{}, fmt.Errorf("%w: missing \"time\"", ErrMalformed)
	case r.Process == nil:
		return Op{}, fmt.Errorf("%w: missing \"process\"", ErrMalformed)
	case *r.Process < NemesisProcess:
		return Op{}, fmt.Errorf("%w: process %d (want ≥ 0, or -1 for the nemesis)", ErrMalformed, *r.Process)
	case !r.Type.Valid():
		return Op{}, fmt.Errorf("%w: type %q (want invoke, ok, fail or info)", ErrMalformed, r.Type)
	case r.F == "":
		return Op{}, fmt.Errorf("%w: missing \"f\"", ErrMalformed)
	}
	value := r.Value
	if isNull(value) {
		value = nil
	}
	return Op{
		Index: *r.Index, Time: *r.Time, Process: *r.Process, Type: r.Type, F: r.F,
		Key: r.Key, Value: value, Error: r.Error, Node: r.Node,
	}, nil
}
