// Package raftkv is the reference Raft KV store (impl/raftkv) as a system
// under test: everything the harness knows of it, from its settings and
// flags ([Settings], the register workload's) to how its nodes start, fail
// and answer.
//
// # Child processes
//
// [Start] runs a [Cluster] for a run: N `faultline node` child processes on
// loopback, each with its data directory in the run directory and its log
// in logs/<node>.log, every directed link — node → node and client → node —
// through its own Toxiproxy proxy. Node faults are real: Kill is SIGKILL and
// Restart starts the node again from its data directory, Pause is SIGSTOP
// and Resume SIGCONT (through systems/proc), and PowerLoss is a kill after
// which the node's write-ahead log loses what it had not fsynced
// (impl/raftkv.DropUnsynced): the powerloss fault. [RegisterClient] adapts the
// Raft KV client to the register workload, sorting its errors into definite
// and indeterminate.
//
// # Containers
//
// [StartDocker] runs a [DockerCluster]: one `faultline node` per container,
// from an image built with the repository's Dockerfile
// (scripts/docker-build.sh; the default image is faultline:local), on a
// user-defined bridge network on which the nodes reach each other by name
// (n1, n2, …, Raft traffic on port 7000). Each node's client port (8000:
// the client API, /status and /metrics) is published on a fixed free port of
// 127.0.0.1 chosen at start, so that addresses stay valid across Kill and
// Restart. Its node faults are Docker's own: Kill is `docker kill` (SIGKILL
// to the node), Restart starts the same container again, so the node
// recovers from its data, and Pause and Resume freeze and thaw the
// container's cgroup.
//
// `faultline run --runtime docker` ([Settings].Runtime) starts it Proxied:
// a Toxiproxy container (the same image, `faultline toxiproxy`) joins the
// network as "toxiproxy", and every link goes through it at fixed ports —
// toxiproxy:21000+100i+j from node i to node j, which the nodes' --peer
// flags name, and toxiproxy:20000+i from the clients to node i, published
// on the host — so partitions and toxics are the process runtime's. The
// data directories are bind-mounted from the run directory, so PowerLoss
// can drop what a node had not fsynced; each container's log is copied to
// logs/ at the end. The settings are a systems.NetOwner: the runner starts
// no Toxiproxy of its own and drives this one.
//
// The containers are managed with testcontainers-go against whatever
// Docker engine the environment points at (DOCKER_HOST,
// ~/.testcontainers.properties). Where no registry can be reached, set
// TESTCONTAINERS_RYUK_DISABLED=true: Ryuk, the reaper testcontainers starts
// by default, is an image that would have to be pulled; without it,
// leftovers of a killed run carry the label org.testcontainers=true. The
// harness must reach the published ports on the engine's host: true for a
// local engine, not for a remote DOCKER_HOST.
//
// # A Compose stack
//
// `--runtime compose` ([AttachCompose], [ComposeCluster]) runs on nodes it
// did not start: the services n1 … nN of the Compose stack the harness runs
// in (docker-compose.yml), found by their Compose labels, whose --peer
// flags name the stack's Toxiproxy at the ports above. Each run makes its
// links there (--stack-toxiproxy) and removes them at the end; node faults
// go to the containers through the Docker socket (systems/dockerctl). The
// cluster outlives the run, so every key carries the run's id on the wire
// (RegisterClient.Prefix), and every register starts absent as the checker
// assumes. A stack's nodes run as the stack made them: no --bug, and no
// powerloss (their disks are the stack's volumes).
//
// # One way to find the leader
//
// Both clusters embed the same status poller: Status asks a node's
// /status directly (never through a proxy), Leader is the claim of the
// highest term among the nodes that run and are not paused, and WaitLeader
// polls it. Both satisfy nemesis.Processes and nemesis.LeaderFinder.
//
// The container tests build the image with scripts/docker-build.sh (or use
// the one FAULTLINE_DOCKER_IMAGE names; systems/dockertest). One starts
// three nodes and checks that a write acknowledged before the leader's
// container is killed is still read after the other two elect a new
// leader, that the killed node catches up after a restart, and that writes
// commit while a follower is paused; TestDockerRuntime runs `--runtime
// docker` through the runner, valid under partitions, kills, pauses and
// power losses, and the stale-read bug caught. They skip when no Docker
// engine answers or with -short, and fail instead when
// FAULTLINE_REQUIRE_DOCKER=1.
package raftkv
