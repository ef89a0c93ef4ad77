package raftkv

import (
	"fmt"
	"slices"
	"strings"
)

// Bug is a deliberate defect that a node can be started with, so that a
// test harness can prove it catches it. None is on unless asked for, and a
// node with a bug says so in its log and its /status.
type Bug string

// The catalog of bugs the KV store can be switched into.
const (
	// BugStaleRead: every node, follower or leader, answers reads from its
	// own applied state at once, with no ReadIndex and no leader check. A
	// follower behind the leader (cut off, paused, slow) serves old values.
	BugStaleRead Bug = "stale-read"
	// BugLeaderRead: the leader answers reads from its own applied state
	// without confirming with a quorum (no ReadIndex), so a deposed leader
	// that has not heard of its successor serves old values. Followers
	// still redirect reads to the leader.
	BugLeaderRead Bug = "leader-read"
	// BugEarlyAck: the leader acknowledges a write as soon as it has
	// appended it to its own log, before a quorum has it (and so before it
	// is committed): a read right after may miss it, and a leader cut off
	// with it loses it for good.
	BugEarlyAck Bug = "early-ack"
	// BugNoFsync: the write-ahead log is never fsynced, yet the node
	// acknowledges entries and votes as if it were: what it acknowledged
	// is lost when the machine loses power (the powerloss fault).
	BugNoFsync Bug = "no-fsync"
)

// Bugs is every bug of the catalog, each with what it breaks.
var Bugs = []struct {
	Bug  Bug
	Does string
}{
	{BugStaleRead, "any node answers reads from its local state (no ReadIndex, no leader check)"},
	{BugLeaderRead, "the leader answers reads from its local state without ReadIndex"},
	{BugEarlyAck, "a write is acknowledged once the leader has appended it, before a quorum has it"},
	{BugNoFsync, "the write-ahead log is never fsynced, yet entries and votes are acknowledged (caught with the powerloss fault)"},
}

// ParseBug returns the bug named s, or an error listing the known ones.
func ParseBug(s string) (Bug, error) {
	for _, b := range Bugs {
		if string(b.Bug) == s {
			return b.Bug, nil
		}
	}
	names := make([]string, len(Bugs))
	for i, b := range Bugs {
		names[i] = string(b.Bug)
	}
	return "", fmt.Errorf("%w: unknown bug %q: the Raft KV's bugs are %s", ErrInvalidConfig, s, strings.Join(names, ", "))
}

// hasBug reports whether the node was started with bug b.
func (c *Config) hasBug(b Bug) bool { return slices.Contains(c.Bugs, b) }
