package history

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	line0 = `{"index":0,"time":10,"process":0,"type":"invoke","f":"write","key":"k","value":1}`
	line1 = `{"index":1,"time":20,"process":0,"type":"ok","f":"write","key":"k","value":1}`
	line2 = `{"index":2,"time":30,"process":-1,"type":"info","f":"partition","value":{"id":1}}`
)

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ops     int
		torn    bool
		wantErr string // substring; empty means success
	}{
		{name: "empty", in: "", ops: 0},
		{name: "three lines", in: line0 + "\n" + line1 + "\n" + line2 + "\n", ops: 3},
		{name: "last line complete without newline", in: line0 + "\n" + line1, ops: 2},
		{name: "blank lines skipped", in: line0 + "\n\n  \n" + line1 + "\n", ops: 2},
		{name: "windows line endings", in: line0 + "\r\n" + line1 + "\r\n", ops: 2},
		{name: "torn tail dropped", in: line0 + "\n" + line1 + "\n" + line2[:25], ops: 2, torn: true},
		{name: "torn tail after one byte", in: line0 + "\n{", ops: 1, torn: true},
		{name: "malformed middle line", in: line0 + "\n" + line1[:25] + "\n" + line2 + "\n", wantErr: "line 2: malformed history: not a JSON object"},
		{name: "malformed last line with newline", in: line0 + "\n" + line1[:25] + "\n", wantErr: "line 2: malformed history"},
		{name: "malformed first line", in: "hello\n" + line0 + "\n", wantErr: "line 1: malformed history"},
		{name: "index out of order", in: line0 + "\n" + line2 + "\n", wantErr: "line 2: malformed history: index is 2, want 1"},
		{name: "index must start at 0", in: line1 + "\n", wantErr: "line 1: malformed history: index is 1, want 0"},
		{name: "line number counts blank lines", in: line0 + "\n\n" + line2 + "\n", wantErr: "line 3: "},
		{name: "missing index", in: `{"time":1,"process":0,"type":"invoke","f":"read"}` + "\n", wantErr: `missing "index"`},
		{name: "missing time", in: `{"index":0,"process":0,"type":"invoke","f":"read"}` + "\n", wantErr: `missing "time"`},
		{name: "missing process", in: `{"index":0,"time":1,"type":"invoke","f":"read"}` + "\n", wantErr: `missing "process"`},
		{name: "bad process", in: `{"index":0,"time":1,"process":-2,"type":"invoke","f":"read"}` + "\n", wantErr: "process -2"},
		{name: "bad type", in: `{"index":0,"time":1,"process":0,"type":"done","f":"read"}` + "\n", wantErr: `type "done"`},
		{name: "missing f", in: `{"index":0,"time":1,"process":0,"type":"invoke"}` + "\n", wantErr: `missing "f"`},
		{name: "trailing data", in: line0 + " {}\n", wantErr: "trailing data"},
		{name: "not an object", in: "[1,2]\n", wantErr: "not a JSON object"},
		{name: "string time", in: `{"index":0,"time":"1","process":0,"type":"invoke","f":"read"}` + "\n", wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Read(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrMalformed)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Len(t, h.Ops, tt.ops)
			assert.Equal(t, tt.torn, h.TornTail)
			for i, op := range h.Ops {
				assert.Equal(t, int64(i), op.Index)
			}
		})
	}
}

func TestReadFields(t *testing.T) {
	in := line0 + "\n" + `{"index":1,"time":25,"process":3,"type":"fail","f":"cas","key":"k","value":[1,2],"error":"mismatch","node":"n2"}` + "\n" +
		`{"index":2,"time":26,"process":4,"type":"ok","f":"read","key":"k","value":null}` + "\n"
	h, err := Read(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, h.Ops, 3)
	assert.Equal(t, Op{Index: 0, Time: 10, Process: 0, Type: Invoke, F: "write", Key: "k", Value: []byte("1")}, h.Ops[0])
	assert.Equal(t, Op{Index: 1, Time: 25, Process: 3, Type: Fail, F: "cas", Key: "k", Value: []byte("[1,2]"), Error: ErrorMismatch, Node: "n2"}, h.Ops[1])
	assert.Nil(t, h.Ops[2].Value, "null is read as a nil Value")
	v, ok, err := h.Ops[0].Int()
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(1), v)
	_, ok, err = h.Ops[2].Int()
	require.NoError(t, err)
	assert.False(t, ok)
	_, _, err = h.Ops[1].Int()
	assert.Error(t, err)
}

func TestReadLineTooLong(t *testing.T) {
	long := `{"index":0,"time":1,"process":0,"type":"invoke","f":"read","key":"` + strings.Repeat("k", maxLine) + `"}` + "\n"
	_, err := Read(strings.NewReader(long))
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "line 1: ")
	assert.Contains(t, err.Error(), "longer than")
}

// errReader fails after its data, like a disk that errors mid-file.
type errReader struct{ data *strings.Reader }

var errDisk = errors.New("disk on fire")

func (r errReader) Read(p []byte) (int, error) {
	if r.data.Len() == 0 {
		return 0, errDisk
	}
	return r.data.Read(p)
}

func TestReadPassesOnIOErrors(t *testing.T) {
	_, err := Read(errReader{strings.NewReader(line0 + "\n")})
	require.ErrorIs(t, err, errDisk)
	assert.Contains(t, err.Error(), "line 2: ")
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(line0+"\n"+line1+"\nnot json\n"), 0o644))
	_, err := ReadFile(path)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), path+": line 3: ")

	_, err = ReadFile(filepath.Join(dir, "missing.jsonl"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "opening history")
}

func TestWriterReaderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	want := []Op{
		{Time: 5, Process: 0, Type: Invoke, F: "cas", Key: "a", Value: MustValue([]int{1, 2})},
		{Time: 6, Process: NemesisProcess, Type: Info, F: "pause", Value: MustValue(map[string]any{"id": 1, "nodes": []string{"n1"}})},
		{Time: 7, Process: 0, Type: Info, F: "cas", Key: "a", Value: MustValue([]int{1, 2}), Error: "timeout", Node: "n1"},
		{Time: 8, Process: 1, Type: Invoke, F: "read", Key: "a"},
		{Time: 9, Process: 1, Type: Ok, F: "read", Key: "a", Value: MustValue(nil)},
	}
	for _, op := range want {
		_, err := w.Write(op)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	h, err := Read(&buf)
	require.NoError(t, err)
	require.Len(t, h.Ops, len(want))
	for i := range want {
		want[i].Index = int64(i)
	}
	assert.Equal(t, want, h.Ops)
}
