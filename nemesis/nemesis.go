package nemesis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/faultline/faultline/history"
)

// Recorder appends fault events to the history. *history.Writer satisfies
// it: it stamps each op with its index and time.
type Recorder interface {
	Append(history.Op) (history.Op, error)
}

// Deps is what a nemesis acts on. Net is needed by network faults,
// Processes by kill and pause, Leader by the faults aimed at the leader;
// Recorder receives every fault start and end (nil records nothing).
type Deps struct {
	Net       *Net
	Nodes     []string // the nodes network faults act on; defaults to Processes.Nodes()
	Processes Processes
	Leader    LeaderFinder
	Recorder  Recorder
	Logger    *slog.Logger
}

// Nemesis injects faults on a schedule drawn from its seed, records them,
// and heals them.
type Nemesis struct {
	cfg        Config
	deps       Deps
	log        *slog.Logger
	nodes      []string
	procNodes  []string // the nodes process faults act on
	kinds      []string
	topologies []string
	targets    []string

	// lock serializes Inject and Heal calls; a channel so that waiting for
	// it respects a context.
	lock chan struct{}
	// procBusy is held by the process fault in force, if any.
	procBusy chan struct{}

	mu     sync.Mutex
	nextID int64
	active map[int64]*activeFault
}

// activeFault is a fault that may be in force.
type activeFault struct {
	id       int64
	fault    Fault
	label    string
	recorded bool // its start is in the history, so its end must be too
}

// New checks cfg against what deps offer and returns a Nemesis. Every
// problem is an history.ErrBadConfig error, found before anything starts.
func New(cfg Config, deps Deps) (*Nemesis, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Nemesis{
		cfg: cfg, deps: deps, log: deps.Logger,
		nodes:    sorted(deps.Nodes),
		lock:     make(chan struct{}, 1),
		procBusy: make(chan struct{}, 1),
		active:   map[int64]*activeFault{},
	}
	if deps.Processes != nil {
		n.procNodes = sorted(deps.Processes.Nodes())
	}
	if len(n.nodes) == 0 {
		n.nodes = n.procNodes
	}
	if len(n.procNodes) == 0 {
		n.procNodes = n.nodes
	}
	kinds, err := n.offeredKinds()
	if err != nil {
		return nil, err
	}
	n.kinds = kinds
	if err := n.narrowChoices(); err != nil {
		return nil, err
	}
	return n, nil
}

// offeredKinds expands MixAll and checks that deps can carry every fault.
func (n *Nemesis) offeredKinds() ([]string, error) {
	var kinds []string
	for _, name := range n.cfg.Faults {
		if name != MixAll {
			kinds = append(kinds, name)
			continue
		}
		for _, k := range FaultNames() {
			if n.canOffer(k) == nil {
				kinds = append(kinds, k)
			}
		}
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	var errs []error
	for _, k := range kinds {
		errs = append(errs, n.canOffer(k))
	}
	if len(kinds) > 0 && len(n.nodes) == 0 {
		errs = append(errs, fmt.Errorf("%w: faults need nodes to act on, and none were given", history.ErrBadConfig))
	}
	return kinds, errors.Join(errs...)
}

func canLosePower(p Processes) bool {
	_, ok := p.(PowerLosser)
	return ok
}

// canOffer says why the deps cannot carry fault kind, or nil.
func (n *Nemesis) canOffer(kind string) error {
	switch {
	case faultKinds[kind].process && n.deps.Processes == nil:
		return fmt.Errorf("%w: fault %q needs a system whose nodes are processes, and this one has none; drop it from the faults of the run",
			history.ErrBadConfig, kind)
	case kind == FaultPowerLoss && !canLosePower(n.deps.Processes):
		return fmt.Errorf("%w: fault %q needs nodes whose storage knows what it fsynced, and this system's do not; drop it from the faults of the run",
			history.ErrBadConfig, kind)
	case !faultKinds[kind].process && n.deps.Net == nil:
		return fmt.Errorf("%w: fault %q needs Toxiproxy links, and this system has none; drop it from the faults of the run",
			history.ErrBadConfig, kind)
	case kind == FaultPartition && len(n.nodes) < 2:
		return fmt.Errorf("%w: fault %q needs at least 2 nodes, have %d", history.ErrBadConfig, kind, len(n.nodes))
	}
	return nil
}

// narrowChoices drops the topologies and targets this cluster cannot
// offer (too few nodes; no way to find the leader).
func (n *Nemesis) narrowChoices() error {
	for _, t := range n.cfg.Topologies {
		if len(n.nodes) >= topologies[t].minNodes && (t != TopologyIsolateLeader || n.deps.Leader != nil) {
			n.topologies = append(n.topologies, t)
		}
	}
	for _, t := range n.cfg.Targets {
		if t != TargetLeader || n.deps.Leader != nil {
			n.targets = append(n.targets, t)
		}
	}
	var errs []error
	if slices.Contains(n.kinds, FaultPartition) && len(n.topologies) == 0 {
		errs = append(errs, fmt.Errorf("%w: none of the topologies %s fits %d nodes (and a leader finder: %t)",
			history.ErrBadConfig, strings.Join(n.cfg.Topologies, ", "), len(n.nodes), n.deps.Leader != nil))
	}
	if slices.ContainsFunc(n.kinds, IsProcessFault) && len(n.targets) == 0 {
		errs = append(errs, fmt.Errorf("%w: no process-fault target is possible: target leader needs a leader finder",
			history.ErrBadConfig))
	}
	return errors.Join(errs...)
}

// Faults returns the faults this nemesis chooses from, MixAll expanded.
func (n *Nemesis) Faults() []string { return slices.Clone(n.kinds) }

// Active describes the faults in force, for a live status line, e.g.
// "partition(halves)#3, latency#4"; "none" when there is none.
func (n *Nemesis) Active() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.active) == 0 {
		return "none"
	}
	ids := make([]int64, 0, len(n.active))
	for id := range n.active {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	labels := make([]string, len(ids))
	for i, id := range ids {
		labels[i] = n.active[id].label
	}
	return strings.Join(labels, ", ")
}

// acquire takes the inject/heal lock, or gives up when ctx ends.
func (n *Nemesis) acquire(ctx context.Context) error {
	select {
	case n.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the fault in progress: %w", ctx.Err())
	}
}

func (n *Nemesis) release() { <-n.lock }
