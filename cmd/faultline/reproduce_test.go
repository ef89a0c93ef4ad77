package main

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/builtin"
)

// TestReproduceArgsMakeTheSameRun: the flags a user gives `faultline run`,
// written back as run.json's reproduce line, parse through the real run
// flags into the same configuration — system settings (--runtime, --bug,
// --lock, --breaker, …) included. The command lines are drawn at random
// from each system's own settings and the shared ones.
func TestReproduceArgsMakeTheSameRun(t *testing.T) {
	shared := [][]string{
		{"--nemesis=partition,kill", "--nemesis=latency", "--nemesis=none"},
		{"--nodes=5", "--nodes=3"},
		{"--time=12s", "--time=1m0s"},
		{"--concurrency=4"},
		{"--rate=50"},
		{"--op-timeout=1s"},
		{"--nemesis-interval=3s"},
		{"--nemesis-overlap"},
		{"--recovery-time=10s"},
		{"--latency-min=10ms"},
		{"--targets=leader,one"},
		{"--check-timeout=30s"},
	}
	own := map[string][][]string{
		"raftkv": {{"--runtime=docker", "--runtime=compose", "--runtime=process"}, {"--keys=4"}, {"--ops-per-key=50"},
			{"--client-routing=leader"}, {"--image=other:tag"}, {"--bug=stale-read --bug=early-ack", "--bug=no-fsync"}},
		"redislock": {{"--lock=naive", "--lock=fenced"}, {"--lease=2s"}, {"--hold=100ms"}, {"--workload=fenced"},
			{"--bug=token-reuse"}},
		"breaker": {{"--breaker=off"}, {"--bug=no-generation"}},
		"etcd":    {{"--keys=3"}},
		"hraftkv": {{"--keys=2"}, {"--client-routing=random"}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	tried := 0
	for range 300 {
		systems := []string{"raftkv", "redislock", "breaker", "etcd", "hraftkv"}
		sys := systems[r.IntN(len(systems))]
		args := []string{"--system=" + sys}
		for _, group := range append(append([][]string{}, shared...), own[sys]...) {
			if r.IntN(2) == 0 {
				args = append(args, strings.Fields(group[r.IntN(len(group))])...)
			}
		}
		args = append(args, "--seed=9", "--results=somewhere")
		first := newRunFlagSet(builtin.Registry())
		if err := first.FlagSet().Parse(args); err != nil {
			continue
		}
		want, err := first.Config()
		if err != nil {
			continue // a combination that is not a run (say, a lock flag the workload refuses)
		}
		line := runArgs(first.FlagSet())
		assert.NotContains(t, strings.Join(line, " "), "--results", "the results directory is not part of the run")
		want.Args, want.Results = line, runner.DefaultConfig().Results

		again := newRunFlagSet(builtin.Registry())
		require.NoError(t, again.FlagSet().Parse(append(line, "--seed=9")), "%v", line)
		got, err := again.Config()
		require.NoError(t, err, "%v", line)
		got.Args = line
		assert.Equal(t, configJSON(t, want), configJSON(t, got), "args %v, reproduce %v", args, line)
		tried++
	}
	assert.Greater(t, tried, 100, "too few of the drawn command lines were runs to test anything")
}

func configJSON(t *testing.T, c runner.Config) string {
	t.Helper()
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return string(b)
}
