// Package redislock is a distributed lock on a single Redis server, in two
// flavours, usable as an ordinary library (it knows nothing of Faultline).
//
// [Naive] is the lock most people write, kept faithful to Faultline's seed:
// SET key owner NX EX lease, retried every millisecond until a deadline, and
// released with WATCH / GET / MULTI / DEL (a nil EXEC reply means the key
// changed and nothing was released). Its flaw is the one Martin Kleppmann
// described in "How to do distributed locking" (2016): a lease is a promise
// about time that the holder cannot check. A holder that is paused (GC,
// SIGSTOP, a slow network) for longer than the lease wakes up still
// believing it holds the lock, while Redis has already given it to someone
// else; both then act in the critical section. No amount of care on the
// client closes this gap, because the pause can fall between the last check
// and the write.
//
// [Fenced] closes it on the resource's side. Acquire runs one Lua script
// that sets the lock (SET NX PX) and increments a per-lock counter
// ([CounterKey]), returning the counter as a fencing token; since both
// happen atomically, every new holder gets a strictly larger token than every
// earlier one. The holder sends its token with each write, and the protected
// resource refuses a token lower than the highest it has seen — so a holder
// whose lease expired is stopped by the resource no matter how long it was
// paused. Release and [Lease.Extend] are compare-and-delete and
// compare-and-expire scripts, so a holder can never delete or prolong a lock
// that is no longer its own. Acquire backs off exponentially with full
// jitter (seeded by [FencedConfig].Seed) for a bounded number of tries,
// instead of spinning. A counter that does not exist — a new lock, or a Redis
// restarted without persistence that lost it — starts from the server's
// clock in microseconds, so tokens keep rising across such a restart as long
// as the server's clock does not step back (a counter restarted from 1 would
// be refused by the resource forever: safe, but no longer live).
//
// Both locks open their own go-redis client with retries switched off
// (MaxRetries -1) and context deadlines honoured, and report every outcome
// honestly: [ErrNotAcquired] and [ErrNotHeld] are definite refusals,
// [ErrUnavailable] means the request certainly did not take effect (not
// sent, or refused with an error reply), and [ErrIndeterminate] means it may
// have — a timeout or a connection lost after sending. Test with errors.Is.
//
// go-redis (github.com/redis/go-redis/v9) is the maintained Redis client of
// the Go ecosystem; its Script type sends EVALSHA and falls back to EVAL.
// The tests run a real redis-server with systems/redislock/redisserver, the
// harness's launcher; nothing else in this package imports the harness.
//
// # Deliberate bugs
//
// FencedConfig.Bugs switches the fenced lock into bugs of the catalog
// ([Bugs]): no-owner-check (release deletes the lock without comparing the
// owner) and token-reuse (the counter advances on release, so tokens can
// repeat). They exist so that a test harness can prove it catches them;
// none is on by default.
package redislock
