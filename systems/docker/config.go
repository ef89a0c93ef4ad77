package docker

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Config describes the cluster to start. Start from DefaultConfig.
type Config struct {
	// Image is an image built from the repository's Dockerfile: its
	// entrypoint is the faultline binary.
	Image string
	// Nodes is the number of nodes, named n1 … nN.
	Nodes int
	// RaftPort and ClientPort are the ports each node listens on inside its
	// container, for its peers and for clients. Only ClientPort is
	// published on the host.
	RaftPort   int
	ClientPort int
	// HostIP is the host address the client ports are published on.
	HostIP string
	// StartTimeout bounds the wait for one container to answer /status,
	// and then the wait for the cluster's first leader.
	StartTimeout time.Duration
	// RequestTimeout bounds one /status request.
	RequestTimeout time.Duration
	// Logger receives the cluster's and testcontainers' events; nil
	// discards them.
	Logger *slog.Logger
}

// DefaultConfig is a three-node cluster of faultline:local, published on
// loopback.
func DefaultConfig() Config {
	return Config{
		Image:          "faultline:local",
		Nodes:          3,
		RaftPort:       7000,
		ClientPort:     8000,
		HostIP:         "127.0.0.1",
		StartTimeout:   30 * time.Second,
		RequestTimeout: time.Second,
	}
}

// Validate reports the first problem with c, wrapping ErrInvalidConfig.
func (c *Config) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Image == "":
		return fail("Image must name an image built from the Dockerfile (scripts/docker-build.sh builds faultline:local)")
	case c.Nodes < 1:
		return fail("Nodes must be at least 1, got %d", c.Nodes)
	case c.RaftPort < 1 || c.RaftPort > 65535 || c.ClientPort < 1 || c.ClientPort > 65535:
		return fail("RaftPort and ClientPort must be ports (1-65535), got %d and %d", c.RaftPort, c.ClientPort)
	case c.RaftPort == c.ClientPort:
		return fail("RaftPort and ClientPort must differ, both are %d", c.RaftPort)
	case c.StartTimeout <= 0 || c.RequestTimeout <= 0:
		return fail("StartTimeout and RequestTimeout must be > 0, got %v and %v", c.StartTimeout, c.RequestTimeout)
	}
	if _, err := netip.ParseAddr(c.HostIP); err != nil {
		return fail("HostIP must be an IP address such as 127.0.0.1: %v", err)
	}
	return nil
}
