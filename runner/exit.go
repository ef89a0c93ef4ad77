package runner

import (
	"errors"

	"github.com/faultline/faultline/checker"
)

// Exit codes of `faultline run` and `faultline check` (DESIGN.md).
const (
	ExitValid    = 0
	ExitInvalid  = 1
	ExitUnknown  = 2
	ExitBadInput = 254
	ExitHarness  = 255
)

// ErrBadInput is wrapped by every error caused by the user's input: a flag,
// a file, an address. The CLI exits 254 for it.
var ErrBadInput = errors.New("bad input")

// ExitCode is the exit code for a verdict.
func ExitCode(v checker.Validity) int {
	switch v {
	case checker.Valid:
		return ExitValid
	case checker.Invalid:
		return ExitInvalid
	}
	return ExitUnknown
}

// ErrorExitCode is the exit code for an error that ended a command.
func ErrorExitCode(err error) int {
	if errors.Is(err, ErrBadInput) {
		return ExitBadInput
	}
	return ExitHarness
}
