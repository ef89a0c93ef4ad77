package nemesis

import (
	"context"
	"testing"
	"time"

	"github.com/faultline/faultline/history"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultConfigIsValid(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"unknown fault", func(c *Config) { c.Faults = []string{"partition", "earthquake"} }, `unknown fault "earthquake"; valid faults: bandwidth,`},
		{"negative interval", func(c *Config) { c.Interval = -time.Second }, "interval -1s must be positive"},
		{"zero interval", func(c *Config) { c.Interval = 0 }, "interval 0s must be positive"},
		{"jitter above latency", func(c *Config) { c.LatencyMin, c.Jitter = 10*time.Millisecond, 20*time.Millisecond }, "jitter 20ms must be between 0 and the minimum latency 10ms"},
		{"latency min above max", func(c *Config) { c.LatencyMin, c.LatencyMax = time.Second, time.Millisecond }, "latency bounds [1s, 1ms]"},
		{"zero bandwidth", func(c *Config) { c.BandwidthMin = 0 }, "bandwidth (KB/s) bounds [0, 64]"},
		{"unknown topology", func(c *Config) { c.Topologies = []string{"star"} }, `unknown topology "star"`},
		{"no topology", func(c *Config) { c.Topologies = nil }, "no topology to choose from"},
		{"unknown target", func(c *Config) { c.Targets = []string{"some"} }, `unknown target "some"`},
		{"unknown direction", func(c *Config) { c.Directions = []string{"sideways"} }, `unknown direction "sideways"`},
		{"toxic links", func(c *Config) { c.ToxicLinks = "peers" }, `toxic links "peers"`},
		{"flaps", func(c *Config) { c.Flaps = 0 }, "flaps 0"},
		{"limit data", func(c *Config) { c.LimitDataMin, c.LimitDataMax = 10, 5 }, "limit-data bytes bounds [10, 5]"},
		{"slice size", func(c *Config) { c.SliceMin = 0 }, "slice size bounds [0, 64]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			require.ErrorIs(t, err, history.ErrBadConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseFaults(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"none", nil, ""},
		{"", nil, ""},
		{"kill,pause,partition,latency", []string{"kill", "pause", "partition", "latency"}, ""},
		{" latency , latency ", []string{"latency"}, ""},
		{"all", []string{MixAll}, ""},
		{"partition,flood", nil, `unknown fault "flood"; valid faults: bandwidth, kill, latency, limit-data, partition, pause, powerloss, reset-peer, slicer, slow-close, timeout, or all, or none`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFaults(tt.in)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, history.ErrBadConfig)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// staticLeader is a LeaderFinder that names one node.
type staticLeader string

func (l staticLeader) Leader(context.Context) (string, error) { return string(l), nil }

func TestNewRejectsWhatTheSystemCannotOffer(t *testing.T) {
	nodes := []string{"n1", "n2", "n3"}
	net := &Net{}
	tests := []struct {
		name   string
		faults []string
		deps   Deps
		want   string
	}{
		{"pause without processes", []string{FaultPause}, Deps{Net: net, Nodes: nodes}, `fault "pause" needs a system whose nodes are processes`},
		{"latency without links", []string{FaultLatency}, Deps{Nodes: nodes}, `fault "latency" needs Toxiproxy links`},
		{"partition of one node", []string{FaultPartition}, Deps{Net: net, Nodes: []string{"n1"}}, `needs at least 2 nodes`},
		{"no nodes", []string{FaultLatency}, Deps{Net: net}, "none were given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Faults = tt.faults
			_, err := New(cfg, tt.deps)
			require.ErrorIs(t, err, history.ErrBadConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNewExpandsAllToWhatTheSystemOffers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Faults = []string{MixAll}
	n, err := New(cfg, Deps{Net: &Net{}, Nodes: []string{"n1", "n2", "n3"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"bandwidth", "latency", "limit-data", "partition", "reset-peer", "slicer", "slow-close", "timeout"}, n.Faults())
	assert.NotContains(t, n.topologies, TopologyIsolateLeader, "no leader finder")

	n, err = New(cfg, Deps{Net: &Net{}, Processes: &childProcesses{}, Nodes: []string{"n1", "n2", "n3"}, Leader: staticLeader("n1")})
	require.NoError(t, err)
	assert.Equal(t, FaultNames(), n.Faults())
	assert.Contains(t, n.topologies, TopologyIsolateLeader)
}
