package breaker

import "errors"

// Errors returned by the breaker. Callers tell a rejection from a failure of
// the call itself with errors.Is.
var (
	// ErrOpen: the breaker is open and rejected the call without running it.
	ErrOpen = errors.New("circuit breaker is open: the call was not attempted")
	// ErrTooManyTrials: the breaker is half-open and all its trial calls are
	// in use; the call was rejected without running it.
	ErrTooManyTrials = errors.New("circuit breaker is half-open and its trial calls are in use: the call was not attempted")
	// ErrBadConfig is wrapped by every configuration error.
	ErrBadConfig = errors.New("bad circuit breaker configuration")
)

// IsRejection reports whether err means the breaker did not let the call
// through (as opposed to the call failing).
func IsRejection(err error) bool {
	return errors.Is(err, ErrOpen) || errors.Is(err, ErrTooManyTrials)
}
