// Package dockerctl gives the node faults of a system whose nodes run in
// containers: Kill is `docker kill` (SIGKILL, then a wait until the engine
// says the container stopped), Restart `docker start` of the same
// container, Pause and Resume freeze and thaw its cgroup. The containers
// are never created or removed here.
//
// Connect finds containers that someone else started — the services of a
// Compose stack, driven by a harness in a container beside them through
// the Docker socket — by container or service name; New takes the ids of
// containers the caller started itself (the Raft KV's container runtime).
//
// A kill or pause counts as done from before it is asked: one cut short by
// an error or by the end of the run may still have reached the engine, so
// the heal (Restart, Resume, Heal) undoes it rather than trust that the
// container runs. Restart of a running container and Resume of one that
// is not paused are no-ops, so a heal may be tried on every node a fault
// was tried on.
//
// It talks to the engine through testcontainers-go's client (DOCKER_HOST,
// ~/.testcontainers.properties), as the container runtime does.
package dockerctl
