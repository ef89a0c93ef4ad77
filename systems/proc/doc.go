// Package proc runs the child processes of a system under test — Raft KV
// nodes, a redis-server — so that the process faults are real: SIGKILL,
// SIGSTOP and SIGCONT sent to a real process, and a restart that recovers
// from whatever the killed process left on disk.
//
// Every child is started with the parent-death signal set to SIGKILL, so no
// child outlives the harness even when the harness itself is killed with
// SIGKILL; Stop resumes a paused child before it asks it to terminate.
package proc
