package proc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// state reads the process state letter from /proc (R, S, T for stopped …).
func state(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(t, err)
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return fields[0]
}

func waitState(t *testing.T, pid int, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return state(t, pid) == want }, 5*time.Second, 10*time.Millisecond,
		"process %d never reached state %s", pid, want)
}

func TestPauseResumeKillRestart(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	p := &Process{Name: "sleeper", Path: "/bin/sh", Args: []string{"-c", "echo started; exec sleep 60"},
		LogPath: filepath.Join(t.TempDir(), "sleeper.log")}
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Kill(context.Background()) })
	pid := p.PID()
	require.NotZero(t, pid)
	assert.Error(t, p.Start(), "a running process cannot be started twice")

	require.NoError(t, p.Pause())
	waitState(t, pid, "T")
	assert.True(t, p.Paused())
	require.NoError(t, p.Resume())
	waitState(t, pid, "S")

	require.NoError(t, p.Pause())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.Kill(ctx), "a paused process dies at once")
	assert.False(t, p.Running())
	assert.ErrorIs(t, p.Pause(), ErrNotRunning)
	assert.NoError(t, p.Resume(), "a dead process has nothing to resume: the heal of a pause that found it dead")

	require.NoError(t, p.Start(), "restart after kill")
	assert.NotEqual(t, pid, p.PID())
	require.Eventually(t, func() bool {
		log, err := os.ReadFile(p.LogPath)
		return err == nil && strings.Count(string(log), "started") == 2
	}, 5*time.Second, 10*time.Millisecond, "the log is appended across restarts")
	require.NoError(t, p.Stop(ctx))
	assert.False(t, p.Running())
}

func TestOutputWithoutLogPath(t *testing.T) {
	tests := []struct {
		name string
		out  *bytes.Buffer // nil: Output is left nil and the output discarded
	}{
		{"to the writer", &bytes.Buffer{}},
		{"nil discards", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Process{Name: "echo", Path: "/bin/sh", Args: []string{"-c", "echo out; echo err >&2"}}
			if tt.out != nil {
				p.Output = tt.out
			}
			require.NoError(t, p.Start())
			t.Cleanup(func() { _ = p.Kill(context.Background()) })
			require.Eventually(t, func() bool { return !p.Running() }, 5*time.Second, 10*time.Millisecond)
			if tt.out != nil {
				// Running turns false only once the output has been copied.
				assert.Equal(t, "out\nerr\n", tt.out.String())
			}
		})
	}
}
