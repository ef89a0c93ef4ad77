package history

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nemesisOps builds a history of fault events at times 10, 20, 30, … with
// a client op mixed in to show it is ignored.
func nemesisOps(events ...[2]string) []Op {
	var ops []Op
	for i, e := range events {
		ops = append(ops, Op{Index: int64(len(ops)), Time: int64(i+1) * 10, Process: NemesisProcess, Type: Info, F: e[0], Value: []byte(e[1])})
		if i == 0 {
			ops = append(ops, Op{Index: int64(len(ops)), Time: 11, Process: 0, Type: Invoke, F: "heal"})
		}
	}
	return ops
}

type span struct {
	fault      string
	start, end int64
}

func spans(ws []Window) []span {
	out := []span{}
	for _, w := range ws {
		out = append(out, span{w.Fault, w.Start, w.End})
	}
	return out
}

func TestFaultWindows(t *testing.T) {
	tests := []struct {
		name   string
		events [][2]string
		want   []span
	}{
		{"none", nil, []span{}},
		{"paired by id", [][2]string{
			{"partition", `{"id":1,"groups":[["n1"],["n2","n3"]]}`}, {"heal", `{"id":1}`},
		}, []span{{"partition", 10, 20}}},
		{"overlapping by id", [][2]string{
			{"partition", `{"id":1}`}, {"pause", `{"id":2}`}, {"heal", `{"id":1}`}, {"resume", `{"id":2}`},
		}, []span{{"partition", 10, 30}, {"pause", 20, 40}}},
		{"end order differs from start order", [][2]string{
			{"latency", `{"id":7}`}, {"latency", `{"id":8}`}, {"heal", `{"id":8}`}, {"heal", `{"id":7}`},
		}, []span{{"latency", 10, 40}, {"latency", 20, 30}}},
		{"never ended", [][2]string{
			{"kill", `{"id":1}`},
		}, []span{{"kill", 10, -1}}},
		{"end of an unknown id is ignored", [][2]string{
			{"partition", `{"id":1}`}, {"heal", `{"id":5}`},
		}, []span{{"partition", 10, -1}}},
		{"no ids: heal ends every partition and toxic", [][2]string{
			{"partition", `{"groups":[]}`}, {"latency", `null`}, {"kill", `null`}, {"heal", `null`},
		}, []span{{"partition", 10, 40}, {"latency", 20, 40}, {"kill", 30, -1}}},
		{"no ids: start ends the oldest kill", [][2]string{
			{"kill", `null`}, {"kill", `null`}, {"start", `null`}, {"start", `null`},
		}, []span{{"kill", 10, 30}, {"kill", 20, 40}}},
		{"no ids: resume ends a pause, not a kill", [][2]string{
			{"kill", `null`}, {"pause", `null`}, {"resume", `null`},
		}, []span{{"kill", 10, -1}, {"pause", 20, 30}}},
		{"a value that is not an object has no id", [][2]string{
			{"partition", `[1,2]`}, {"heal", `"all"`},
		}, []span{{"partition", 10, 20}}},
		{"ids and no ids mixed", [][2]string{
			{"partition", `{"id":3}`}, {"latency", `null`}, {"heal", `null`}, {"heal", `{"id":3}`},
		}, []span{{"partition", 10, 40}, {"latency", 20, 30}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, spans(FaultWindows(nemesisOps(tt.events...))))
		})
	}
}

func TestFaultWindowFields(t *testing.T) {
	ws := FaultWindows(nemesisOps([2]string{"partition", `{"id":4,"groups":[["n1"]]}`}, [2]string{"heal", `{"id":4}`}, [2]string{"pause", `null`}))
	require.Len(t, ws, 2)
	assert.Equal(t, Window{ID: 4, Fault: "partition", StartIndex: 0, EndIndex: 2, Start: 10, End: 20, Value: []byte(`{"id":4,"groups":[["n1"]]}`)}, ws[0])
	assert.False(t, ws[0].Open())
	assert.True(t, ws[1].Open())
	assert.Negative(t, ws[1].ID, "a window without an id gets a negative one")

	assert.True(t, ws[0].Contains(10))
	assert.True(t, ws[0].Contains(20), "the end is inside")
	assert.False(t, ws[0].Contains(9))
	assert.False(t, ws[0].Contains(21))
	assert.True(t, ws[1].Contains(1<<60), "an open window lasts to the end")
}

func TestIsFaultEnd(t *testing.T) {
	for f, want := range map[string]bool{"heal": true, "start": true, "resume": true, "partition": false, "kill": false, "pause": false} {
		assert.Equal(t, want, IsFaultEnd(f), f)
	}
}
