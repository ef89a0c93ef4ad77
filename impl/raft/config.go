package raft

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"slices"
)

// Config is everything a RawNode needs. Start from DefaultConfig, fill in
// ID, Peers and Storage, and call Validate (NewRawNode does).
type Config struct {
	// ID is this node's id, e.g. "n1". It must be one of Peers.
	ID string
	// Peers lists every voting member, this node included. When empty, the
	// peers of the storage's snapshot are used.
	Peers []string
	// ElectionTick is the number of Tick calls a follower waits without
	// hearing from a leader before it campaigns. The actual timeout is drawn
	// at random from [ElectionTick, 2*ElectionTick) each time, so that
	// split votes resolve (Raft §5.2). Must exceed HeartbeatTick.
	ElectionTick int
	// HeartbeatTick is the number of Tick calls between a leader's heartbeats.
	HeartbeatTick int
	// Storage holds the persisted log, hard state and snapshot.
	Storage Storage
	// Rand draws the randomized election timeouts. When nil, a generator
	// seeded from a hash of ID is used, so a node is deterministic either way;
	// tests hand in one seeded from the test's seed.
	Rand *rand.Rand
	// MaxSizePerMsg bounds the bytes of entry data in one MsgApp (0: no
	// bound). At least one entry is always sent, whatever its size.
	MaxSizePerMsg uint64
	// MaxEntriesPerMsg bounds the number of entries in one MsgApp (0: no bound).
	MaxEntriesPerMsg int
	// MaxInflightMsgs bounds the MsgApps sent to one follower and not yet
	// acknowledged while it is replicating optimistically. Must be > 0.
	MaxInflightMsgs int
	// MaxCommittedSizePerReady bounds the bytes of committed entries handed
	// out in one Ready (0: no bound).
	MaxCommittedSizePerReady uint64
	// PreVote makes a node first ask whether it could win an election before
	// it bumps its term (Raft thesis §9.6), so a node that was partitioned
	// away does not disrupt the cluster when it returns.
	PreVote bool
	// CheckQuorum makes a leader step down when it has not heard from a
	// majority within an election timeout, and makes followers that heard
	// from a leader recently ignore vote requests (a leader lease).
	CheckQuorum bool
	// DisableProposalForwarding makes followers refuse proposals and read
	// requests with ErrNotLeader instead of forwarding them to the leader.
	DisableProposalForwarding bool
	// Applied is the index the application has already applied, when it
	// restarts with a state machine that survived. 0 means the state
	// machine is restored from Storage.Snapshot(): entries after the
	// snapshot's index are handed out again as CommittedEntries.
	Applied uint64
	// Logger receives the core's debug and info events. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config with the timing and batching defaults
// filled in; ID, Peers and Storage are left to the caller.
func DefaultConfig() Config {
	return Config{
		ElectionTick:     10,
		HeartbeatTick:    1,
		MaxSizePerMsg:    1 << 20,
		MaxEntriesPerMsg: 512,
		MaxInflightMsgs:  256,
		PreVote:          true,
		CheckQuorum:      true,
	}
}

// Validate reports the first problem with c, wrapping ErrInvalidConfig.
func (c *Config) Validate() error {
	switch {
	case c.ID == None:
		return fmt.Errorf("%w: ID must not be empty", ErrInvalidConfig)
	case c.HeartbeatTick <= 0:
		return fmt.Errorf("%w: HeartbeatTick must be > 0, got %d", ErrInvalidConfig, c.HeartbeatTick)
	case c.ElectionTick <= c.HeartbeatTick:
		return fmt.Errorf("%w: ElectionTick (%d) must be greater than HeartbeatTick (%d)",
			ErrInvalidConfig, c.ElectionTick, c.HeartbeatTick)
	case c.Storage == nil:
		return fmt.Errorf("%w: Storage must not be nil (use NewMemoryStorage)", ErrInvalidConfig)
	case c.MaxInflightMsgs <= 0:
		return fmt.Errorf("%w: MaxInflightMsgs must be > 0, got %d", ErrInvalidConfig, c.MaxInflightMsgs)
	case c.MaxEntriesPerMsg < 0:
		return fmt.Errorf("%w: MaxEntriesPerMsg must be >= 0, got %d", ErrInvalidConfig, c.MaxEntriesPerMsg)
	}
	seen := make(map[string]bool, len(c.Peers))
	for _, p := range c.Peers {
		if p == None {
			return fmt.Errorf("%w: Peers contains an empty id", ErrInvalidConfig)
		}
		if seen[p] {
			return fmt.Errorf("%w: Peers lists %q twice", ErrInvalidConfig, p)
		}
		seen[p] = true
	}
	if len(c.Peers) > 0 && !slices.Contains(c.Peers, c.ID) {
		return fmt.Errorf("%w: ID %q is not in Peers %v", ErrInvalidConfig, c.ID, c.Peers)
	}
	return nil
}

// randFor returns c.Rand, or a generator seeded from the node id.
func (c *Config) randFor() *rand.Rand {
	if c.Rand != nil {
		return c.Rand
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(c.ID))
	seed := h.Sum64()
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
