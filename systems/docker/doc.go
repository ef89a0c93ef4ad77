// Package docker runs a cluster of the reference Raft KV store
// (impl/raftkv) in Docker containers, one `faultline node` per container,
// from an image built with the repository's Dockerfile (see
// scripts/docker-build.sh; the default image is faultline:local).
//
// Start creates a user-defined bridge network on which the nodes reach each
// other by name (n1, n2, …, Raft traffic on port 7000) and publishes each
// node's client port (8000: the client API, /status and /metrics) on a free
// port of 127.0.0.1 only. The cluster then answers the questions the
// harness asks of a system under test — ClientAddrs, Status, Leader,
// WaitLeader — and its node faults are Docker's own: Kill is `docker kill`
// (SIGKILL to the node), Restart starts the same container again, so the
// node recovers from the data its killed process left in the container, and
// Pause and Resume freeze and thaw the container's cgroup. A Cluster
// satisfies nemesis.Processes.
//
// The containers are managed with testcontainers-go, the maintained Go
// library for throwaway containers: it creates networks and containers,
// waits until a node answers /status, and removes everything afterwards,
// against whatever Docker engine the environment points at (DOCKER_HOST,
// ~/.testcontainers.properties). Where no registry can be reached, set
// TESTCONTAINERS_RYUK_DISABLED=true: Ryuk, the reaper testcontainers starts
// by default to remove leftovers of a killed process, is an image that
// would have to be pulled. Without it, leftovers of a killed run carry the
// label org.testcontainers=true.
//
// The client ports are published on a fixed free port of HostIP chosen at
// Start, and the cluster polls /status there itself, so ClientAddrs stay
// valid across Kill and Restart. This assumes the harness can reach HostIP
// of the engine's host: true for a local engine, including when the harness
// itself runs in a container sharing the host's network; not for a remote
// DOCKER_HOST.
//
// The test in this package builds the static binary and the image (or uses
// the image named by FAULTLINE_DOCKER_IMAGE), starts three nodes, and
// checks that a write acknowledged before the leader's container is killed
// is still read after the other two elect a new leader, that the killed
// node catches up after a restart, and that writes commit while a follower
// is paused. It skips when no Docker engine answers or with -short, and
// fails instead when FAULTLINE_REQUIRE_DOCKER=1.
package docker
