package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCoverageLinesSayWhatEachFaultCovered(t *testing.T) {
	c := Coverage{
		Faults: []FaultCoverage{
			{Fault: "partition", Injected: 2, Total: int64(7 * time.Second), Max: int64(5 * time.Second),
				Ops: OpCounts{Ok: 1234, Fail: 5, Info: 2}},
			{Fault: "pause", Injected: 1, Unhealed: 1, Total: int64(time.Second), Max: int64(time.Second)},
		},
		Missing: []string{"kill"},
	}
	assert.Equal(t, []string{
		"partition: injected 2 times, in force 7s (longest 5s); ops completed meanwhile: 1,234 ok, 5 fail, 2 info; hit the leader 0 of 2",
		"pause: injected 1 time, in force 1s (longest 1s); ops completed meanwhile: 0 ok, 0 fail, 0 info; hit the leader 0 of 1; 1 never healed in the history",
		"kill: requested, never injected",
	}, c.Lines())
}
