package workloads

import (
	"context"
	"errors"

	"github.com/faultline/faultline/history"
)

// ErrMismatch is what a client returns when a cas found a value other than
// the expected one: a definite failure that observed the register.
var ErrMismatch = errors.New(history.ErrorMismatch)

// definiteError marks an error as a definite failure.
type definiteError struct{ err error }

func (e definiteError) Error() string { return e.err.Error() }
func (e definiteError) Unwrap() error { return e.err }

// Definite marks err as a definite failure: the operation certainly did not
// take effect (for example, a node refused it before applying anything).
// Adapters use it for the errors their client documents as definite; every
// other error is recorded as indeterminate.
func Definite(err error) error {
	if err == nil {
		return nil
	}
	return definiteError{err}
}

// IsDefinite reports whether err was marked with Definite.
func IsDefinite(err error) bool {
	var d definiteError
	return errors.As(err, &d)
}

// Classify maps a client's error to the completion type and the error text
// recorded in the history.
func Classify(err error) (history.Type, string) {
	switch {
	case err == nil:
		return history.Ok, ""
	case errors.Is(err, ErrMismatch):
		return history.Fail, history.ErrorMismatch
	case IsDefinite(err):
		return history.Fail, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return history.Info, "timeout: " + err.Error()
	}
	return history.Info, err.Error()
}
