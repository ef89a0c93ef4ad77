package nemesis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// HealAll undoes every fault this nemesis has in force, in a safe order:
// paused processes are resumed before killed ones are restarted (a node
// must not stay frozen while the cluster comes back), then the network
// faults are healed, then every toxic this nemesis's Net added is removed
// and every proxy of the run enabled. Each healed fault's end is recorded.
// It is idempotent and safe to call from a deferred cleanup or a signal
// handler while Run is still going; faults that cannot be healed are
// reported in the error and stay for the next call.
func (n *Nemesis) HealAll(ctx context.Context) error {
	if err := n.acquire(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrHealFailed, err)
	}
	defer n.release()
	n.mu.Lock()
	faults := make([]*activeFault, 0, len(n.active))
	for _, af := range n.active {
		faults = append(faults, af)
	}
	n.mu.Unlock()
	slices.SortFunc(faults, func(a, b *activeFault) int {
		return cmp.Or(cmp.Compare(healRank(a.fault.Name()), healRank(b.fault.Name())), cmp.Compare(a.id, b.id))
	})
	var errs []error
	for _, af := range faults {
		errs = append(errs, n.heal(ctx, af.id))
	}
	if n.deps.Net != nil {
		errs = append(errs, n.deps.Net.HealAll(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrHealFailed, err)
	}
	return nil
}

// healRank orders healing: resume, then restart, then the network.
func healRank(fault string) int {
	switch fault {
	case FaultPause:
		return 0
	case FaultKill, FaultPowerLoss:
		return 1
	}
	return 2
}

// HealExternal removes every toxic and enables every proxy on the
// Toxiproxy at url (all of its proxies, not only one run's): the clean-up
// after a run that crashed and left faults behind.
func HealExternal(ctx context.Context, url string) error {
	n, err := Connect(ctx, url)
	if err != nil {
		return err
	}
	if _, err := call(ctx, n, "resetting every proxy", func() (struct{}, error) {
		return struct{}{}, n.client.ResetState()
	}); err != nil {
		return fmt.Errorf("%w: %w", ErrHealFailed, err)
	}
	proxies, err := call(ctx, n, "listing proxies", n.client.Proxies)
	if err != nil {
		return fmt.Errorf("%w: checking the reset: %w", ErrHealFailed, err)
	}
	var left []string
	for name, p := range proxies {
		if len(p.ActiveToxics) > 0 || !p.Enabled {
			left = append(left, name)
		}
	}
	if len(left) > 0 {
		slices.Sort(left)
		return fmt.Errorf("%w: proxies still faulted after a reset of %s: %v", ErrHealFailed, url, left)
	}
	return nil
}
