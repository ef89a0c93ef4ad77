package nemesis

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Processes is what a system offers for process faults: its nodes run as
// processes that can be killed (SIGKILL) and restarted from their data,
// and paused (SIGSTOP) and resumed (SIGCONT).
//
// Restart of a node that runs and Resume of one that is not paused must
// do nothing: a Kill or Pause that fails — an error, or the run ending
// during the call — may have reached the node all the same, so a fault's
// heal undoes it on every node it was tried on.
type Processes interface {
	Nodes() []string
	Kill(ctx context.Context, node string) error
	Restart(ctx context.Context, node string) error
	Pause(ctx context.Context, node string) error
	Resume(ctx context.Context, node string) error
}

// LeaderFinder tells which node leads now, for faults aimed at the leader.
type LeaderFinder interface {
	Leader(ctx context.Context) (string, error)
}

// TargetNodes returns the nodes a process-fault target picks from order
// (the nodes shuffled by the planner): TargetOne the first, TargetLeader
// the leader, TargetMinority the first ⌊(n-1)/2⌋ (at least one),
// TargetMajority the first ⌊n/2⌋+1, TargetAll every node.
func TargetNodes(target string, order []string, leader string) []string {
	n := len(order)
	var nodes []string
	switch target {
	case TargetLeader:
		nodes = []string{leader}
	case TargetMinority:
		nodes = order[:max(1, (n-1)/2)]
	case TargetMajority:
		nodes = order[:n/2+1]
	case TargetAll:
		nodes = order
	default:
		nodes = order[:1]
	}
	return sorted(nodes)
}

// processFault is a kill or a pause: a start action on each target node,
// undone by an end action on each node it was tried on (a start that
// failed may have taken effect).
type processFault struct {
	kind   string
	target string
	order  []string
	leader LeaderFinder
	start  func(ctx context.Context, node string) error
	end    func(ctx context.Context, node string) error

	mu          sync.Mutex
	nodes       []string // the targets, once resolved
	leaderKnown bool     // false when no leader was found and nodes is the fallback
	leaderNow   string   // the leader when the fault began, "" when unknown
	affected    []string // nodes started and not yet ended
}

// Inject resolves the targets and acts on all of them at once, so that a
// whole-cluster kill is one crash rather than a rolling one.
func (f *processFault) Inject(ctx context.Context) error {
	leader, known := "", true
	if f.target == TargetLeader {
		leader, known = findLeader(ctx, f.leader, f.order)
	}
	now := leader
	if !known || f.target != TargetLeader {
		now = currentLeader(ctx, f.leader, f.order)
	}
	nodes := TargetNodes(f.target, f.order, leader)
	f.mu.Lock()
	f.nodes, f.leaderKnown, f.leaderNow = nodes, known, now
	f.affected = slices.Clone(nodes)
	f.mu.Unlock()
	g, gctx := errgroup.WithContext(ctx)
	for _, node := range nodes {
		g.Go(func() error {
			if err := f.start(gctx, node); err != nil {
				return fmt.Errorf("%s %s: %w", f.kind, node, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// Heal undoes the fault on every node it was tried on; nodes it fails on
// stay for the next Heal.
func (f *processFault) Heal(ctx context.Context) error {
	f.mu.Lock()
	nodes := slices.Clone(f.affected)
	f.mu.Unlock()
	var g errgroup.Group
	for _, node := range nodes {
		g.Go(func() error {
			if err := f.end(ctx, node); err != nil {
				return fmt.Errorf("undoing %s of %s: %w", f.kind, node, err)
			}
			f.mu.Lock()
			f.affected = slices.DeleteFunc(f.affected, func(n string) bool { return n == node })
			f.mu.Unlock()
			return nil
		})
	}
	return g.Wait()
}

// Describe reports the target and the nodes it picked.
func (f *processFault) Describe() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := map[string]any{"target": f.target, "nodes": f.nodes}
	if !f.leaderKnown {
		d["leader_unknown"] = true
	}
	if f.leaderNow != "" {
		d["hit_leader"] = slices.Contains(f.nodes, f.leaderNow)
	}
	return d
}
