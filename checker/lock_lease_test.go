package checker

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// lockOps builds a lock history from (ms, process, type, f, value) rows,
// the acquires asking for a lease of leaseMS (0: none recorded).
type lockRow struct {
	ms      int64
	process int
	typ     history.Type
	f       string
	value   string
}

func lockOps(leaseMS int64, rows ...lockRow) []history.Op {
	ops := make([]history.Op, len(rows))
	for i, r := range rows {
		op := history.Op{Index: int64(i), Time: r.ms * 1_000_000, Process: r.process, Type: r.typ, F: r.f}
		if r.process >= 0 {
			op.Key = "lock"
		}
		switch {
		case r.value != "":
			op.Value = json.RawMessage(r.value)
		case r.f == "acquire" && r.typ == history.Invoke && leaseMS > 0:
			op.Value = json.RawMessage(`{"lease_ns":` + itoa(leaseMS*1_000_000) + `}`)
		}
		ops[i] = op
	}
	return ops
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

const inv, ok, fail = history.Invoke, history.Ok, history.Fail

// A holder paused past its 300 ms lease: the next holder's grant comes
// after the lease ran out. Beliefs overlap; the server never granted twice.
func pausedHolder(leaseMS int64) []history.Op {
	return lockOps(leaseMS,
		lockRow{0, 0, inv, "acquire", ""},
		lockRow{1, 0, ok, "acquire", ""},
		lockRow{2, -1, history.Info, "pause", `{"id":1,"nodes":["c0"]}`},
		lockRow{100, 1, inv, "acquire", ""},
		lockRow{302, 1, ok, "acquire", ""},
		lockRow{400, -1, history.Info, "resume", `{"id":1}`},
		lockRow{401, 0, inv, "release", ""},
		lockRow{402, 0, fail, "release", ""},
		lockRow{450, 1, inv, "release", ""},
		lockRow{451, 1, ok, "release", ""},
	)
}

func TestLeaseCheckerTellsAnExpiredLeaseFromADoubleGrant(t *testing.T) {
	ctx := context.Background()
	h := pausedHolder(300)
	assert.Equal(t, Invalid, MutualExclusionChecker{}.Check(ctx, h).Valid, "the beliefs overlap")
	res := LeaseChecker{}.Check(ctx, h)
	assert.Equal(t, Valid, res.Valid, res.Explanation)
	assert.Equal(t, 2, res.Details.(*LeaseDetails).Holds)

	// The paused holder's release deleted the next holder's lock (no
	// owner check), and a third process got it while the second's lease
	// surely ran: the server granted it twice.
	// Both spun for a while before the attempt that won: the acquire's
	// ok says when that attempt was sent.
	double := lockOps(300,
		lockRow{0, 0, inv, "acquire", ""},
		lockRow{1, 0, ok, "acquire", `{"token":1,"sent":0}`},
		lockRow{100, 1, inv, "acquire", ""},
		lockRow{302, 1, ok, "acquire", `{"token":2,"sent":301000000}`},
		lockRow{400, 0, inv, "release", ""},
		lockRow{401, 0, ok, "release", ""},
		lockRow{350, 2, inv, "acquire", ""},
		lockRow{402, 2, ok, "acquire", `{"token":3,"sent":401000000}`},
		lockRow{500, 1, inv, "release", ""},
		lockRow{501, 1, fail, "release", ""},
		lockRow{600, 2, inv, "release", ""},
		lockRow{601, 2, ok, "release", ""},
	)
	sortByTime(double)
	res = LeaseChecker{}.Check(ctx, double)
	require.Equal(t, Invalid, res.Valid, res.Explanation)
	assert.Contains(t, res.Explanation, "granted twice within its lease")
	d := res.Details.(*LeaseDetails)
	require.Len(t, d.Overlaps, 1)
	assert.Equal(t, []int{1, 2}, []int{d.Overlaps[0].First.Process, d.Overlaps[0].Second.Process})
	assert.Equal(t, int64(402_000_000), d.Overlaps[0].From)
	assert.JSONEq(t, "2", string(d.Overlaps[0].First.Token), "the token is read out of the ok value")

	s, err := Check(ctx, double, Options{Workload: "lock", Checkers: []Checker{LeaseChecker{}}})
	require.NoError(t, err)
	at, found := s.FirstAnomaly()
	require.True(t, found)
	assert.Equal(t, int64(402_000_000), at, "the first anomaly is the second grant")
}

func TestLeaseCheckerExcusesACrashAndNeedsTheLease(t *testing.T) {
	ctx := context.Background()
	// The server was killed between the grants: without persistence it
	// forgets its keys, which is not a double grant by the lock.
	crashed := lockOps(300,
		lockRow{0, 0, inv, "acquire", ""},
		lockRow{1, 0, ok, "acquire", ""},
		lockRow{10, -1, history.Info, "kill", `{"id":1,"nodes":["redis"]}`},
		lockRow{20, 1, inv, "acquire", ""},
		lockRow{30, 1, ok, "acquire", ""},
		lockRow{40, -1, history.Info, "start", `{"id":1}`},
		lockRow{100, 0, inv, "release", ""},
		lockRow{101, 0, fail, "release", ""},
		lockRow{200, 1, inv, "release", ""},
		lockRow{201, 1, ok, "release", ""},
	)
	res := LeaseChecker{}.Check(ctx, crashed)
	assert.Equal(t, Valid, res.Valid, res.Explanation)
	assert.Contains(t, res.Explanation, "after a crash")

	res = LeaseChecker{}.Check(ctx, pausedHolder(0))
	assert.Equal(t, Unknown, res.Valid, "a history without the lease cannot be checked")
	assert.Contains(t, res.Explanation, "lease_ns")
	assert.Equal(t, Unknown, LeaseChecker{}.Check(ctx, nil).Valid)
}

func sortByTime(ops []history.Op) {
	for i := 1; i < len(ops); i++ {
		for j := i; j > 0 && ops[j].Time < ops[j-1].Time; j-- {
			ops[j], ops[j-1] = ops[j-1], ops[j]
		}
	}
	for i := range ops {
		ops[i].Index = int64(i)
	}
}
