package breaker

import (
	"fmt"
	"slices"
	"strings"
)

// Bug is a deliberate defect a breaker can be built with, so that a test
// harness can prove it catches it. None is on unless asked for.
type Bug string

// The catalog of bugs the breaker can be switched into.
const (
	// BugUnboundedHalfOpen: a half-open breaker admits every call, not
	// HalfOpenMaxCalls trials, so a recovering downstream takes the whole
	// load at once.
	BugUnboundedHalfOpen Bug = "unbounded-half-open"
	// BugNoGeneration: a result is counted in whatever state the breaker is
	// in when it arrives, not only in the generation that admitted the call:
	// a slow call admitted while closed can close (or open) a breaker that
	// has moved on.
	BugNoGeneration Bug = "no-generation"
)

// Bugs is every bug of the catalog, each with what it breaks.
var Bugs = []struct {
	Bug  Bug
	Does string
}{
	{BugUnboundedHalfOpen, "a half-open breaker admits every call instead of its trial calls"},
	{BugNoGeneration, "late results are counted in the state the breaker has moved to"},
}

// ParseBug returns the bug named s, or an error listing the known ones.
func ParseBug(s string) (Bug, error) {
	names := make([]string, len(Bugs))
	for i, b := range Bugs {
		if string(b.Bug) == s {
			return b.Bug, nil
		}
		names[i] = string(b.Bug)
	}
	return "", fmt.Errorf("%w: unknown bug %q: the breaker's bugs are %s", ErrBadConfig, s, strings.Join(names, ", "))
}

func (c Config) hasBug(b Bug) bool { return slices.Contains(c.Bugs, b) }
