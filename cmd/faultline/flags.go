package main

import (
	"fmt"
	"os"
	"time"

	"github.com/faultline/faultline/history"
)

// parseDuration parses a duration flag given as a string, with an error
// that says what a duration looks like.
func parseDuration(flag, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a duration (examples: 30s, 2m, 1m30s)", history.ErrBadConfig, flag, s)
	}
	return d, nil
}

// setNodeBinary fills an empty node binary with this executable: the
// Raft KV nodes run as `faultline node` children of the harness.
func setNodeBinary(bin *string) error {
	if *bin != "" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the faultline executable to run nodes: %w", err)
	}
	*bin = exe
	return nil
}
