package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/builtin"
)

// panicky is a system whose start panics, as a bug in an adapter would.
type panicky struct{ memSystem }

func (panicky) Name() string { return "panicky" }
func (panicky) Start(context.Context, *systems.Env) (systems.Target, error) {
	panic("adapter bug")
}

func TestAPanicInTheHarnessEndsAsAFailureNotACrash(t *testing.T) {
	reg := builtin.Registry()
	require.NoError(t, reg.Register(panicky{}))
	cfg := DefaultConfig()
	cfg.Systems, cfg.System, cfg.Nemesis, cfg.Results = reg, "panicky", nil, t.TempDir()
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
