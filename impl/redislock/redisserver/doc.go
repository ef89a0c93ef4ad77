// Package redisserver runs a real redis-server as a child process on a
// loopback port, for tests and for the harness: Start, Stop, and the process
// faults a lock must survive — Kill (SIGKILL, then a restart on the same
// port that has lost every key, since persistence is off by default),
// Pause (SIGSTOP) and Resume (SIGCONT).
//
// It is an ordinary library: it knows nothing of Faultline's harness, so the
// tests of impl/redislock and the systems adapter share one launcher instead
// of two. Readiness is polled with PING against a deadline; nothing sleeps
// for a fixed time.
package redisserver
