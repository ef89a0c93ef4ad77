package main

import (
	"io"
	"strconv"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/builtin"
)

// TestTheDefaultsTheCLIShowsAreTheOnesTheRunUses builds `faultline run`'s
// flags as the CLI does and, for every system, requires that (1) no flags
// give runner.DefaultConfig with the system's NewSettings, and (2) every
// flag given its shown default (the --help value) gives that same
// configuration: the help cannot advertise a default the run does not use.
func TestTheDefaultsTheCLIShowsAreTheOnesTheRunUses(t *testing.T) {
	reg := builtin.Registry()
	for _, sys := range reg.All() {
		t.Run(sys.Name(), func(t *testing.T) {
			want := runner.DefaultConfig()
			want.System, want.Settings = sys.Name(), sys.NewSettings()

			none := parseRunFlags(t, "--system", sys.Name())
			want.Seed = none.Seed // random by default, shown as the value drawn
			assert.Equal(t, want, none, "no flags")

			shown := []string{"--system", sys.Name()}
			cmd := newRunCmd(io.Discard, io.Discard, &cliState{}, reg)
			own := ownFlags(sys)
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if f.Name == "system" || f.Name == "help" || f.Hidden && own.Lookup(f.Name) == nil {
					return
				}
				shown = append(shown, "--"+f.Name+"="+f.DefValue)
			})
			assert.Equal(t, none, parseRunFlags(t, append(shown, "--seed", strconv.FormatInt(none.Seed, 10))...), "every flag at the default --help shows: %v", shown)
		})
	}
}

// parseRunFlags parses args as `faultline run` does and returns the run's
// configuration.
func parseRunFlags(t *testing.T, args ...string) runner.Config {
	t.Helper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	rf := addRunFlags(fs, builtin.Registry())
	fs.Bool("verbose", false, "")
	require.NoError(t, fs.Parse(args))
	cfg, err := rf.config()
	require.NoError(t, err)
	cfg.Systems = nil
	return cfg
}
