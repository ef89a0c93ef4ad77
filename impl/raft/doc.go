// Package raft is the Raft consensus core of Faultline's reference key-value
// store: a deterministic state machine with no goroutines, sockets, clocks
// or global randomness, in the style of etcd's raft RawNode. The service
// around it (storage, transport, state machine) lives in impl/raftkv.
//
// # Driving a node
//
// A RawNode only changes when it is told to:
//
//   - Tick advances its logical clock. Election and heartbeat timeouts are
//     counted in ticks (Config.ElectionTick, Config.HeartbeatTick); the
//     application decides how long a tick is.
//   - Step hands it a message from a peer; Propose and ReadIndex are the
//     application's requests.
//   - Ready returns the work those calls produced, and Advance says it is done.
//
// The Ready contract is what makes the core safe under crashes. For each
// Ready, in this order: (1) write HardState, Entries and Snapshot to stable
// storage, fsyncing when MustSync; (2) send Messages; (3) apply Snapshot and
// CommittedEntries to the state machine and answer ReadStates whose Index
// has been applied; (4) call Advance. Persisting before sending is what
// makes a vote or an acknowledgement a promise that survives kill -9. A node
// that crashes restarts by building a new RawNode on the same Storage: all
// it lost is what it never promised.
//
// # Roles as step functions
//
// Step first applies the rules every role shares (a message with a higher
// term turns the node into a follower of that term; one with a lower term
// is stale) and handles vote requests; then it calls the current role's
// step function: stepFollower, stepCandidate (also the pre-candidate) or
// stepLeader. Changing role means swapping that function (becomeFollower,
// becomeCandidate, becomeLeader), which keeps each role's rules in one
// place a reader can hold next to Figure 2 of the paper.
//
// # What it implements
//
//   - Leader election with timeouts drawn from [ElectionTick, 2*ElectionTick)
//     using the *rand.Rand in Config (seeded, so tests replay exactly).
//   - Pre-vote (thesis §9.6): a would-be candidate first asks whether it
//     could win, so a node returning from a partition does not bump terms.
//   - Check-quorum: a leader that has not heard from a majority within an
//     election timeout steps down; followers that heard from a leader within
//     that time ignore vote requests (a leader lease).
//   - Log replication with batching (MaxSizePerMsg, MaxEntriesPerMsg) and a
//     bound on unacknowledged appends per follower (MaxInflightMsgs). The
//     leader tracks each follower as probing, replicating or receiving a
//     snapshot.
//   - Fast back-up of divergent followers: a rejection carries a hint
//     (RejectHint, ConflictTerm), and both sides skip a whole term per
//     round trip instead of one entry.
//   - The commit rule of §5.4.2 (Figure 8): the leader commits by counting
//     replicas only for entries of its own term; a new leader appends an
//     EntryNoop so that it can commit at once.
//   - Linearizable reads by ReadIndex (§6.4 of the thesis): the leader waits
//     until it has committed an entry of its term, records its commit index,
//     and confirms it is still leader with a round of heartbeats carrying the
//     request's context; followers forward the request to the leader.
//   - Snapshots and log compaction: when a follower needs entries the leader
//     has compacted, the leader sends its snapshot (MsgSnap).
//
// Membership changes and leadership transfer are not implemented: the set
// of peers is fixed by Config.Peers.
//
// # Storage
//
// The core reads its persisted log through the Storage interface and never
// writes to it. MemoryStorage is the in-memory implementation: tests use it
// as the whole disk, and raftkv keeps one as the mirror of its write-ahead
// log.
//
// # Where things are
//
//	types.go        the data contract with impl/raftkv: Entry, Message, Ready, ...
//	rawnode.go      RawNode: the application's API (Tick, Step, Propose, Ready, Advance)
//	step.go         Step: term rules, votes, and the three role step functions
//	handle.go       what a follower does with appends, heartbeats and snapshots,
//	                and what a leader does with their answers
//	replicate.go    the leader sending entries, snapshots and heartbeats; the commit rule
//	read_index.go   ReadIndex on the leader (read_only.go: the pending requests)
//	tick.go         election and heartbeat timers, check-quorum
//	raft.go         the node's state and its role transitions
//	log.go          the log: persisted part (Storage) + unstable part (log_unstable.go)
//	progress.go     the leader's view of each follower, with the in-flight window
//	storage.go      the Storage interface and MemoryStorage
//	config.go, errors.go, status.go
//
// # Tests
//
// The tests run whole clusters on an in-memory network (network_test.go)
// that is deterministic for a seed and can drop, delay, reorder, duplicate,
// cut links and isolate nodes; crashing a node throws away everything its
// storage does not hold. Scenario tests map to sentences of the Raft paper;
// a randomized simulation checks the safety invariants after every step and
// prints the seed of any failure (rerun with -raft.seed=S; more schedules
// with -raft.sims=N or FAULTLINE_RAFT_SIMS=N). Benchmarks of the propose →
// replicate → commit path are in bench_test.go; BENCHMARKS.md records them.
package raft
