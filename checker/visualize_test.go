package checker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// pageData is the part of porcupine's embedded data the tests look at.
type pageData struct {
	Partitions []struct {
		History []struct {
			ClientId    int
			Description string
		}
		PartialLinearizations [][]struct{ Index int }
	}
	Annotations []struct {
		Tag         string
		Description string
	}
}

var dataLine = regexp.MustCompile(`(?m)^\s*const data = (.*)$`)

func writePage(t *testing.T, ops []history.Op, opts Options) (string, pageData) {
	t.Helper()
	s, err := Check(context.Background(), ops, opts)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "linearizability.html")
	require.NoError(t, s.WriteLinearizability(context.Background(), path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	m := dataLine.FindSubmatch(raw)
	require.NotNil(t, m, "the page embeds porcupine's data")
	var d pageData
	require.NoError(t, json.Unmarshal(m[1], &d))
	return string(raw), d
}

func shownOps(d pageData) int {
	n := 0
	for _, p := range d.Partitions {
		n += len(p.History)
	}
	return n
}

func TestWriteLinearizability(t *testing.T) {
	t.Run("small history shows everything with fault annotations", func(t *testing.T) {
		page, d := writePage(t, readFixture(t, "with-faults-bad"), DefaultOptions())
		assert.Equal(t, 2, shownOps(d))
		require.Len(t, d.Annotations, 1)
		assert.Equal(t, "nemesis", d.Annotations[0].Tag)
		assert.Equal(t, "partition", d.Annotations[0].Description)
		assert.Contains(t, page, "linearizability: invalid. Showing 2 of 2 operations on 1 of 1 keys.")
	})
	t.Run("large history shows the failed key first", func(t *testing.T) {
		ops := genRegisterHistory(genSpec{Seed: 3, Ops: 3000, Keys: 20, Procs: 8, Corrupt: 900, Faults: 400, InfoPct: 2, FailPct: 2})
		opts := DefaultOptions()
		opts.MaxVisualizedOps = 500
		page, d := writePage(t, ops, opts)
		assert.LessOrEqual(t, shownOps(d), 500)
		assert.Positive(t, shownOps(d))
		assert.Contains(t, page, "Keys not linearizable: ")
		assert.Contains(t, page, "Left out: ")
		assert.Contains(t, page, "read → -1", "the corrupted read is on the page")
		assert.NotEmpty(t, d.Annotations)
	})
	t.Run("one long failed key is cut to a window around its illegal op", func(t *testing.T) {
		ops := genRegisterHistory(genSpec{Seed: 4, Ops: 2000, Keys: 1, Procs: 6, Corrupt: 600, FailPct: 2})
		opts := DefaultOptions()
		opts.MaxVisualizedOps = 300
		page, d := writePage(t, ops, opts)
		assert.LessOrEqual(t, shownOps(d), 300)
		assert.Contains(t, page, "Key k0 alone has")
		assert.Contains(t, page, "read → -1")
	})
	t.Run("one long valid key shows its first operations", func(t *testing.T) {
		ops := genRegisterHistory(genSpec{Seed: 7, Ops: 1500, Keys: 1, Procs: 6, Corrupt: -1, InfoPct: 2, FailPct: 2})
		opts := DefaultOptions()
		opts.MaxVisualizedOps = 200
		page, d := writePage(t, ops, opts)
		assert.LessOrEqual(t, shownOps(d), 200)
		assert.Contains(t, page, "showing its first 200")
		require.Len(t, d.Partitions, 1)
		longest := 0
		for _, l := range d.Partitions[0].PartialLinearizations {
			longest = max(longest, len(l))
		}
		assert.Equal(t, shownOps(d), longest, "a prefix of a valid key is linearizable from the absent value")
	})
	t.Run("empty history", func(t *testing.T) {
		_, d := writePage(t, nil, DefaultOptions())
		assert.Zero(t, shownOps(d))
	})
	t.Run("valid large history shows the first keys", func(t *testing.T) {
		ops := genRegisterHistory(genSpec{Seed: 5, Ops: 2000, Keys: 10, Procs: 6, Corrupt: -1, InfoPct: 2, FailPct: 2})
		opts := DefaultOptions()
		opts.MaxVisualizedOps = 450
		page, d := writePage(t, ops, opts)
		assert.LessOrEqual(t, shownOps(d), 450)
		assert.Contains(t, page, "Every key is linearizable")
	})
}

func TestWriteLinearizabilityNeedsRegister(t *testing.T) {
	ops := []history.Op{
		{Index: 0, Process: 1, Type: history.Invoke, F: "acquire"}, {Index: 1, Time: 5, Process: 1, Type: history.Ok, F: "acquire"},
	}
	s, err := Check(context.Background(), ops, Options{Workload: "lock", Checkers: []Checker{fixedChecker{Valid}}})
	require.NoError(t, err)
	err = s.WriteLinearizability(context.Background(), filepath.Join(t.TempDir(), "l.html"))
	require.ErrorIs(t, err, ErrNoLinearization)
}

func TestAssignLanes(t *testing.T) {
	ops := genRegisterHistory(genSpec{Seed: 6, Ops: 500, Keys: 3, Procs: 4, Corrupt: -1, InfoPct: 2, FailPct: 2})
	pairs, err := Pairs(ops)
	require.NoError(t, err)
	pops, err := RegisterOperations(pairs)
	require.NoError(t, err)
	assignLanes(pops)
	lanes := map[int]bool{}
	for i, a := range pops {
		lanes[a.ClientId] = true
		for _, b := range pops[i+1:] {
			if a.ClientId == b.ClientId {
				assert.True(t, a.Return < b.Call || b.Return < a.Call, "ops sharing lane %d overlap", a.ClientId)
			}
		}
	}
	assert.Less(t, len(lanes), 4+50, "lanes are reused (4 workers, a few open infos)")
}
