package main

import (
	"github.com/spf13/pflag"

	"github.com/faultline/faultline/runner"
)

// addSystemFlags adds the flags of each system's own settings to `run`.
func addSystemFlags(f *pflag.FlagSet, cfg *runner.Config) {
}
