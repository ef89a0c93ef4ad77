// Package proc runs the child processes of a system under test — Raft KV
// nodes, a redis-server — so that the process faults are real: SIGKILL,
// SIGSTOP and SIGCONT sent to a real process, and a restart that recovers
// from whatever the killed process left on disk. It is the harness's one
// process supervisor; systems/redislock/redisserver adds only what is
// Redis's (arguments, a free port, the PING readiness wait) on top of it.
//
// A [Process] is described by its fields (Path, Args, Env, and where its
// output goes: appended to LogPath, else written to Output, else discarded)
// and can be started again after it stops. On Linux every child is started
// with the parent-death signal set to SIGKILL, so no child outlives the
// harness even when the harness itself is killed with SIGKILL. Stop resumes
// a paused child before it asks it to terminate. No wait is unbounded: Kill
// waits for the child to be reaped for at most ten seconds, whatever the
// caller's context says.
package proc
