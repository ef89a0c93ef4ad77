package raftkv

import "errors"

// Errors a Client returns, to be classified with errors.Is. Each is either
// definite (the operation certainly did not take effect) or indeterminate
// (it may take effect at any time, or never):
//
//   - ErrMismatch: definite. A cas found a value other than the expected
//     one (or the key absent); it observed the register.
//   - ErrNotLeader: definite. Every node tried refused the request before
//     proposing it, because it was not the leader.
//   - ErrUnavailable: definite. No node could be reached before the request
//     was sent (connect refused, dial timeout), or a node refused it before
//     proposing (no leader known, shutting down).
//   - ErrIndeterminate: the request was sent but no answer came back in
//     time (deadline, connection lost after sending, leadership lost after
//     proposing). A write or cas may still be applied later.
//
// Use IsDefinite to tell the two kinds apart.
var (
	ErrMismatch      = errors.New("mismatch")
	ErrNotLeader     = errors.New("not leader")
	ErrUnavailable   = errors.New("unavailable")
	ErrIndeterminate = errors.New("indeterminate")
)

// Errors of the node and its storage.
var (
	// ErrCorrupt means the data directory holds something that cannot be
	// a crash artefact (a bad checksum before the last record, an entry
	// index out of sequence). The node refuses to start rather than guess.
	ErrCorrupt = errors.New("corrupt data")
	// ErrStopped is returned by a node that is shutting down.
	ErrStopped = errors.New("node stopped")
	// ErrSessionExpired answers a retried request whose session result was
	// already discarded because the client acknowledged it.
	ErrSessionExpired = errors.New("session result expired")
	// ErrInvalidConfig wraps every Config.Validate failure.
	ErrInvalidConfig = errors.New("invalid config")
)

// IsDefinite reports whether err certainly means the operation did not take
// effect: ErrMismatch, ErrNotLeader and ErrUnavailable are definite, anything
// else (ErrIndeterminate, a context error, an unknown error) is not.
func IsDefinite(err error) bool {
	if errors.Is(err, ErrIndeterminate) {
		return false
	}
	return errors.Is(err, ErrMismatch) || errors.Is(err, ErrNotLeader) || errors.Is(err, ErrUnavailable)
}
