package raftkv

import (
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Config is everything a Node needs. Start from DefaultConfig and fill in
// ID, the listen addresses, Peers and DataDir.
type Config struct {
	// ID names this node, e.g. "n1".
	ID string
	// RaftAddr is the address the node listens on for its peers' Raft
	// traffic, e.g. "127.0.0.1:7001" ("127.0.0.1:0" picks a free port).
	RaftAddr string
	// ClientAddr is the address of the client API, /status and /metrics.
	ClientAddr string
	// Peers maps every other member's id to the address this node dials to
	// reach it. It may be a proxy in front of the peer, one per directed
	// link, so that links can be faulted independently.
	Peers map[string]string
	// DataDir holds the write-ahead log and the snapshot.
	DataDir string
	// RaftListener and ClientListener, when set, are used instead of
	// listening on RaftAddr and ClientAddr: an in-process cluster can bind
	// every node's ports on 127.0.0.1:0 first and then tell each node its
	// peers' addresses. The node closes them when it stops.
	RaftListener   net.Listener
	ClientListener net.Listener

	// TickInterval is the duration of one Raft tick.
	TickInterval time.Duration
	// ElectionTicks is the election timeout in ticks (randomized up to
	// twice that); HeartbeatTicks the leader's heartbeat interval.
	ElectionTicks  int
	HeartbeatTicks int
	// SnapshotEntries is how many applied entries trigger a snapshot and
	// a compaction of the log; SnapshotKeep how many entries before the
	// snapshot stay in the log for followers slightly behind.
	SnapshotEntries uint64
	SnapshotKeep    uint64
	// MaxInflight bounds unacknowledged appends per follower.
	MaxInflight int
	// RequestTimeout bounds a client request on the node when the caller
	// set no earlier deadline.
	RequestTimeout time.Duration

	// Bugs are deliberate defects from the catalog (see Bug); none by
	// default. Only a test of a test harness wants any.
	Bugs []Bug

	// Transport tuning.
	DialTimeout time.Duration
	IOTimeout   time.Duration
	IdleTimeout time.Duration
	SendQueue   int
	MinBackoff  time.Duration
	MaxBackoff  time.Duration

	// Logger receives the node's events; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config with timing suited to loopback: 10 ms
// ticks, elections after 150–300 ms, heartbeats every 20 ms.
func DefaultConfig() Config {
	return Config{
		RaftAddr:        "127.0.0.1:0",
		ClientAddr:      "127.0.0.1:0",
		TickInterval:    10 * time.Millisecond,
		ElectionTicks:   15,
		HeartbeatTicks:  2,
		SnapshotEntries: 10000,
		SnapshotKeep:    2000,
		MaxInflight:     256,
		RequestTimeout:  5 * time.Second,
		DialTimeout:     time.Second,
		IOTimeout:       2 * time.Second,
		IdleTimeout:     30 * time.Second,
		SendQueue:       4096,
		MinBackoff:      20 * time.Millisecond,
		MaxBackoff:      time.Second,
	}
}

// Validate reports the first problem with c, wrapping ErrInvalidConfig.
func (c *Config) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.ID == "":
		return fail("ID must not be empty (e.g. \"n1\")")
	case c.RaftAddr == "" && c.RaftListener == nil:
		return fail("RaftAddr must not be empty (e.g. 127.0.0.1:7001)")
	case c.ClientAddr == "" && c.ClientListener == nil:
		return fail("ClientAddr must not be empty (e.g. 127.0.0.1:8001)")
	case c.DataDir == "":
		return fail("DataDir must not be empty (e.g. /var/lib/faultline/n1)")
	case c.TickInterval <= 0:
		return fail("TickInterval must be > 0, got %v", c.TickInterval)
	case c.HeartbeatTicks <= 0:
		return fail("HeartbeatTicks must be > 0, got %d", c.HeartbeatTicks)
	case c.ElectionTicks <= c.HeartbeatTicks:
		return fail("ElectionTicks (%d) must be greater than HeartbeatTicks (%d)", c.ElectionTicks, c.HeartbeatTicks)
	case c.SnapshotEntries == 0:
		return fail("SnapshotEntries must be > 0")
	case c.MaxInflight <= 0:
		return fail("MaxInflight must be > 0, got %d", c.MaxInflight)
	case c.RequestTimeout <= 0 || c.DialTimeout <= 0 || c.IOTimeout <= 0 || c.IdleTimeout <= 0:
		return fail("RequestTimeout, DialTimeout, IOTimeout and IdleTimeout must be > 0")
	case c.SendQueue <= 0:
		return fail("SendQueue must be > 0, got %d", c.SendQueue)
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return fail("need 0 < MinBackoff <= MaxBackoff, got %v and %v", c.MinBackoff, c.MaxBackoff)
	}
	for _, b := range c.Bugs {
		if _, err := ParseBug(string(b)); err != nil {
			return err
		}
	}
	for id, addr := range c.Peers {
		switch {
		case id == "" || addr == "":
			return fail("peer %q=%q: both id and address are required (e.g. n2 at 127.0.0.1:7002)", id, addr)
		case id == c.ID:
			return fail("Peers must not list the node itself (%q)", id)
		}
	}
	return nil
}
