// Package workloads generates the operations a run sends to a system under
// test and records each one in the history.
//
// A workload declares the client it needs as a small interface
// ([RegisterClient] for the register workload); the systems adapt their own
// clients to it. Every call goes through a [Recorder], which writes an
// invoke, makes the call, and writes exactly one completion, stamped with
// the monotonic clock of the history writer. The outcome is classified from
// the error the client returned: nil is ok; an error marked with [Definite]
// (the operation certainly did not take effect) is fail; [ErrMismatch] is
// the failed-cas observation; anything else — a timeout, a lost connection,
// an error nobody classified — is info, because "when in doubt,
// indeterminate is always safe". Nothing retries underneath the recorder.
//
// The workloads: register (read / write / cas over independent keys, every
// written value unique: register.go), lock and fenced (clients acquire a
// lock, hold it, release it; in fenced they also write to a resource with
// their fencing token; an acquire's invoke value carries the lease and, for
// a GrantReporter client, its ok value when the winning attempt was sent:
// lock.go), and breaker (callers through a circuit
// breaker, with its decisions and transitions recorded: breaker.go).
//
// Workers follow Jepsen's process rule: after an info outcome a worker
// continues under a new process id (process + concurrency), since the old
// process may still have an operation in flight. Each worker draws its
// operations from its own random source derived from the run's seed
// ([WorkerRand]), so the same seed gives the same sequence of operations per
// worker, whatever the timing.
package workloads
