package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckAgreesWithTheJepsenCorpus runs `faultline check FILE` on every
// history of ../shared/conformance/jepsen-etcd and expects the exit code of
// its known verdict: 0 for linearizable, 1 for not.
func TestCheckAgreesWithTheJepsenCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "conformance", "jepsen-etcd")
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if os.IsNotExist(err) {
		t.Skip("the shared conformance corpus is not beside the repository")
	}
	require.NoError(t, err)
	var expected map[string]bool
	require.NoError(t, json.Unmarshal(b, &expected))
	require.Len(t, expected, 102)
	for name, linearizable := range expected {
		t.Run(name, func(t *testing.T) {
			want := 1
			if linearizable {
				want = 0
			}
			code, stdout, stderr := cli(t, "check", filepath.Join(dir, name))
			assert.Equal(t, want, code, "stdout: %s\nstderr: %s", stdout, stderr)
		})
	}
}
