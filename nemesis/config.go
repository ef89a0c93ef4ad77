package nemesis

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
)

// Link classes a toxic may act on (Config.ToxicLinks).
const (
	NodeLinks   = "nodes"   // node→node links
	ClientLinks = "clients" // client→node links
	AllLinks    = "all"     // both
)

// Process-fault targets (Config.Targets).
const (
	TargetOne      = "one"      // one random node
	TargetLeader   = "leader"   // the current leader
	TargetMinority = "minority" // the largest minority, chosen at random
	TargetMajority = "majority" // a smallest majority, chosen at random
	TargetAll      = "all"      // every node: for kill, a whole-cluster crash
)

// MixAll is the fault name that stands for every fault the system offers.
const MixAll = "all"

// Config says which faults the nemesis injects, how often, and within
// which bounds it draws their parameters. Flags and campaign files fill it.
type Config struct {
	// Faults to choose from: names of FaultNames, or MixAll. Empty means
	// no fault at all.
	Faults []string
	// Interval is both how long a fault stays in force and the quiet gap
	// between faults.
	Interval time.Duration
	// Overlap lets a new fault start while others are in force.
	Overlap bool
	// Seed drives every choice: fault kinds, targets, parameters.
	Seed int64

	// Topologies are the partition shapes to choose from.
	Topologies []string
	// Flaps is how many times a flapping link is cut within one fault.
	Flaps int
	// Targets are the process-fault targets to choose from.
	Targets []string
	// ToxicLinks says which links toxics act on: NodeLinks, ClientLinks
	// or AllLinks.
	ToxicLinks string
	// Directions are the toxic directions to choose from: Upstream,
	// Downstream, Both.
	Directions []string

	// Latency is drawn in [LatencyMin, LatencyMax]; jitter in [0, Jitter].
	LatencyMin, LatencyMax, Jitter time.Duration
	// Bandwidth is drawn in [BandwidthMin, BandwidthMax] KB/s.
	BandwidthMin, BandwidthMax int64
	// SlowCloseMax bounds the delay of the slow-close toxic.
	SlowCloseMax time.Duration
	// TimeoutMax bounds when the timeout toxic closes a connection it
	// blackholes; 0 in the draw means "never, until healed".
	TimeoutMax time.Duration
	// ResetPeerMax bounds the delay before reset-peer resets.
	ResetPeerMax time.Duration
	// Slicer: average slice size in [SliceMin, SliceMax] bytes, and a delay
	// between slices up to SliceDelayMax.
	SliceMin, SliceMax int
	SliceDelayMax      time.Duration
	// LimitData closes a connection after [LimitDataMin, LimitDataMax] bytes.
	LimitDataMin, LimitDataMax int64

	// HealTimeout bounds the final heal when Run ends.
	HealTimeout time.Duration
}

// DefaultConfig is partition and latency every 5 s, without overlap, with
// every topology and target, toxics on node links.
func DefaultConfig() Config {
	return Config{
		Faults:        []string{FaultPartition, FaultLatency},
		Interval:      5 * time.Second,
		Seed:          1,
		Topologies:    slices.Clone(TopologyNames()),
		Flaps:         4,
		Targets:       []string{TargetOne, TargetLeader, TargetMinority, TargetMajority, TargetAll},
		ToxicLinks:    NodeLinks,
		Directions:    []string{Upstream, Downstream, Both},
		LatencyMin:    50 * time.Millisecond,
		LatencyMax:    300 * time.Millisecond,
		Jitter:        50 * time.Millisecond,
		BandwidthMin:  1,
		BandwidthMax:  64,
		SlowCloseMax:  2 * time.Second,
		TimeoutMax:    2 * time.Second,
		ResetPeerMax:  500 * time.Millisecond,
		SliceMin:      1,
		SliceMax:      64,
		SliceDelayMax: 2 * time.Millisecond,
		LimitDataMin:  64,
		LimitDataMax:  64 << 10,
		HealTimeout:   30 * time.Second,
	}
}

// ParseFaults parses the --nemesis flag: a comma list of fault names,
// "none" (no fault) or "all".
func ParseFaults(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	var faults []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == MixAll {
			return []string{MixAll}, nil
		}
		if _, ok := faultKinds[name]; !ok {
			return nil, fmt.Errorf("%w: unknown fault %q; valid faults: %s, or all, or none",
				history.ErrBadConfig, name, strings.Join(FaultNames(), ", "))
		}
		if !slices.Contains(faults, name) {
			faults = append(faults, name)
		}
	}
	return faults, nil
}

// Validate reports every problem of c at once, each wrapped in
// history.ErrBadConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{history.ErrBadConfig}, args...)...))
	}
	for _, f := range c.Faults {
		if _, ok := faultKinds[f]; !ok && f != MixAll {
			bad("unknown fault %q; valid faults: %s, or all", f, strings.Join(FaultNames(), ", "))
		}
	}
	if c.Interval <= 0 {
		bad("nemesis interval %s must be positive", c.Interval)
	}
	checkChoices(bad, "topology", c.Topologies, TopologyNames())
	checkChoices(bad, "target", c.Targets, []string{TargetOne, TargetLeader, TargetMinority, TargetMajority, TargetAll})
	checkChoices(bad, "direction", c.Directions, []string{Upstream, Downstream, Both})
	if !slices.Contains([]string{NodeLinks, ClientLinks, AllLinks}, c.ToxicLinks) {
		bad("toxic links %q must be one of nodes, clients, all", c.ToxicLinks)
	}
	if c.Flaps < 1 {
		bad("flaps %d must be at least 1", c.Flaps)
	}
	checkDurations(bad, "latency", c.LatencyMin, c.LatencyMax)
	if c.Jitter < 0 || c.Jitter > c.LatencyMin {
		bad("jitter %s must be between 0 and the minimum latency %s", c.Jitter, c.LatencyMin)
	}
	checkRange(bad, "bandwidth (KB/s)", c.BandwidthMin, c.BandwidthMax, 1)
	checkDurations(bad, "slow-close delay", 0, c.SlowCloseMax)
	checkDurations(bad, "timeout", 0, c.TimeoutMax)
	checkDurations(bad, "reset-peer delay", 0, c.ResetPeerMax)
	checkRange(bad, "slice size", int64(c.SliceMin), int64(c.SliceMax), 1)
	checkDurations(bad, "slice delay", 0, c.SliceDelayMax)
	checkRange(bad, "limit-data bytes", c.LimitDataMin, c.LimitDataMax, 1)
	if c.HealTimeout <= 0 {
		bad("heal timeout %s must be positive", c.HealTimeout)
	}
	return errors.Join(errs...)
}

func checkChoices(bad func(string, ...any), what string, got, valid []string) {
	if len(got) == 0 {
		bad("no %s to choose from; valid: %s", what, strings.Join(valid, ", "))
	}
	for _, g := range got {
		if !slices.Contains(valid, g) {
			bad("unknown %s %q; valid: %s", what, g, strings.Join(valid, ", "))
		}
	}
}

func checkRange(bad func(string, ...any), what string, lo, hi, least int64) {
	if lo < least || hi < lo {
		bad("%s bounds [%d, %d] must satisfy %d <= min <= max", what, lo, hi, least)
	}
}

func checkDurations(bad func(string, ...any), what string, lo, hi time.Duration) {
	if lo < 0 || hi < lo {
		bad("%s bounds [%s, %s] must satisfy 0 <= min <= max", what, lo, hi)
	}
}
