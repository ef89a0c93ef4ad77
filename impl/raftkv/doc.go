// Package raftkv is the replicated key-value service built around the Raft
// core of impl/raft: durable storage, a TCP transport, the state machine,
// a node that runs them, and a client library. It is a reference
// implementation that Faultline tests under faults, and a library usable
// without Faultline (it imports nothing of the harness).
//
// # Pieces, one file each
//
//   - wal.go, wal_record.go: the write-ahead log, one file of
//     length-prefixed records with a CRC-32C each (entries and hard
//     states). A Ready's entries and hard state are appended and fsync'd
//     (when the Ready says MustSync) before any of its messages is sent or
//     any client is answered. On restart a torn last record (a crash
//     mid-write) is truncated with a warning; any other damage is
//     ErrCorrupt naming the file and offset, and the node does not start.
//   - snapfile.go, storage.go: snapshots written atomically (temporary file,
//     fsync, rename, fsync of the directory), after which the log is
//     rewritten without the compacted prefix (also by rename). diskStorage
//     keeps the core's raft.MemoryStorage as the in-memory mirror.
//   - codec.go, transport.go, transport_peer.go: Raft messages between
//     nodes, varint-encoded in length-prefixed frames over TCP (18 times
//     faster than JSON, BENCHMARKS.md). Each node dials each peer at the
//     address configured for it (possibly a Toxiproxy proxy, one per
//     directed link), with a hello frame naming the sender, reconnects with
//     jittered exponential back-off, a deadline on every read and write,
//     and a bounded queue per peer (full: drop and report unreachable).
//   - kv.go, command.go: the state machine, int64 registers under string
//     keys, with client sessions (client id, sequence number, ack) that
//     make a retried write or cas apply once and answer its first result.
//   - node.go, loop.go, requests.go: the Node. One goroutine owns the core,
//     the storage and the state machine; writes and cas go through the log,
//     reads through ReadIndex (a quorum round, batched per loop iteration,
//     served once the state machine has applied the read index), so both
//     are linearizable. Proposals of many clients share one fsync.
//   - server.go, client.go: the client protocol, HTTP/1.1 with JSON on the
//     client port (POST /kv, GET /status, GET /metrics), and Client, which
//     finds the leader and classifies every outcome (see ErrMismatch).
//   - status.go, metrics.go: Status (it reads like the seed's RaftNode:
//     node_id, state, current_term, voted_for, log indexes) and the
//     Prometheus series, on a registry per node.
//
// # Outcomes
//
// A call is one attempt at application: the client follows "not leader"
// redirects and tries the next node only while no node has accepted the
// request, and never resends a request whose fate is unknown. ErrMismatch,
// ErrNotLeader and ErrUnavailable are definite; ErrIndeterminate is not
// (IsDefinite tells them apart). Retrying the same Request (from
// NewRequest) after ErrIndeterminate is explicit and exactly-once.
//
// # Dependencies
//
// Only the standard library, impl/raft, and prometheus/client_golang (the
// reference Prometheus client, for /metrics). HTTP/JSON rather than a
// binary client protocol: the same port serves /status and /metrics, curl
// can talk to a node, and Toxiproxy proxies it like any TCP stream.
//
// # Use
//
//	cfg := raftkv.DefaultConfig()
//	cfg.ID, cfg.DataDir = "n1", "/var/lib/raftkv/n1"
//	cfg.RaftAddr, cfg.ClientAddr = "127.0.0.1:7001", "127.0.0.1:8001"
//	cfg.Peers = map[string]string{"n2": "127.0.0.1:7002", "n3": "127.0.0.1:7003"}
//	node, err := raftkv.NewNode(cfg) // recovers from DataDir, binds the ports
//	...
//	err = node.Run(ctx) // until ctx ends
//
// and, on the client side,
//
//	ccfg := raftkv.DefaultClientConfig()
//	ccfg.Nodes = map[string]string{"n1": "127.0.0.1:8001", "n2": …, "n3": …}
//	c, err := raftkv.NewClient(ccfg)
//	err = c.Write(ctx, "x", 1)
//	v, found, err := c.Read(ctx, "x")
//	err = c.CAS(ctx, "x", 1, 2) // errors.Is(err, raftkv.ErrMismatch) when x != 1
//
// # On hashicorp/raft
//
// [HashiNode] is the same service — commands, state machine, client
// protocol, /status — on github.com/hashicorp/raft with raft-boltdb, so that
// a harness can run a consensus nobody here wrote beside the reference one
// (`faultline node --engine hashicorp`), and benchmarks can compare them.
//
// # Power loss
//
// The write-ahead log keeps beside it (wal.synced) the length its last
// fsync covered. DropUnsynced truncates a stopped node's log to that
// length: what a power cut does to a disk whose page cache is gone. A node
// that fsyncs before it acknowledges loses nothing it acknowledged.
//
// # Deliberate bugs
//
// Config.Bugs switches a node into bugs of the catalog ([Bugs]): stale-read
// (every node answers reads from its own applied state), leader-read (the
// leader answers reads without ReadIndex), early-ack (the leader
// acknowledges a write once it is in its own log, before a quorum has it)
// and no-fsync (the write-ahead log is never fsynced, yet what it holds is
// acknowledged). They exist so that a test harness
// can prove it catches them; none is on by default, and a node that runs
// with one says so in its log and its /status.
package raftkv
