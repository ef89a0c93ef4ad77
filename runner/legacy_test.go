package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunDirectoriesOfTheEarlierLayoutStillCheck re-checks run directories
// written by the version before systems had their own settings (run.json
// held the register settings at the top level and every system's under
// "lock" and "breaker"): each loads, and re-checks to the verdict it had.
func TestRunDirectoriesOfTheEarlierLayoutStillCheck(t *testing.T) {
	for _, name := range []string{"raftkv", "redislock", "breaker"} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("testdata", "legacy", name)
			dir := t.TempDir()
			for _, f := range []string{"run.json", "history.jsonl"} {
				b, err := os.ReadFile(filepath.Join(src, f))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
			}
			want, err := os.ReadFile(filepath.Join(src, "verdict"))
			require.NoError(t, err)

			cfg, err := LoadRun(dir, nil)
			require.NoError(t, err)
			assert.Equal(t, name, cfg.System)
			require.NotNil(t, cfg.Settings, "the settings are the system's type, with defaults for what the old run.json lacks")

			sum, err := Check(context.Background(), dir, CheckOptions{}, testLogger(t))
			require.NoError(t, err)
			assert.Equal(t, strings.TrimSpace(string(want)), sum.VerdictLine())
		})
	}
}
