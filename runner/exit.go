package runner

import (
	"errors"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// Exit codes of `faultline run` and `faultline check` (DESIGN.md).
const (
	ExitValid    = 0
	ExitInvalid  = 1
	ExitUnknown  = 2
	ExitBadInput = 254
	ExitHarness  = 255
)

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

// ErrorExitCode is the exit code for an error that ended a command: 254
// for one caused by the user's input (a setting, a file, an address), which
// wraps history.ErrBadConfig, and 255 for any other.
func ErrorExitCode(err error) int {
	if errors.Is(err, history.ErrBadConfig) {
		return ExitBadInput
	}
	return ExitHarness
}
