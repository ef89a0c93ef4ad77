package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzRead feeds the reader arbitrary bytes. It must never panic; what it
// accepts must obey the format (indexes 0, 1, 2 …, known types, an f, a
// process ≥ -1); a torn tail is only reported for input that does not end
// in a newline; and what it accepts must survive a write and a re-read.
func FuzzRead(f *testing.F) {
	f.Add([]byte(line0 + "\n" + line1 + "\n" + line2 + "\n"))
	f.Add([]byte(line0 + "\n" + line1[:30]))
	f.Add([]byte(line0 + "\n\n" + line1))
	f.Add([]byte(line0 + "\r\n" + line2 + "\n"))
	f.Add([]byte(`{"index":0,"time":1,"process":3,"type":"fail","f":"cas","key":"k","value":[1,2],"error":"mismatch","node":"n1"}` + "\n"))
	f.Add([]byte(`{"index":0,"time":1,"process":0,"type":"ok","f":"read","value":{"a":[1,null,"x"]}}`))
	f.Add([]byte("{}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error %q does not name its line", err)
			}
			return
		}
		if h.TornTail && bytes.HasSuffix(data, []byte("\n")) {
			t.Fatalf("torn tail reported for input ending in a newline")
		}
		for i, op := range h.Ops {
			if op.Index != int64(i) || !op.Type.Valid() || op.F == "" || op.Process < NemesisProcess {
				t.Fatalf("accepted op %d breaks the format: %+v", i, op)
			}
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, op := range h.Ops {
			if _, err := w.Write(op); err != nil {
				t.Fatalf("re-writing accepted op: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := Read(&buf)
		if err != nil {
			t.Fatalf("re-reading what was written: %v", err)
		}
		if len(again.Ops) != len(h.Ops) || again.TornTail {
			t.Fatalf("round trip: %d ops (torn %v), want %d", len(again.Ops), again.TornTail, len(h.Ops))
		}
		for i := range h.Ops {
			a, b := h.Ops[i], again.Ops[i]
			if !sameJSON(a.Value, b.Value) {
				t.Fatalf("op %d value %s became %s", i, a.Value, b.Value)
			}
			a.Value, b.Value = nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("op %d: %+v became %+v", i, h.Ops[i], again.Ops[i])
			}
		}
	})
}

func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// FuzzParseFast checks the hand-written fast path against encoding/json:
// on every line the fast path accepts, both give the same Op or the same
// error.
func FuzzParseFast(f *testing.F) {
	for _, s := range []string{
		line0, line1, line2,
		`{"index":0,"time":-1,"process":-1,"type":"info","f":"pause","value":{"id":2,"nodes":["n1","n2"],"x":[1.5e3,-0,true,false,null,{}]},"error":"e","node":"n"}`,
		`{ "index" : 0 , "time" : 1 , "process" : 0 , "type" : "ok" , "f" : "read" , "value" : [ ] }`,
		`{"index":0,"time":1,"process":0,"type":"ok","f":"read","value":01}`,
		`{"index":0,"time":1,"process":0,"type":"ok","f":"read","Index":1}`,
		`{"index":0,"index":1,"time":1,"process":0,"type":"ok","f":"read"}`,
		`{"index":0,"time":1e3,"process":0,"type":"ok","f":"read"}`,
		`{"index":0,"time":1,"process":0,"type":"ok","f":"read","value":"a\"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var r rawOp
		if !newLineParser().parseFast(line, &r) {
			return
		}
		fast, ferr := r.op(0)
		slow, serr := parseSlow(line, 0)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("%q: fast path error %v, encoding/json error %v", line, ferr, serr)
		}
		if ferr != nil {
			if ferr.Error() != serr.Error() {
				t.Fatalf("%q: fast path says %q, encoding/json %q", line, ferr, serr)
			}
			return
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast path read %+v, encoding/json %+v", line, fast, slow)
		}
	})
}
