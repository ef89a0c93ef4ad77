package nemesis

import "errors"

// Errors a caller can classify with errors.Is. A configuration that
// cannot run (an unknown fault, bounds that cannot hold, a fault the system
// cannot offer) wraps history.ErrBadConfig instead, the one sentinel of the
// harness for bad settings.
var (
	// ErrUnreachable means the Toxiproxy HTTP API did not answer.
	ErrUnreachable = errors.New("toxiproxy is not reachable")
	// ErrUnknownLink means no proxy exists for a link.
	ErrUnknownLink = errors.New("no proxy for link")
	// ErrLinkExists means AddLink was called twice for one link.
	ErrLinkExists = errors.New("link already has a proxy")
	// ErrNoLinks means a network fault found no proxied link to act on.
	ErrNoLinks = errors.New("no proxied link to fault")
	// ErrInjectFailed means the schedule gave up after faults failed to
	// inject several times in a row.
	ErrInjectFailed = errors.New("faults failed to inject")
	// ErrHealFailed means some fault could not be undone.
	ErrHealFailed = errors.New("faults could not be healed")
)
