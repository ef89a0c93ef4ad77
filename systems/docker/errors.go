package docker

import "errors"

var (
	// ErrNoDocker means no Docker engine answered: none is running, or
	// DOCKER_HOST points at the wrong place.
	ErrNoDocker = errors.New("no Docker engine answers")
	// ErrNoLeader is returned when no running node claims to lead.
	ErrNoLeader = errors.New("no leader")
	// ErrUnknownNode names a node that is not in the cluster.
	ErrUnknownNode = errors.New("unknown node")
	// ErrTerminated is returned for a node of a cluster that was
	// terminated (or whose container was never created).
	ErrTerminated = errors.New("cluster terminated")
	// ErrInvalidConfig wraps every Config.Validate failure.
	ErrInvalidConfig = errors.New("invalid config")
)
