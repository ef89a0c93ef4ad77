package nemesis

import (
	"context"
	"slices"
)

// findLeader asks leader for the current leader among order. When there is
// none to be found (an election in progress, the finder failing, a name
// that is not a node), it falls back to order[0], the node the seed chose,
// and reports that the leader was unknown: the fault still happens, aimed
// at a node the schedule can reproduce.
func findLeader(ctx context.Context, leader LeaderFinder, order []string) (node string, known bool) {
	if leader != nil {
		if l, err := leader.Leader(ctx); err == nil && slices.Contains(order, l) {
			return l, true
		}
	}
	return order[0], false
}

// currentLeader asks leader for the current leader among order, for the
// coverage's "did this fault hit the leader"; "" when there is no finder
// or no leader to be found.
func currentLeader(ctx context.Context, leader LeaderFinder, order []string) string {
	if l, known := findLeader(ctx, leader, order); known {
		return l
	}
	return ""
}
