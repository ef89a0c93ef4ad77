package breaker

import (
	"context"
	"errors"
)

// Classifier decides how a finished call counts: Success, Failure or
// Ignored. ctx is the caller's context, so a classifier can tell a
// cancellation by the caller from a downstream that gave up.
type Classifier func(ctx context.Context, err error) Outcome

// DefaultClassifier counts every error as a failure except a cancellation
// by the caller (context.Canceled while the caller's ctx is done), which is
// ignored: the caller walking away says nothing about the downstream. A
// deadline that expired does count, since a slow downstream is what
// deadlines catch.
func DefaultClassifier(ctx context.Context, err error) Outcome {
	switch {
	case err == nil:
		return Success
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return Ignored
	}
	return Failure
}
