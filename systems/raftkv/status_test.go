package raftkv

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/impl/raftkv"
)

// fakeNodes serves one /status per node from httptest servers and builds
// the statuses that ask them.
func fakeNodes(t *testing.T, answers map[string]raftkv.Status, down ...string) *statuses {
	t.Helper()
	s := &statuses{http: &http.Client{}, timeout: time.Second,
		up: func(id string) bool { return !slices.Contains(down, id) },
	}
	for id, st := range answers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/status" {
				http.NotFound(w, r)
				return
			}
			if st.NodeID == "" {
				http.Error(w, "broken", http.StatusInternalServerError)
				return
			}
			_ = json.NewEncoder(w).Encode(st)
		}))
		t.Cleanup(srv.Close)
		s.add(id, strings.TrimPrefix(srv.URL, "http://"))
	}
	return s
}

func TestLeaderIsTheClaimOfTheHighestTerm(t *testing.T) {
	s := fakeNodes(t, map[string]raftkv.Status{
		"n1": {NodeID: "n1", State: "leader", CurrentTerm: 3}, // deposed, has not heard yet
		"n2": {NodeID: "n2", State: "leader", CurrentTerm: 4},
		"n3": {NodeID: "n3", State: "follower", CurrentTerm: 4},
	})
	got, err := s.Leader(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "n2", got)
}

func TestLeaderSkipsNodesThatAreDownOrBroken(t *testing.T) {
	s := fakeNodes(t, map[string]raftkv.Status{
		"n1": {NodeID: "n1", State: "leader", CurrentTerm: 9}, // paused: its claim is stale
		"n2": {},                                              // answers HTTP 500
		"n3": {NodeID: "n3", State: "leader", CurrentTerm: 2},
	}, "n1")
	got, err := s.Leader(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "n3", got)

	_, err = s.Status(t.Context(), "n2")
	assert.ErrorContains(t, err, "HTTP 500")
	_, err = s.Status(t.Context(), "n9")
	assert.ErrorIs(t, err, ErrUnknownNode)
}

func TestWaitLeaderGivesUpWithTheContext(t *testing.T) {
	s := fakeNodes(t, map[string]raftkv.Status{
		"n1": {NodeID: "n1", State: "candidate", CurrentTerm: 5},
		"n2": {NodeID: "n2", State: "follower", CurrentTerm: 5},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := s.WaitLeader(ctx)
	assert.ErrorIs(t, err, ErrNoLeader)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
