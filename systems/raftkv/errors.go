package raftkv

import "errors"

var (
	// ErrNoLeader is returned when no running node claims to lead.
	ErrNoLeader = errors.New("no leader")
	// ErrUnknownNode names a node that is not in the cluster.
	ErrUnknownNode = errors.New("unknown node")
	// ErrNoDocker means no Docker engine answered: none is running, or
	// DOCKER_HOST points at the wrong place.
	ErrNoDocker = errors.New("no Docker engine answers")
	// ErrTerminated is returned for a node of a container cluster that was
	// terminated (or whose container was never created).
	ErrTerminated = errors.New("cluster terminated")
)
