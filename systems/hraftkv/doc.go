// Package hraftkv is the reference KV service on github.com/hashicorp/raft
// (with raft-boltdb) as a system under test: the same commands, state
// machine, client protocol and register workload as systems/raftkv, the
// same child processes (`faultline node --engine hashicorp`), links and
// faults, but a consensus nobody here wrote. Like etcd, it is a control: a
// checker that calls it invalid cries wolf, and `faultline detect` counts
// that as a false alarm of the Raft KV's bugs.
//
// Its peers are dialed through hashicorp/raft's ServerAddressProvider at
// the directed Toxiproxy link of each pair, so partitions cut exactly what
// they cut for the reference nodes. Reads are linearizable the way
// hashicorp/raft users make them (impl/raftkv.HashiNode). It takes every
// fault of the reference Raft KV except powerloss.
package hraftkv
