package raftkv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validConfig() Config {
	cfg := DefaultConfig()
	cfg.ID, cfg.DataDir = "n1", "/data/n1"
	cfg.Peers = map[string]string{"n2": "127.0.0.1:7002"}
	return cfg
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid
	}{
		{"defaults with id and data dir", func(*Config) {}, ""},
		{"no id", func(c *Config) { c.ID = "" }, "ID"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "DataDir"},
		{"no raft address", func(c *Config) { c.RaftAddr = "" }, "RaftAddr"},
		{"election not above heartbeat", func(c *Config) { c.ElectionTicks = c.HeartbeatTicks }, "ElectionTicks"},
		{"zero tick", func(c *Config) { c.TickInterval = 0 }, "TickInterval"},
		{"peer is self", func(c *Config) { c.Peers["n1"] = "127.0.0.1:7001" }, "itself"},
		{"peer without address", func(c *Config) { c.Peers["n3"] = "" }, "n3"},
		{"backoff inverted", func(c *Config) { c.MaxBackoff = time.Millisecond }, "MinBackoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestClientConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ClientConfig)
		ok     bool
	}{
		{"one node", func(*ClientConfig) {}, true},
		{"no nodes", func(c *ClientConfig) { c.Nodes = nil }, false},
		{"empty address", func(c *ClientConfig) { c.Nodes["n2"] = "" }, false},
		{"zero timeout", func(c *ClientConfig) { c.Timeout = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultClientConfig()
			cfg.Nodes = map[string]string{"n1": "127.0.0.1:8001"}
			tt.change(&cfg)
			if tt.ok {
				require.NoError(t, cfg.Validate())
			} else {
				require.ErrorIs(t, cfg.Validate(), ErrInvalidConfig)
			}
		})
	}
}

func TestKVStateSessions(t *testing.T) {
	s := newKVState()
	w := func(seq, ack uint64, v int64) command {
		return command{Request: Request{Op: OpWrite, Key: "k", Value: v, Client: 7, Seq: seq, Ack: ack}}
	}
	tests := []struct {
		name string
		cmd  command
		want applyCode
		val  int64
	}{
		{"first write applies", w(1, 1, 10), applyOK, 10},
		{"second write applies", w(2, 1, 20), applyOK, 20},
		{"retry of seq 1 is not applied again", w(1, 1, 10), applyOK, 20},
		{"ack 3 drops results below 3", w(3, 3, 30), applyOK, 30},
		{"retry below the ack expires", w(2, 3, 20), applyExpired, 30},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, s.apply(uint64(i+1), tt.cmd))
			v, _ := s.read("k")
			assert.Equal(t, tt.val, v)
		})
	}
	data, err := s.snapshot()
	require.NoError(t, err)
	restored, err := restoreKVState(data)
	require.NoError(t, err)
	assert.Equal(t, s, restored, "a snapshot keeps data and sessions")
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(encodeSnapshot(*sampleMessages[3].Snapshot))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeSnapshot(data)
	})
}
