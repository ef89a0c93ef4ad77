package runner

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

func TestDetectPlanCoversEveryCatalogWithControls(t *testing.T) {
	bugs, controls, controlsOf, err := DetectConfig{}.Plan()
	require.NoError(t, err)
	names := make([]string, len(bugs))
	for i, b := range bugs {
		names[i] = b.Name()
		assert.Positive(t, b.Time, "%s has a run time", b.Name())
		assert.NotEmpty(t, controlsOf[b.Name()], "%s has a control", b.Name())
	}
	for _, want := range []string{"raftkv/stale-read", "raftkv/leader-read", "raftkv/early-ack", "raftkv/no-fsync",
		"breaker/unbounded-half-open", "breaker/no-generation", "redislock/token-reuse", "redislock/no-owner-check"} {
		assert.Contains(t, names, want)
	}
	keys := map[string]bool{}
	for _, c := range controls {
		assert.Empty(t, c.Bug, "a control runs without the bug")
		assert.False(t, keys[c.key()], "control %s is run once", c.Name())
		keys[c.key()] = true
	}
	// etcd takes partitions and pauses, not power loss: it controls the
	// Raft KV's bugs where it can take their faults.
	stale := controlsOf["raftkv/stale-read"]
	assert.True(t, slices.ContainsFunc(stale, func(k string) bool { return k[:5] == "etcd|" }), "etcd controls stale-read: %v", stale)
	assert.Len(t, controlsOf["raftkv/no-fsync"], 1, "only the Raft KV takes powerloss")
	assert.Len(t, controlsOf["redislock/token-reuse"], 1, "the lock's exposure needs its own flags: no peer")
}

func TestDetectPlanFiltersAndRefusesUnknownBugs(t *testing.T) {
	bugs, controls, _, err := DetectConfig{Bugs: []string{"token-reuse", "breaker/no-generation"}, Time: 7 * time.Second}.Plan()
	require.NoError(t, err)
	require.Len(t, bugs, 2)
	require.Len(t, controls, 2)
	for _, b := range bugs {
		assert.Equal(t, 7*time.Second, b.Time, "--time replaces the exposure's")
	}
	_, _, _, err = DetectConfig{Bugs: []string{"stale-reads"}}.Plan()
	assert.ErrorIs(t, err, history.ErrBadConfig)
}

func TestDetectRunConfigIsTheExposure(t *testing.T) {
	cfg := DetectConfig{}
	bugs, _, _, err := DetectConfig{Bugs: []string{"redislock/token-reuse"}}.Plan()
	require.NoError(t, err)
	rc, err := cfg.runConfig(bugs[0], 4, t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, "redislock", rc.System)
	assert.Equal(t, "fenced", rc.Workload)
	assert.Equal(t, int64(4), rc.Seed)
	require.NoError(t, rc.resolve().Validate(), "the exposure is a valid run")
	b, err := json.Marshal(rc.Settings)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"token-reuse"`)
	assert.Contains(t, string(b), `"fenced"`)
	assert.Contains(t, bugs[0].Command(4), "--lock=fenced --bug token-reuse --nemesis latency,pause")
	// run.json's reproduce line of a detect run names the bug and the
	// exposure's settings too, though no command line made it.
	line := reproduceCommand(rc)
	for _, want := range []string{"--system=redislock", "--workload=fenced", "--lock=fenced", "--bug=token-reuse", "--nemesis=latency,pause", "--seed 4"} {
		assert.Contains(t, line, want)
	}
}
