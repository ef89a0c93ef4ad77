package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// panicky is a system whose start panics, as a bug in an adapter would.
type panicky struct{}

func (panicky) Name() string        { return "panicky" }
func (panicky) Describe() string    { return "panics on start" }
func (panicky) Workloads() []string { return []string{"register"} }
func (panicky) Faults() []string    { return []string{"partition", "latency"} }
func (panicky) Start(context.Context, *Env) (Target, error) {
	panic("adapter bug")
}

func TestAPanicInTheHarnessEndsAsAFailureNotACrash(t *testing.T) {
	Systems["panicky"] = panicky{}
	t.Cleanup(func() { delete(Systems, "panicky") })
	cfg := DefaultConfig()
	cfg.System, cfg.Results = "panicky", t.TempDir()
	out, err := Run(context.Background(), cfg, testLogger(t))
	require.Error(t, err)
	assert.Nil(t, out)
	assert.Contains(t, err.Error(), "adapter bug")
	assert.Equal(t, ExitHarness, ErrorExitCode(err))

	b, err := os.ReadFile(filepath.Join(cfg.Results, "latest", "run.json"))
	require.NoError(t, err)
	var meta struct{ Status, Error string }
	require.NoError(t, json.Unmarshal(b, &meta))
	assert.Equal(t, "failed", meta.Status)
	assert.NoFileExists(t, filepath.Join(cfg.Results, "latest", "summary.json"), "a failed run must not look complete")
}
