package checker

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

func readLockFixture(t *testing.T, name string) []history.Op {
	t.Helper()
	h, err := history.ReadFile(filepath.Join("testdata", name+".jsonl"))
	require.NoError(t, err)
	return h.Ops
}

func TestLockFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		checker Checker
		want    Validity
		explain string // a part of the explanation
	}{
		{"lock-ok", MutualExclusionChecker{}, Valid, "none overlapping"},
		{"lock-ok", LockModelChecker{}, Valid, "consistent"},
		{"lock-overlap-bad", MutualExclusionChecker{}, Invalid, "process 0 (acquired at op 1"},
		{"lock-overlap-bad", MutualExclusionChecker{}, Invalid, "fault in force: pause"},
		{"lock-overlap-bad", LockModelChecker{}, Invalid, "not consistent"},
		{"lock-info-ok", MutualExclusionChecker{}, Valid, "1 acquires of unknown outcome"},
		{"lock-info-ok", LockModelChecker{}, Valid, ""},
		{"lock-expired-ok", MutualExclusionChecker{}, Valid, ""},
		{"lock-expired-ok", LockModelChecker{}, Valid, ""},
		{"fenced-ok", FencedChecker{}, Valid, "1 stale writes refused"},
		{"fenced-lost-bad", FencedChecker{}, Invalid, "lost update"},
		{"fenced-lost-bad", MutualExclusionChecker{}, Invalid, "process 0"},
		{"fenced-stale-accepted-bad", FencedChecker{}, Invalid, "not linearizable"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.checker.Name(), func(t *testing.T) {
			res := tt.checker.Check(context.Background(), readLockFixture(t, tt.fixture))
			assert.Equal(t, tt.want, res.Valid, res.Explanation)
			assert.Contains(t, res.Explanation, tt.explain)
			assert.Equal(t, tt.checker.Name(), res.Checker)
		})
	}
}

func TestMutualExclusionNamesTheOverlap(t *testing.T) {
	res := MutualExclusionChecker{}.Check(context.Background(), readLockFixture(t, "lock-overlap-bad"))
	d := res.Details.(*MutualExclusionDetails)
	require.Len(t, d.Overlaps, 1)
	o := d.Overlaps[0]
	assert.Equal(t, []int{0, 1}, []int{o.First.Process, o.Second.Process})
	assert.Equal(t, int64(6_000_000), o.From, "from the second holder's ok")
	assert.Equal(t, int64(10_000_000), o.To, "to the first holder's release invoke")
	require.Len(t, o.Faults, 1)
	assert.Contains(t, o.Faults[0], "pause")
}

func TestLockCheckersWithoutWork(t *testing.T) {
	for _, c := range []Checker{MutualExclusionChecker{}, LockModelChecker{}, FencedChecker{}} {
		t.Run(c.Name(), func(t *testing.T) {
			res := c.Check(context.Background(), nil)
			assert.Equal(t, Unknown, res.Valid, "an empty history proves nothing")
		})
	}
}

func TestLockCheckersStopWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []Checker{LockModelChecker{}, FencedChecker{}} {
		t.Run(c.Name(), func(t *testing.T) {
			res := c.Check(ctx, readLockFixture(t, "fenced-ok"))
			assert.NotEqual(t, Valid, res.Valid, "a cancelled check is never valid")
		})
	}
}
