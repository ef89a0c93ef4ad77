package nemesis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

var _ Fault = (*Partition)(nil)

// Partition blackholes the node links a topology cuts, with Toxiproxy's
// timeout toxic at timeout 0: data in the cut direction vanishes, even on
// connections already open, and no connection is refused or closed, as
// when a network drops packets. A flapping partition cuts and restores its
// links Flaps times within Hold.
type Partition struct {
	net      *Net
	id       int64
	topology string
	order    []string
	leader   LeaderFinder
	flaps    int
	hold     time.Duration

	mu          sync.Mutex
	split       Split
	resolved    string // the node isolate-leader isolated
	leaderKnown bool   // false when no leader was found and resolved is the fallback
	leaderNow   string // the leader when the partition began, "" when unknown
	set         toxicSet
	stop        context.CancelFunc
	flapDone    chan struct{}
	flapErr     error
}

// Name is "partition".
func (p *Partition) Name() string { return FaultPartition }

// Inject works out the topology's cuts (asking for the leader where the
// topology needs one; see findLeader for when there is none) and
// blackholes them.
func (p *Partition) Inject(ctx context.Context) error {
	leader, known := p.order[0], true
	if p.topology == TopologyIsolateLeader {
		leader, known = findLeader(ctx, p.leader, p.order)
	}
	split := topologies[p.topology].split(p.order, leader)
	now := leader
	if p.topology != TopologyIsolateLeader || !known {
		now = currentLeader(ctx, p.leader, p.order)
	}
	set := toxicSet{
		net:    p.net,
		name:   fmt.Sprintf("f%d-partition", p.id),
		typ:    "timeout",
		attrs:  map[string]any{"timeout": 0},
		places: blackholePlaces(split.Cuts, linkSet(p.net)),
	}
	p.mu.Lock()
	p.split, p.set, p.resolved, p.leaderKnown, p.leaderNow = split, set, leader, known, now
	p.mu.Unlock()
	if err := set.add(ctx); err != nil {
		return fmt.Errorf("partition %s: %w", p.topology, err)
	}
	if p.topology == TopologyFlapping {
		p.startFlapping(set)
	}
	return nil
}

// startFlapping toggles the cut every hold/(2·flaps) until Heal.
func (p *Partition) startFlapping(set toxicSet) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p.mu.Lock()
	p.stop, p.flapDone = cancel, done
	p.mu.Unlock()
	period := p.hold / time.Duration(2*p.flaps)
	go func() {
		defer close(done)
		t := time.NewTicker(max(period, time.Millisecond))
		defer t.Stop()
		cut := true
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var err error
			if cut {
				err = set.remove(ctx)
			} else {
				err = set.add(ctx)
			}
			if err != nil && ctx.Err() == nil {
				p.mu.Lock()
				p.flapErr = errors.Join(p.flapErr, err)
				p.mu.Unlock()
			}
			cut = !cut
		}
	}()
}

// Heal stops any flapping and removes every blackhole of this partition.
func (p *Partition) Heal(ctx context.Context) error {
	p.mu.Lock()
	stop, done, set := p.stop, p.flapDone, p.set
	p.stop, p.flapDone = nil, nil
	p.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if set.net == nil {
		return nil
	}
	if err := set.remove(ctx); err != nil {
		return fmt.Errorf("healing partition %s: %w", p.topology, err)
	}
	return nil
}

// Describe reports the topology, its groups and cuts.
func (p *Partition) Describe() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := map[string]any{"topology": p.topology}
	if p.split.Groups != nil {
		d["groups"] = p.split.Groups
	}
	cuts := make([]string, len(p.split.Cuts))
	for i, c := range p.split.Cuts {
		cuts[i] = c.String()
	}
	d["cuts"] = cuts
	if p.topology == TopologyIsolateLeader {
		d["leader"] = p.resolved
		if !p.leaderKnown {
			d["leader_unknown"] = true
		}
	}
	if p.topology == TopologyFlapping {
		d["flaps"] = p.flaps
	}
	if p.leaderNow != "" {
		// The leader is hit when it loses a link to some node.
		d["hit_leader"] = slices.ContainsFunc(p.split.Cuts, func(c Cut) bool { return c.From == p.leaderNow || c.To == p.leaderNow })
	}
	return d
}
