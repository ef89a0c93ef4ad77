// Package redislock is the systems adapter of the Redis lock
// (impl/redislock): how a run starts Redis, the fenced resource and the
// lock's clients, how it faults them, and how it drives the lock workloads.
//
// Redis ([StartRedis]) is, in order of preference: the external Redis at
// --redis ADDR (checked with PING; the harness cannot kill or pause it,
// unless --redis-container names the container it runs in: then kill is a
// container kill and a start, pause a container pause, through
// systems/dockerctl — the compose stack's Redis); a
// real redis-server from the PATH, started on a free loopback port with
// persistence off, whose kill is a real SIGKILL followed by a restart on the
// same port with no keys — another way to grant a lock twice — and whose
// pause is a real SIGSTOP; and, last, the embedded miniredis
// (github.com/alicebob/miniredis/v2) with real-time TTLs (ClockTTL), whose
// kill and pause are simulated. The fallback is labelled
// "embedded miniredis fallback" in [System.Labels] so that the summary and
// the report say so, and FAULTLINE_REQUIRE_REDIS=1 turns it into an error.
//
// The fenced resource ([Resource]) is Kleppmann's storage service: a counter
// served over HTTP on loopback that accepts a read or a write only with a
// fencing token at least as high as any it has seen, and records the writes
// it accepts. Each client reaches Redis and the resource over its own link,
// which the harness puts behind Toxiproxy ([Linker]).
//
// The nemesis sees every client ("c0", "c1", …) and the server ("redis")
// as nodes. Latency and partitions act on the client→redis links; kill and
// pause act on the redis-server or, for a client, on its simulated process
// (workloads.ClientProcess): a paused client stops at its next step,
// including inside its critical section — the stop-the-world pause of
// Kleppmann's example — and [System.Leader] names the client that holds the
// lock now, so that a fault aimed at "the leader" pauses the holder.
//
// Each acquire records the lease it asks for ({"lease_ns": …}) and, on
// success, when the attempt that won was sent ({"token": …, "sent": …}), so
// that the lease-exclusion check can tell a lease that ran out under a
// paused holder, which the lock allows, from a lock Redis granted twice
// within a lease, which it must not (the no-owner-check bug).
package redislock
