package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	junit "github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/systems/builtin"
)

func parseCampaign(t *testing.T, text string) (*runner.Campaign, error) {
	t.Helper()
	reg := builtin.Registry()
	return runner.ParseCampaign([]byte(text), "c.yaml", func() runner.RunFlags { return newRunFlagSet(reg) })
}

func TestCampaignFileMakesTheMatrix(t *testing.T) {
	c, err := parseCampaign(t, `
name: nightly
time: 30s
seeds: [1, 2]
runs:
  - system: raftkv
    nemesis: [partition, kill]
    nemesis_interval: 3s
    bug: [stale-read, early-ack]
  - name: naive
    system: redislock
    lock: naive
    workload: lock
    nemesis: latency
    time: 10s
    seeds: 7
    expect: invalid
`)
	require.NoError(t, err)
	require.Len(t, c.Cases, 3)
	assert.Equal(t, "nightly", c.Name)
	a, b, n := c.Cases[0], c.Cases[1], c.Cases[2]
	assert.Equal(t, []int64{1, 2, 7}, []int64{a.Seed, b.Seed, n.Seed})
	assert.Equal(t, []int{0, 1, 2}, []int{a.Index, b.Index, n.Index})
	assert.Equal(t, "raftkv.register", a.Class)
	assert.Equal(t, "redislock.lock", n.Class)
	assert.Equal(t, checker.Valid, a.Expect)
	assert.Equal(t, checker.Invalid, n.Expect)
	assert.Equal(t, 6, a.Line)
	assert.Equal(t, "naive seed 7", n.Name)
	assert.Equal(t, "faultline run --system=raftkv --nemesis=partition,kill --nemesis-interval=3s --bug=stale-read --bug=early-ack --time=30s --seed 2", b.Command)
	assert.Equal(t, "faultline run --system=redislock --lock=naive --workload=lock --nemesis=latency --time=10s --seed 7", n.Command)

	// The reproduce line, parsed by the real `faultline run` flags, is the
	// same run: what a person pastes from the JUnit report.
	for _, cs := range c.Cases {
		rf := newRunFlagSet(builtin.Registry())
		args := strings.Fields(strings.TrimPrefix(cs.Command, "faultline run "))
		require.NoError(t, rf.FlagSet().Parse(args), cs.Command)
		cfg, err := rf.Config()
		require.NoError(t, err)
		assert.Equal(t, cs.Seed, cfg.Seed)
		got, _ := json.Marshal(cfg.Settings)
		assert.NotEmpty(t, got)
	}
	first := newRunFlagSet(builtin.Registry())
	require.NoError(t, first.FlagSet().Parse(strings.Fields(strings.TrimPrefix(a.Command, "faultline run "))))
	cfg, err := first.Config()
	require.NoError(t, err)
	settings, _ := json.Marshal(cfg.Settings)
	assert.Contains(t, string(settings), `"bugs":["stale-read","early-ack"]`)
	assert.Equal(t, []string{"partition", "kill"}, cfg.Nemesis)
}

func TestCampaignFileErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown top key", "name: x\nruns:\n  - system: raftkv\nparallel: 2\n", "c.yaml:4: unknown key \"parallel\""},
		{"unknown run key", "name: x\nruns:\n  - system: raftkv\n    nemsis: [kill]\n", "c.yaml:4: unknown key \"nemsis\""},
		{"another system's flag", "name: x\nruns:\n  - system: raftkv\n    lock: naive\n", "c.yaml:4: lock: --lock is not a flag of --system raftkv"},
		{"bad duration", "name: x\ntime: soon\nruns:\n  - system: raftkv\n", "c.yaml:2: time: \"soon\""},
		{"bad run duration", "name: x\nruns:\n  - system: breaker\n    time: 5 minutes\n", "c.yaml:4: time: \"5 minutes\""},
		{"unknown system", "name: x\nruns:\n  - system: mongo\n", "c.yaml:3: unknown system \"mongo\""},
		{"unknown fault", "name: x\nruns:\n  - system: raftkv\n    nemesis: [meteor]\n", "c.yaml:4: nemesis: unknown fault \"meteor\""},
		{"bad expect", "name: x\nruns:\n  - system: raftkv\n    expect: maybe\n", "c.yaml:4: expect is valid or invalid"},
		{"bad seed", "name: x\nseeds: [1, two]\nruns:\n  - system: raftkv\n", "c.yaml:2: seeds: \"two\" is not an integer"},
		{"a seed key", "name: x\nruns:\n  - system: raftkv\n    seed: 3\n", "c.yaml:4: \"seed\" is set by the campaign"},
		{"twice", "name: x\nruns:\n  - system: raftkv\n    time: 1s\n    time: 2s\n", "c.yaml:5: \"time\" is given twice"},
		{"no name", "runs:\n  - system: raftkv\n", "has no name"},
		{"no runs", "name: x\n", "has no runs"},
		{"a run that is not a mapping", "name: x\nruns:\n  - raftkv\n", "c.yaml:3: a run is a mapping"},
		{"a bug of no catalog", "name: x\nruns:\n  - system: raftkv\n    bug: slow\n", "unknown bug \"slow\""},
		{"not yaml", "name: [x\n", "c.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCampaign(t, tc.text)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, runner.ExitBadInput, runner.ErrorExitCode(err))
		})
	}
	// Through the CLI: exit 254, nothing run.
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(file, []byte("name: x\nruns:\n  - system: raftkv\n    nemsis: [kill]\n"), 0o644))
	code, _, stderr := cli(t, "campaign", file, "--results", filepath.Join(dir, "results"))
	assert.Equal(t, runner.ExitBadInput, code, stderr)
	assert.Contains(t, stderr, "bad.yaml:4: unknown key")
	assert.NoDirExists(t, filepath.Join(dir, "results"))
	code, _, stderr = cli(t, "campaign", filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, runner.ExitBadInput, code, stderr)
	code, _, stderr = cli(t, "campaign", file, "--shard", "3/2")
	assert.Equal(t, runner.ExitBadInput, code, stderr)
	assert.Contains(t, stderr, "1 ≤ I ≤ N")
}

func TestShardsSplitTheMatrixExactly(t *testing.T) {
	c, err := parseCampaign(t, "name: x\nseeds: [1, 2, 3, 4, 5]\nruns:\n  - system: breaker\n  - system: raftkv\n")
	require.NoError(t, err)
	require.Len(t, c.Cases, 10)
	for _, n := range []int{1, 2, 3, 4, 10} {
		seen := map[int]int{}
		for i := 1; i <= n; i++ {
			cases := c.ShardCases(runner.Shard{I: i, N: n})
			assert.NotEmpty(t, cases)
			for _, cs := range cases {
				seen[cs.Index]++
			}
		}
		assert.Len(t, seen, 10, "shards of %d", n)
		for idx, k := range seen {
			assert.Equal(t, 1, k, "case %d in %d shards of %d", idx, k, n)
		}
	}
}

// TestCampaignRunsReportsAndMerges runs a small real campaign: a correct
// breaker run expected valid (met) and one expected invalid (it is valid,
// so the case fails), whole and in two shards that are then merged. The
// JUnit report is read back with a JUnit parser.
func TestCampaignRunsReportsAndMerges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "small.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`
name: small
time: 2s
runs:
  - system: breaker
    nemesis: none
  - name: wrongly expected invalid
    system: breaker
    nemesis: none
    expect: invalid
`), 0o644))
	results := filepath.Join(dir, "results")
	code, stdout, stderr := cli(t, "campaign", file, "--results", results, "--parallel", "2")
	require.Equal(t, runner.ExitInvalid, code, stdout+stderr)
	assert.Contains(t, stdout, "failed: wrongly expected invalid seed 1 (expected invalid)")
	assert.Contains(t, stdout, "reproduce: faultline run --system=breaker --nemesis=none --time=2s --seed 1")
	campaignDir := lastLineField(t, stdout, "results: ")

	suites, err := junit.IngestFile(filepath.Join(campaignDir, "junit.xml"))
	require.NoError(t, err)
	require.Len(t, suites, 1)
	require.Len(t, suites[0].Tests, 2)
	assert.Equal(t, junit.StatusPassed, suites[0].Tests[0].Status)
	assert.Equal(t, junit.StatusFailed, suites[0].Tests[1].Status)
	assert.Equal(t, "breaker.breaker", suites[0].Tests[1].Classname)
	assert.Contains(t, suites[0].Tests[1].Message, "expected invalid, the verdict is valid")

	rep, err := runner.LoadCampaignReport(campaignDir)
	require.NoError(t, err)
	assert.Equal(t, runner.CaseCounts{Met: 1, Failed: 1}, rep.Counts)
	for _, c := range rep.Cases {
		assert.FileExists(t, filepath.Join(campaignDir, c.Dir, "summary.json"))
	}

	// Two shards, one job each, then merged: the same cases, one exit code.
	var shardDirs []string
	for _, s := range []string{"1/2", "2/2"} {
		code, stdout, stderr := cli(t, "campaign", file, "--results", results, "--shard", s)
		shardDirs = append(shardDirs, lastLineField(t, stdout, "results: "))
		want := map[string]int{"1/2": runner.ExitValid, "2/2": runner.ExitInvalid}[s]
		require.Equal(t, want, code, stdout+stderr)
	}
	code, stdout, stderr = cli(t, "campaign", "merge", "--results", results, shardDirs[0], shardDirs[1])
	require.Equal(t, runner.ExitInvalid, code, stdout+stderr)
	merged, err := runner.LoadCampaignReport(lastLineField(t, stdout, "results: "))
	require.NoError(t, err)
	require.Len(t, merged.Cases, 2)
	assert.Equal(t, []string{runner.CaseMet, runner.CaseFailed}, []string{merged.Cases[0].Outcome, merged.Cases[1].Outcome})
	for _, c := range merged.Cases {
		assert.FileExists(t, filepath.Join(merged.Dir(), c.Dir, "summary.json"), "a merged case links its run")
	}
	suites, err = junit.IngestFile(filepath.Join(merged.Dir(), "junit.xml"))
	require.NoError(t, err)
	require.Len(t, suites[0].Tests, 2)

	// One shard alone: the other's case did not run, so no verdict.
	code, stdout, _ = cli(t, "campaign", "merge", "--results", results, shardDirs[0])
	assert.Equal(t, runner.ExitUnknown, code, stdout)
	assert.Contains(t, stdout, "1 did not run")
	// The same shard twice is refused, as is a directory that holds none.
	code, _, stderr = cli(t, "campaign", "merge", "--results", results, shardDirs[1], shardDirs[1])
	assert.Equal(t, runner.ExitBadInput, code, stderr)
	code, _, stderr = cli(t, "campaign", "merge", "--results", results, dir)
	assert.Equal(t, runner.ExitBadInput, code, stderr)
}

// TestInterruptedCampaignKeepsWhatFinished stops a campaign after its first
// run: that run's verdict stays, the rest are listed as not run, and the
// exit code says there is no verdict.
func TestInterruptedCampaignKeepsWhatFinished(t *testing.T) {
	c, err := parseCampaign(t, "name: stop\ntime: 2s\nseeds: [1, 2, 3]\nruns:\n  - system: breaker\n    nemesis: none\n")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep, err := runner.RunCampaign(ctx, c, runner.CampaignOptions{Results: t.TempDir(), Progress: cancelAfterFirst{cancel}},
		newLogger(&strings.Builder{}, false))
	require.NoError(t, err)
	assert.True(t, rep.Interrupted)
	assert.Equal(t, runner.ExitUnknown, rep.ExitCode())
	assert.Equal(t, runner.CaseMet, rep.Cases[0].Outcome)
	assert.Equal(t, runner.CaseNotRun, rep.Cases[2].Outcome)
	saved, err := runner.LoadCampaignReport(rep.Dir())
	require.NoError(t, err)
	assert.Equal(t, rep.Counts, saved.Counts)
	assert.Positive(t, saved.Counts.NotRun)
	suites, err := junit.IngestFile(filepath.Join(rep.Dir(), "junit.xml"))
	require.NoError(t, err)
	assert.Equal(t, junit.StatusSkipped, suites[0].Tests[2].Status)
}

type cancelAfterFirst struct{ cancel context.CancelFunc }

func (cancelAfterFirst) Started(runner.CampaignCase)               {}
func (cancelAfterFirst) Status(runner.CampaignCase, runner.Status) {}
func (c cancelAfterFirst) Finished(runner.CaseResult)              { c.cancel() }

// lastLineField is the rest of the last line of out that starts with
// prefix, up to the first space.
func lastLineField(t *testing.T, out, prefix string) string {
	t.Helper()
	var v string
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			v, _, _ = strings.Cut(rest, " ")
		}
	}
	require.NotEmpty(t, v, "no line %q in:\n%s", prefix, out)
	return v
}

// TestShippedCampaignsParse keeps campaigns/*.yaml runnable: every run of
// every shipped campaign is a valid `faultline run`.
func TestShippedCampaignsParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "campaigns", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		code, stdout, stderr := cli(t, "campaign", f, "--list")
		assert.Equal(t, runner.ExitValid, code, "%s: %s", f, stderr)
		assert.Contains(t, stdout, "seed 1", f)
	}
}

// TestCampaignOverrides: --set gives a flag to every run (or one system's
// runs) that does not set it itself, and the cases' commands carry it; a
// flag a matching run lacks, or a value that breaks the run, is refused.
func TestCampaignOverrides(t *testing.T) {
	const text = `
name: o
time: 10s
runs:
  - system: raftkv
  - system: raftkv
    runtime: process
    bug: stale-read
  - system: redislock
    nemesis: latency
`
	parse := func(sets ...string) (*runner.Campaign, error) {
		var overrides []runner.Override
		for _, s := range sets {
			o, err := runner.ParseOverride(s)
			require.NoError(t, err, s)
			overrides = append(overrides, o)
		}
		reg := builtin.Registry()
		return runner.ParseCampaign([]byte(text), "c.yaml", func() runner.RunFlags { return newRunFlagSet(reg) }, overrides...)
	}
	c, err := parse("raftkv.runtime=docker", "redislock.redis=127.0.0.1:6379", "time=5s")
	require.NoError(t, err)
	require.Len(t, c.Cases, 3)
	assert.Equal(t, "faultline run --system=raftkv --time=10s --runtime=docker --time=5s --seed 1", c.Cases[0].Command)
	assert.Equal(t, "faultline run --system=raftkv --runtime=process --bug=stale-read --time=10s --time=5s --seed 1", c.Cases[1].Command,
		"a run's own key wins over --set")
	assert.Contains(t, c.Cases[2].Command, "--redis=127.0.0.1:6379")
	assert.NotContains(t, c.Cases[2].Command, "--runtime")

	for _, bad := range [][]string{
		{"raftkv.redis=x"},              // no such flag for raftkv
		{"keys=4"},                      // redislock has no --keys
		{"raftkv.runtime=ship"},         // not a runtime
		{"redislock.redis-container=r"}, // a container without --redis
	} {
		_, err := parse(bad...)
		require.Error(t, err, "%v", bad)
		assert.ErrorIs(t, err, history.ErrBadConfig, "%v", bad)
		assert.Contains(t, err.Error(), "--set", "%v: %v", bad, err)
	}
	for _, bad := range []string{"keys", "=4", ".=1"} {
		_, err := runner.ParseOverride(bad)
		assert.ErrorIs(t, err, history.ErrBadConfig, bad)
	}
}
