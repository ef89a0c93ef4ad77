package raft

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

var (
	flagSims = flag.Int("raft.sims", 0,
		"number of randomized simulation schedules to run (default 200, or $FAULTLINE_RAFT_SIMS)")
	flagSeed = flag.Uint64("raft.seed", 0,
		"run only this seed: reproduces a failure of the simulation or a scenario test exactly")
)

// testSeed is the seed a test runs with: -raft.seed when given, else def.
func testSeed(def uint64) uint64 {
	if *flagSeed != 0 {
		return *flagSeed
	}
	return def
}

// simCount is how many schedules TestSimulation runs.
func simCount(t *testing.T) int {
	if *flagSims > 0 {
		return *flagSims
	}
	if v := os.Getenv("FAULTLINE_RAFT_SIMS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("FAULTLINE_RAFT_SIMS=%q: want a positive integer", v)
		}
		return n
	}
	if testing.Short() {
		return 20
	}
	return 200
}

// TestSimulation runs many randomized schedules — crashes, restarts,
// partitions, an unreliable network and client proposals — and checks the
// Raft safety properties (Figure 3 of the paper) after every round:
// Election Safety, Log Matching, Leader Completeness and State Machine
// Safety; and at the end, after healing, that the cluster makes progress and
// every acknowledged proposal is in every node's state.
func TestSimulation(t *testing.T) {
	seeds := []uint64{*flagSeed}
	if *flagSeed == 0 {
		seeds = seeds[:0]
		for i := range simCount(t) {
			seeds = append(seeds, uint64(i+1))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runSimulation(t, seed) })
		if t.Failed() {
			return // one reproducible failure is enough
		}
	}
}

func runSimulation(t *testing.T, seed uint64) *network {
	defer func() {
		// A panic inside the core is a failure like any other: name the seed.
		if p := recover(); p != nil {
			t.Fatalf("seed %d: panic: %v\n%s\nreproduce with: go test ./impl/raft -run '^TestSimulation$' -raft.seed=%d",
				seed, p, debug.Stack(), seed)
		}
	}()
	// The schedule has its own generator, apart from the network's.
	rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
	size := []int{3, 3, 5, 5, 7}[rng.IntN(5)]
	pre, cq := rng.IntN(2) == 0, rng.IntN(2) == 0
	heartbeat := 1 + rng.IntN(3)
	election := heartbeat + 4 + rng.IntN(12)
	maxEntries, maxSize := rng.IntN(8), uint64(0)
	if rng.IntN(4) == 0 {
		maxSize = 1 // one entry per MsgApp
	}
	inflight := 1 + rng.IntN(4)
	nw := newNetwork(t, seed, size, func(c *Config) {
		c.PreVote, c.CheckQuorum = pre, cq
		c.HeartbeatTick, c.ElectionTick = heartbeat, election
		c.MaxEntriesPerMsg, c.MaxSizePerMsg, c.MaxInflightMsgs = maxEntries, maxSize, inflight
	})
	nw.checkLogs = true
	if rng.IntN(3) == 0 {
		nw.snapEvery, nw.keep = 5+uint64(rng.IntN(10)), uint64(rng.IntN(5))
	}
	t.Logf("seed %d: %d nodes, pre-vote %v, check-quorum %v, ticks %d/%d, batch %d/%d, inflight %d, snapshots every %d",
		seed, size, pre, cq, heartbeat, election, maxEntries, maxSize, inflight, nw.snapEvery)
	var proposed []string
	for step := range 300 {
		switch x := rng.IntN(100); {
		case x < 40:
			data := fmt.Sprintf("s%d-%d", seed, step)
			id := nw.ids[rng.IntN(size)]
			if l := nw.leader(); l != None && rng.IntN(4) != 0 {
				id = l
			}
			if nw.propose(id, data) == nil {
				proposed = append(proposed, data)
			}
		case x < 45:
			nw.crash(nw.ids[rng.IntN(size)])
		case x < 50:
			// Figure 8's schedule: leaders die soon after appending.
			if l := nw.leader(); l != None {
				nw.crash(l)
			}
		case x < 58:
			if id := nw.ids[rng.IntN(size)]; !nw.node[id].up() {
				nw.restart(id)
			}
		case x < 60:
			nw.isolate(nw.ids[rng.IntN(size)])
		case x < 63:
			perm := rng.Perm(size)
			k := 1 + rng.IntN(size-1)
			var a, b []string
			for i, p := range perm {
				if i < k {
					a = append(a, nw.ids[p])
				} else {
					b = append(b, nw.ids[p])
				}
			}
			nw.partition(a, b)
		case x < 70:
			nw.heal()
		case x < 75:
			nw.faults = netFaults{drop: 0.2 * rng.Float64(), dup: 0.1 * rng.Float64(),
				maxDelay: rng.IntN(4), reorder: rng.IntN(2) == 0}
		}
		nw.run(1 + rng.IntN(5))
	}
	// Heal everything; the cluster must recover and agree.
	nw.heal()
	for _, id := range nw.ids {
		if !nw.node[id].up() {
			nw.restart(id)
		}
	}
	nw.one(fmt.Sprintf("s%d-final", seed), size, 1000)
	nw.run(20)
	nw.checkConverged()
	acked := nw.checkAcked()
	t.Logf("seed %d: %d proposals, %d acknowledged, %d rounds, %d terms with a leader, %d messages",
		seed, len(proposed), acked, nw.round, len(nw.leaders), nw.messages())
	return nw
}

// The same seed gives the same run, message for message: what makes a
// printed seed worth having.
func TestSimulationIsDeterministic(t *testing.T) {
	seed := testSeed(7)
	a := runSimulation(t, seed)
	b := runSimulation(t, seed)
	assert.Equal(t, a.sent, b.sent)
	assert.Equal(t, a.round, b.round)
	assert.Equal(t, a.leaders, b.leaders)
	for _, id := range a.ids {
		assert.Equal(t, a.node[id].sm, b.node[id].sm)
		assert.Equal(t, a.node[id].storage.HardState(), b.node[id].storage.HardState())
	}
}
