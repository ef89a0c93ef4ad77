// Package redisserver runs a real redis-server as a child process on a
// loopback port, for the harness (systems/redislock) and for the tests of
// impl/redislock: Start, Stop, and the process faults a lock must survive —
// Kill (SIGKILL, then a restart on the same port that has lost every key,
// since persistence is off by default), Crash and Restart (the two halves of
// Kill), Pause (SIGSTOP) and Resume (SIGCONT).
//
// The process itself is a systems/proc.Process, the harness's one
// supervisor: signals, the paused state and the bounded wait for exit live
// there, and ErrNotRunning is proc.ErrNotRunning. What is Redis's lives
// here: the arguments, a free port tried up to three times, a temporary
// working directory, and readiness, which is polled with PING against a
// deadline; nothing sleeps for a fixed time.
//
// It imports neither impl/redislock nor systems/redislock, so both can use
// it; impl/redislock's own code does not (only its tests do), and stays an
// ordinary library without the harness.
package redisserver
