package raftkv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

func TestDockerConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*DockerConfig)
		ok     bool
	}{
		{"default", func(*DockerConfig) {}, true},
		{"no image", func(c *DockerConfig) { c.Image = "" }, false},
		{"no nodes", func(c *DockerConfig) { c.Nodes = 0 }, false},
		{"bad raft port", func(c *DockerConfig) { c.RaftPort = 70000 }, false},
		{"bad client port", func(c *DockerConfig) { c.ClientPort = 0 }, false},
		{"same ports", func(c *DockerConfig) { c.ClientPort = c.RaftPort }, false},
		{"no start timeout", func(c *DockerConfig) { c.StartTimeout = 0 }, false},
		{"negative request timeout", func(c *DockerConfig) { c.RequestTimeout = -time.Second }, false},
		{"host name instead of ip", func(c *DockerConfig) { c.HostIP = "localhost" }, false},
		{"ipv6 loopback", func(c *DockerConfig) { c.HostIP = "::1" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultDockerConfig()
			tt.modify(&cfg)
			err := cfg.Validate()
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, history.ErrBadConfig)
		})
	}
}

func TestNodeArgsNamePeersOnTheNetwork(t *testing.T) {
	c := &DockerCluster{cfg: DefaultDockerConfig()}
	for _, id := range []string{"n1", "n2", "n3"} {
		c.nodes = append(c.nodes, &dockerNode{id: id})
	}
	got := c.nodeArgs("n2")
	require.Equal(t, []string{"node",
		"--id", "n2",
		"--listen", "0.0.0.0:7000",
		"--client-listen", "0.0.0.0:8000",
		"--data", "/data/n2",
		"--peer", "n1=n1:7000",
		"--peer", "n3=n3:7000",
	}, got)
}
