package checker

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedHistories checks the simulator the benchmarks rely on: what
// it generates is valid, and a corrupted read is caught on its key.
func TestGeneratedHistories(t *testing.T) {
	spec := genSpec{Seed: 1, Ops: 4000, Keys: 10, Procs: 8, Corrupt: -1, Faults: 500, InfoPct: 2, FailPct: 2}
	ops := genRegisterHistory(spec)
	s, err := Check(context.Background(), ops, DefaultOptions())
	require.NoError(t, err)
	require.Equal(t, Valid, s.Valid, s.VerdictLine())
	assert.Equal(t, 4000, s.Ops.Total)
	assert.Positive(t, s.Ops.Fail)
	assert.Positive(t, s.Ops.Info)
	assert.NotEmpty(t, s.Faults.Windows)

	spec.Corrupt = 700
	s, err = Check(context.Background(), genRegisterHistory(spec), DefaultOptions())
	require.NoError(t, err)
	require.Equal(t, Invalid, s.Valid)
	d := s.Results[0].Details.(*LinearizabilityDetails)
	require.Len(t, d.FailedKeys, 1)
	assert.Equal(t, "read → -1", d.FirstIllegal.Op, d.FirstIllegal.Explanation)
}
