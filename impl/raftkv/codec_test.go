package raftkv

import (
	"encoding/json"
	"testing"

	"github.com/faultline/faultline/impl/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sampleMessages = []raft.Message{
	{Type: raft.MsgHeartbeat, From: "n1", To: "n2", Term: 3, Commit: 7, Context: []byte{0, 1}},
	{Type: raft.MsgApp, From: "n1", To: "n3", Term: 3, LogTerm: 2, Index: 6, Commit: 5,
		Entries: []raft.Entry{{Term: 3, Index: 7, Data: []byte("cmd")}, {Term: 3, Index: 8, Type: raft.EntryNoop}}},
	{Type: raft.MsgAppResp, From: "n2", To: "n1", Term: 3, Index: 4, Reject: true, RejectHint: 4, ConflictTerm: 2},
	{Type: raft.MsgSnap, From: "n1", To: "n2", Term: 4,
		Snapshot: &raft.Snapshot{Meta: raft.SnapshotMeta{Index: 100, Term: 4, Peers: []string{"n1", "n2", "n3"}}, Data: []byte("{}")}},
}

func TestMessageCodecRoundTrip(t *testing.T) {
	for _, m := range sampleMessages {
		t.Run(m.Type.String(), func(t *testing.T) {
			got, err := decodeMessage(appendMessage(nil, m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		})
	}
}

func TestMessageCodecRejectsTruncated(t *testing.T) {
	buf := appendMessage(nil, sampleMessages[1])
	for i := range len(buf) {
		_, err := decodeMessage(buf[:i])
		require.Error(t, err, "prefix of %d bytes", i)
	}
}

func TestCommandCodecRoundTrip(t *testing.T) {
	tests := []command{
		{Request: Request{Op: OpWrite, Key: "k", Value: -5, Client: 9, Seq: 3, Ack: 2}, Tag: 77},
		{Request: Request{Op: OpCAS, Key: "some key", Value: 1 << 40, Expect: -1}, Tag: 1},
	}
	for _, c := range tests {
		t.Run(string(c.Op), func(t *testing.T) {
			got, err := decodeCommand(encodeCommand(c))
			require.NoError(t, err)
			assert.Equal(t, c, got)
		})
	}
	_, err := decodeCommand(nil)
	assert.Error(t, err)
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages {
		f.Add(appendMessage(nil, m))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			return
		}
		again, err := decodeMessage(appendMessage(nil, m))
		if err != nil {
			t.Fatalf("re-decoding %+v: %v", m, err)
		}
		assert.Equal(t, m, again)
	})
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(encodeCommand(command{Request: Request{Op: OpWrite, Key: "k", Value: 1}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeCommand(data)
	})
}

func BenchmarkMessageCodec(b *testing.B) {
	m := sampleMessages[1]
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendMessage(buf[:0], m)
		if _, err := decodeMessage(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "bytes/msg")
}

// BenchmarkMessageCodecJSON is the alternative the hand-written codec was
// measured against.
func BenchmarkMessageCodecJSON(b *testing.B) {
	m := sampleMessages[1]
	var size int
	b.ReportAllocs()
	for b.Loop() {
		buf, err := json.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		var got raft.Message
		if err := json.Unmarshal(buf, &got); err != nil {
			b.Fatal(err)
		}
		size = len(buf)
	}
	b.ReportMetric(float64(size), "bytes/msg")
}
