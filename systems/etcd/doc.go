// Package etcd is etcd as a system under test: a cluster of real etcd 3
// processes (Debian's etcd-server package, or any etcd 3 binary) that the
// harness starts on loopback, drives with the register workload through the
// official client go.etcd.io/etcd/client/v3, and faults like the reference
// Raft KV. Nobody here wrote it, which is the point: it is a control. A
// checker that calls etcd invalid under faults is crying wolf, and the
// detection table (faultline detect) counts that as a false alarm.
//
// # Links
//
// Every member's client port is behind its own Toxiproxy link
// ("client->nX"). Peer links are directed, as for the Raft KV: the traffic
// of member A to member B goes over the link "nA->nB" and nowhere else, so
// a partition cuts exactly the directions its topology names. etcd
// advertises one peer URL to all members, so a proxy in front of a
// member's peer port could not tell A's traffic from C's; instead each
// member gets its own forward HTTP proxy (HTTP_PROXY in its environment,
// which etcd's peer transport honours) that routes a request for peer B
// to the link A->B. The advertised peer host is a TEST-NET address that
// nothing dials (Go never proxies loopback), so a member that bypassed
// its proxy could not reach its peers at all, and the run would fail
// instead of silently running without faultable peer links.
//
// # Operations
//
// A read is a linearizable Get (ReadIndex), a write a Put, a
// compare-and-set a transaction; only a transaction that ran and found
// another value is a definite failure, every other error indeterminate
// (see RegisterClient). Each worker is bound to one member by default
// (--client-routing), as Jepsen's etcd clients are.
//
// # Faults
//
// Partitions and the link toxics through Toxiproxy; kill (SIGKILL, then a
// restart on the same data directory), pause (SIGSTOP/SIGCONT) through
// systems/proc. The leader, for leader-aimed faults, is the member that
// the highest-term status answer names.
//
// Tests skip without an etcd binary on PATH and fail instead when
// FAULTLINE_REQUIRE_ETCD=1, which .ci/run sets after installing it.
package etcd
