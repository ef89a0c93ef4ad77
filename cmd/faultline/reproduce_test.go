package main

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/builtin"
)

// drawValues are values to draw for every flag of `faultline run` but
// --system (drawn first), --workload and --bug (drawn from the system),
// --seed and --results (never part of the configuration compared).
var drawValues = map[string][]string{
	// The run's own.
	"nemesis": {"partition,kill", "latency", "none", "all", "pause,powerloss"}, "nodes": {"5", "1"},
	"time": {"12s", "1m0s"}, "concurrency": {"4", "16"}, "rate": {"50", "2.5"},
	"op-timeout": {"1s", "750ms"}, "toxiproxy": {"http://127.0.0.1:9"}, "check-timeout": {"30s"},
	"nemesis-interval": {"3s", "1500ms"}, "nemesis-overlap": {"true"}, "recovery-time": {"10s"},
	"shrink-timeout": {"0s", "5s"},
	"latency-min":    {"10ms"}, "latency-max": {"400ms"}, "jitter": {"5ms"},
	"bandwidth-min": {"2"}, "bandwidth-max": {"32"}, "toxic-links": {"clients", "all"},
	"directions": {"upstream", "downstream,both"}, "topologies": {"halves,bridge", "one-way"},
	"targets": {"leader,one", "all"},
	// The systems'.
	"runtime": {"docker", "compose", "process"}, "image": {"other:tag"}, "stack-toxiproxy": {"http://tp:8474"},
	"keys": {"2", "4"}, "ops-per-key": {"50"}, "client-routing": {"leader", "random"}, "think": {"5ms"},
	"lock": {"fenced", "naive"}, "lease": {"2s"}, "hold": {"100ms"}, "acquire-timeout": {"1s"},
	"redis": {"127.0.0.1:6390"}, "redis-container": {"redis"}, "redis-persistence": {"true"},
	"redis-timeout": {"500ms"}, "breaker": {"off"}, "breaker-policy": {"count-window", "time-window"},
	"breaker-timeout": {"2s"}, "call-timeout": {"100ms"}, "failure-rate": {"30"}, "failure-threshold": {"3"},
	"half-open-successes": {"1"}, "half-open-trials": {"2"}, "min-calls": {"5"}, "slow-call": {"50ms"},
	"window": {"5s"}, "window-buckets": {"5"}, "window-size": {"10"}, "etcd-binary": {"/usr/bin/etcd"},
}

// TestReproduceArgsMakeTheSameRun: a configuration written as run.json's
// reproduce line parses through the real run flags into the same
// configuration, both ways the line is made: from the flags the user gave
// (the CLI, campaigns) and from the configuration alone (runs built in
// code, such as detect's). The command lines are drawn at random over
// every system and every flag of `faultline run`, and every flag must have
// been part of a tested line.
func TestReproduceArgsMakeTheSameRun(t *testing.T) {
	reg := builtin.Registry()
	covered := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	tried := 0
	for range 1500 {
		all := reg.All()
		sys := all[r.IntN(len(all))]
		args, used := drawArgs(t, r, sys)
		first := newRunFlagSet(reg)
		if err := first.FlagSet().Parse(append(args, "--seed=9", "--results=somewhere")); err != nil {
			continue
		}
		want, err := first.Config()
		if err != nil {
			continue // a combination that is not a run (say, a bug under another runtime)
		}
		want.Results = runner.DefaultConfig().Results
		given := runArgs(first.FlagSet())
		assert.NotContains(t, given, "--results=somewhere", "the results directory is not part of the run")
		want.Args = nil
		for name, line := range map[string][]string{"given": given, "from the configuration": runner.ReproduceArgs(want)} {
			again := newRunFlagSet(reg)
			require.NoError(t, again.FlagSet().Parse(append(slices.Clone(line), "--seed=9")), "%s: %v", name, line)
			got, err := again.Config()
			require.NoError(t, err, "%s: %v", name, line)
			got.Args = nil
			assert.Equal(t, configJSON(t, want), configJSON(t, got), "%s: args %v, reproduce %v", name, args, line)
		}
		for _, f := range used {
			covered[f] = true
		}
		tried++
	}
	assert.Greater(t, tried, 300, "too few of the drawn command lines were runs to test anything")
	newRunFlagSet(reg).FlagSet().VisitAll(func(f *pflag.Flag) {
		switch f.Name {
		case "seed", "results":
			return
		}
		assert.True(t, covered[f.Name], "no tested command line gave --%s", f.Name)
	})
}

// drawArgs draws a command line for sys: each of the run's flags and of
// sys's own with probability 1/4, a value from drawValues (a flag missing
// there fails the test).
func drawArgs(t *testing.T, r *rand.Rand, sys systems.System) (args, used []string) {
	t.Helper()
	args, used = []string{"--system=" + sys.Name()}, []string{"system"}
	pick := func(name string) {
		var values []string
		switch name {
		case "system", "seed", "results":
			return
		case "workload":
			values = sys.Workloads()
		case "bug":
			for _, b := range bugsOf(sys) {
				values = append(values, b.Name)
			}
		default:
			values = drawValues[name]
		}
		if len(values) == 0 {
			t.Fatalf("--%s has no values to draw: add some to drawValues", name)
		}
		if r.IntN(4) != 0 {
			return
		}
		args = append(args, "--"+name+"="+values[r.IntN(len(values))])
		if name == "bug" && r.IntN(2) == 0 {
			args = append(args, "--bug="+values[r.IntN(len(values))])
		}
		used = append(used, name)
	}
	own := ownFlags(sys)
	newRunFlagSet(builtin.Registry()).FlagSet().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			pick(f.Name)
		}
	})
	own.VisitAll(func(f *pflag.Flag) { pick(f.Name) })
	return args, used
}

func bugsOf(sys systems.System) []systems.Bug {
	if b, ok := sys.(systems.BugCatalog); ok {
		return b.Bugs()
	}
	return nil
}

func configJSON(t *testing.T, c runner.Config) string {
	t.Helper()
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return string(b)
}
