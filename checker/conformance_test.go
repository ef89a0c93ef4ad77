package checker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/history"
)

// conformanceDir is the shared corpus beside the repository:
// <repo>/../shared/conformance/jepsen-etcd, seen from checker/.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "conformance", "jepsen-etcd")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance corpus not found at %s (it lives in the shared directory beside the repository): %v", dir, err)
	}
	return dir
}

// TestConformanceJepsenEtcd checks all 102 Jepsen etcd histories and
// agrees with their known verdicts.
func TestConformanceJepsenEtcd(t *testing.T) {
	dir := conformanceDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	require.NoError(t, err)
	var expected map[string]bool
	require.NoError(t, json.Unmarshal(raw, &expected))
	require.Len(t, expected, 102, "expected.json should list the 102 histories")

	names := make([]string, 0, len(expected))
	for name := range expected {
		names = append(names, name)
	}
	sort.Strings(names)
	c := LinearizableChecker{TimeLimit: 30 * time.Second}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			h, err := history.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			res := c.Check(context.Background(), h.Ops)
			s, err := Check(context.Background(), h.Ops, Options{TimeLimit: 30 * time.Second})
			require.NoError(t, err)
			require.Equal(t, res.Valid, s.Valid, "the CLI's path agrees: %s", s.VerdictLine())
			want := Invalid
			if expected[name] {
				want = Valid
			}
			require.Equal(t, want, res.Valid, res.Explanation)
			if want == Invalid {
				d := res.Details.(*LinearizabilityDetails)
				assert.Equal(t, []string{"r"}, d.FailedKeys)
				require.NotNil(t, d.FirstIllegal, "an invalid history names its illegal operation")
				assert.Contains(t, d.FirstIllegal.Explanation, "key r: ")
			}
		})
	}
}
