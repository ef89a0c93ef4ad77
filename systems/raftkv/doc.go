// Package raftkv starts and faults a cluster of the reference Raft KV store
// (impl/raftkv) for a run: N `faultline node` child processes on loopback,
// each with its data directory in the run directory and its log in
// logs/<node>.log, every directed link — node → node and client → node —
// through its own Toxiproxy proxy. It knows the leader from the nodes'
// status endpoints, kills (SIGKILL) and restarts nodes from their data
// directories, pauses them (SIGSTOP) and resumes them, and stops them all
// at the end. [RegisterClient] adapts the Raft KV client to the register
// workload, sorting its errors into definite and indeterminate.
package raftkv
