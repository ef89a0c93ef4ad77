// Package nemesis injects faults into a system under test, records them in
// the history, and guarantees they are undone.
//
// # Toxiproxy
//
// Network faults use the real Toxiproxy code (github.com/Shopify/toxiproxy/v2),
// chosen because it is the proxy the field uses for exactly this, its
// toxics are well tested, and one client drives it in or out of process.
// StartServer runs its server inside the harness, with the HTTP API on
// 127.0.0.1 and a free port; Connect drives that one or an external one
// (--toxiproxy URL) through the official client package, on the same code
// path. ListenServer serves it on an address of the caller's choosing:
// `faultline toxiproxy`, which a container of the faultline image runs in
// place of toxiproxy-server. The server's constructor takes a zerolog logger, so this package
// imports zerolog for that one call and forwards the lines to slog.
// The client takes no context; every call runs with a deadline (see call).
//
// Every directed link gets its own proxy (Net.AddLink, or Net.AddLinkAt at
// a fixed address: a Toxiproxy in a container, whose peers dial its fixed
// ports by the container's name), named "from->to"
// after a prefix unique to the run: client→node (e.g. "client->n1") and
// node→node. A link whose From is not one of the nemesis's nodes is a
// client link. Net.Close deletes the run's proxies, so an external
// Toxiproxy is left as it was found.
//
// Two behaviours of Toxiproxy to know: removing a timeout toxic closes the
// connections it blackholed (its Cleanup), so after a partition heals the
// nodes reconnect rather than resume their old connections; and the
// bandwidth toxic logs a trace line to zerolog's global logger (stderr)
// when it is interrupted, which this package does not silence because that
// would change a global.
//
// # The catalog
//
// Network faults (fault.go holds the registry):
//   - partition: a topology (topology.go: halves, isolate-one,
//     isolate-leader, majority-ring, bridge, one-way, flapping) cuts
//     directed node pairs. A cut a→b blackholes the upstream of proxy
//     a->b and the downstream of proxy b->a with the timeout toxic at
//     timeout 0: data vanishes, also on connections already open, and no
//     connection is refused, as when a network drops packets. One-way
//     partitions cut one direction only; flapping cuts and restores a link
//     Config.Flaps times within the fault.
//   - latency, bandwidth, slow-close, timeout, reset-peer, slicer,
//     limit-data: each Toxiproxy toxic, with parameters drawn from the seed
//     within Config's bounds, upstream, downstream or both, on the links of
//     Config.ToxicLinks (node links, client links, or all), either all of
//     them or those of one node.
//
// Process faults, over the Processes a system offers: kill (SIGKILL, then a
// restart from the data directory when healed), pause (SIGSTOP, then
// SIGCONT) and powerloss (a kill after which the node's disk loses what it
// had not fsynced, for Processes that are also a PowerLosser: the Raft KV,
// whose write-ahead log records how much of it each fsync covered), aimed
// at one node, the leader, a minority, a majority or all.
//
// # The schedule
//
// Run draws faults from a PCG source seeded with Config.Seed (Plan shows
// the same draws without injecting): a quiet Interval, then a fault held
// for an Interval, then a quiet Interval, and so on. With Overlap a new
// fault may start while others are in force, but process faults never
// overlap each other. Kinds, topologies and targets are dealt in rounds of
// seeded shuffles; bugs live at the leader, so where the system has one the
// first partition of every round isolates it and the first kill or pause of
// every round targets it. Every process fault and partition records in its
// start event whether it hit the node leading when it began ("hit_leader":
// killed or paused it, or cut one of its links); the coverage counts them.
//
// # Events
//
// Each fault start is an info op of process -1 whose f names the fault and
// whose value is an object with an integer "id", the drawn parameters and
// what the fault did, e.g.
//
//	{"id":3,"topology":"halves","groups":[["n1"],["n2","n3"]],"cuts":["n1->n2",…]}
//	{"id":4,"latency_ms":200,"jitter_ms":50,"direction":"downstream","links":["n1->n2"]}
//	{"id":5,"target":"majority","nodes":["n1","n3"],"hit_leader":true}
//
// Its end is an info op with f "heal" (network faults), "start" (after a
// kill or a power loss) or "resume" (after a pause) and value {"id":3}. A start is
// recorded once the fault is in force; a fault that fails to inject is
// undone and not recorded.
//
// # The heal guarantee
//
// HealAll resumes paused processes first, then restarts killed ones, then
// heals the network faults, then removes every toxic this Net added and
// enables every proxy of the run. It is idempotent, keeps what it could not
// heal for the next call, and can be called from a deferred clean-up or a
// signal handler while Run is going. Run calls it when its context ends.
// HealExternal resets every proxy of an external Toxiproxy, for
// `faultline heal` after a crashed run.
package nemesis
