package raftkv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBugKnowsTheCatalog(t *testing.T) {
	for _, b := range Bugs {
		got, err := ParseBug(string(b.Bug))
		require.NoError(t, err)
		assert.Equal(t, b.Bug, got)
		assert.NotEmpty(t, b.Does)
	}
	_, err := ParseBug("stale-reads")
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "stale-read, leader-read")
}

func TestConfigRefusesAnUnknownBug(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ID, cfg.RaftAddr, cfg.ClientAddr, cfg.DataDir = "n1", "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	require.NoError(t, cfg.Validate())
	cfg.Bugs = []Bug{BugStaleRead, "typo"}
	assert.ErrorIs(t, cfg.Validate(), ErrInvalidConfig)
}

func TestClientRouting(t *testing.T) {
	nodes := map[string]string{"n1": "127.0.0.1:1", "n2": "127.0.0.1:2"}
	for _, tc := range []struct {
		routing Routing
		home    string
		ok      bool
	}{
		{"", "", true},
		{RouteLeader, "", true},
		{RouteRandom, "", true},
		{RouteBound, "n2", true},
		{RouteBound, "n9", false},
		{RouteBound, "", false},
		{"nearest", "", false},
	} {
		cfg := DefaultClientConfig()
		cfg.Nodes, cfg.Routing, cfg.Home = nodes, tc.routing, tc.home
		if tc.ok {
			assert.NoError(t, cfg.Validate(), "%s/%s", tc.routing, tc.home)
		} else {
			assert.ErrorIs(t, cfg.Validate(), ErrInvalidConfig, "%s/%s", tc.routing, tc.home)
		}
	}
}

// TestBoundClientAsksItsHomeFirst: a bound client sends every call to its
// node first, even after another node answered as leader, so that a node
// that answers reads itself is asked; a leader-routed client sticks to the
// leader it found.
func TestBoundClientAsksItsHomeFirst(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	node := func(id string, leader bool) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			asked[id]++
			mu.Unlock()
			if !leader {
				w.WriteHeader(http.StatusMisdirectedRequest)
				_ = json.NewEncoder(w).Encode(response{Node: id, Error: codeNotLeader, Leader: "n1"})
				return
			}
			_ = json.NewEncoder(w).Encode(response{Node: id, Value: 7, Found: true})
		}))
	}
	n1, n2 := node("n1", true), node("n2", false)
	defer n1.Close()
	defer n2.Close()
	nodes := map[string]string{"n1": strings.TrimPrefix(n1.URL, "http://"), "n2": strings.TrimPrefix(n2.URL, "http://")}
	for _, tc := range []struct {
		routing Routing
		home    string
		wantN2  int
	}{
		{RouteBound, "n2", 3},
		{RouteLeader, "", 0},
	} {
		clear(asked)
		cfg := DefaultClientConfig()
		cfg.Nodes, cfg.Routing, cfg.Home = nodes, tc.routing, tc.home
		c, err := NewClient(cfg)
		require.NoError(t, err)
		for range 3 {
			v, found, err := c.Read(t.Context(), "x")
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, int64(7), v)
			assert.Equal(t, "n1", c.LastNode(), "the node that answered")
		}
		c.Close()
		assert.Equal(t, tc.wantN2, asked["n2"], "%s: reads sent to n2", tc.routing)
		assert.Equal(t, 3, asked["n1"], "%s: reads answered by the leader", tc.routing)
	}
}
