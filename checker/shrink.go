package checker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/faultline/faultline/history"
)

// Defaults of a shrink.
const (
	// DefaultShrinkTimeout bounds a whole shrink.
	DefaultShrinkTimeout = 60 * time.Second
	// DefaultShrinkCheckLimit bounds each porcupine check of a shrink.
	DefaultShrinkCheckLimit = 10 * time.Second
)

// ErrNotInvalid is wrapped by Shrink's error for a history that is not
// known to be invalid: every key is linearizable, or no key could be
// decided in time. There is nothing to shrink.
var ErrNotInvalid = errors.New("history is not known to be invalid")

// ShrinkOptions adjusts Shrink.
type ShrinkOptions struct {
	// Timeout bounds the whole shrink (0: DefaultShrinkTimeout). When it
	// runs out the result is the smallest invalid history found so far,
	// with Minimal false.
	Timeout time.Duration
	// CheckLimit bounds each porcupine check (0: DefaultShrinkCheckLimit),
	// and never goes past Timeout.
	CheckLimit time.Duration
	// Key is the key to shrink. Empty means the non-linearizable key with
	// the fewest operations.
	Key string
}

// Validate reports options that cannot work.
func (o ShrinkOptions) Validate() error {
	if o.Timeout < 0 || o.CheckLimit < 0 {
		return fmt.Errorf("%w: shrink timeout %s and check limit %s must not be negative", ErrOptions, o.Timeout, o.CheckLimit)
	}
	return nil
}

// ShrinkResult is a shrunk register history and how it was found.
type ShrinkResult struct {
	// Key is the key that was shrunk.
	Key string `json:"key"`
	// Before and After count the key's operations that the check sees
	// (fails that observed nothing and reads of unknown outcome are not
	// counted: they cannot matter), before and after the shrink.
	Before int `json:"ops_before"`
	After  int `json:"ops_after"`
	// Ops are the history entries of the kept operations — each one's
	// invoke and completion — in their original order, with their
	// original indexes.
	Ops []history.Op `json:"-"`
	// OriginalIndexes are Ops' indexes in the shrunk history's source.
	OriginalIndexes []int64 `json:"original_indexes"`
	// Minimal is true when removing any one kept operation (with the
	// reads that then lose the write they saw) was checked to leave a
	// linearizable history. It is false when the time bound ran out or a
	// check could not decide.
	Minimal bool `json:"minimal"`
	// TimedOut is true when the time bound stopped the shrink.
	TimedOut bool `json:"timed_out"`
	// Undecided counts the checks of a one-operation removal that ran out
	// of time: each one makes Minimal false.
	Undecided int `json:"undecided_checks,omitempty"`
	// Checks is the number of porcupine checks made.
	Checks int `json:"checks"`
	// Elapsed is how long the shrink took.
	Elapsed time.Duration `json:"-"`
	// Illegal names the operation the shrunk history cannot linearize.
	Illegal *IllegalOp `json:"illegal,omitempty"`
	// Explanation says in one sentence why the shrunk history is not
	// linearizable.
	Explanation string `json:"explanation"`
}

// Shrink reduces a non-linearizable register history to a small set of
// operations on one key that is still not linearizable: delta debugging
// over operations (each one's invoke and completion kept together, their
// real-time order unchanged), then single removals until no one operation
// can go (1-minimal). Every candidate is checked with the register model
// and respects one rule: a kept read keeps a write of the value it read,
// so a stale read never shrinks into a read of a value nobody wrote (see
// closure). It returns an error wrapping ErrNotInvalid when the history is
// not known to be invalid, ErrBadHistory when it breaks the format's
// rules, and ErrOptions for bad options or an unknown Key.
func Shrink(ctx context.Context, ops []history.Op, opts ShrinkOptions) (*ShrinkResult, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	timeout := cmpOr(opts.Timeout, DefaultShrinkTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := newShrinker(ctx, ops, opts)
	if err != nil {
		return nil, err
	}
	res := s.shrink()
	res.Elapsed = time.Since(start)
	return res, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// newShrinker finds the key to shrink and lays out its operations.
func newShrinker(ctx context.Context, ops []history.Op, opts ShrinkOptions) (*shrinker, error) {
	pairs, err := Pairs(ops)
	if err != nil {
		return nil, err
	}
	pops, err := RegisterOperations(pairs)
	if err != nil {
		return nil, err
	}
	byInvoke := make(map[int64]Pair, len(pairs))
	for _, p := range pairs {
		byInvoke[p.Invoke.Index] = p
	}
	s := &shrinker{ctx: ctx, limit: cmpOr(opts.CheckLimit, DefaultShrinkCheckLimit), seen: map[string]porcupine.CheckResult{}}
	parts := partitionByKey(pops)
	if opts.Key != "" {
		i := slices.IndexFunc(parts, func(p []porcupine.Operation) bool { return p[0].Input.(*regInput).Key == opts.Key })
		if i < 0 {
			return nil, fmt.Errorf("%w: key %q has no register operation in the history", ErrOptions, opts.Key)
		}
		parts = parts[i : i+1]
	}
	// The smallest failing key shrinks fastest, and to the fewest operations.
	slices.SortStableFunc(parts, func(a, b []porcupine.Operation) int { return len(a) - len(b) })
	undecided := 0
	for _, part := range parts {
		switch s.check(part) {
		case porcupine.Illegal:
			s.key = part[0].Input.(*regInput).Key
			for _, op := range part {
				s.units = append(s.units, shrinkUnit{pair: byInvoke[op.Metadata.(*opMeta).Invoke], op: op})
			}
			s.prepare()
			return s, nil
		case porcupine.Unknown:
			undecided++
		}
	}
	switch {
	case len(parts) == 0:
		return nil, fmt.Errorf("%w: it has no register operation", ErrNotInvalid)
	case undecided > 0:
		return nil, fmt.Errorf("%w: %d of %d keys could not be decided within the time bound (raise --timeout)", ErrNotInvalid, undecided, len(parts))
	case opts.Key != "":
		return nil, fmt.Errorf("%w: key %q is linearizable", ErrNotInvalid, opts.Key)
	}
	return nil, fmt.Errorf("%w: all %d keys are linearizable", ErrNotInvalid, len(parts))
}

// shrink runs the reduction and describes what it kept.
func (s *shrinker) shrink() *ShrinkResult {
	kept := s.reduce()
	res := &ShrinkResult{
		Key: s.key, Before: len(s.units), After: len(kept), Checks: s.checks,
		TimedOut: s.timedOut, Undecided: s.undecided, Minimal: s.minimal,
	}
	for _, op := range s.entries(kept) {
		res.Ops = append(res.Ops, op)
		res.OriginalIndexes = append(res.OriginalIndexes, op.Index)
	}
	res.Illegal, res.Explanation = s.explain(kept)
	return res
}

// entries are the history entries of the kept units, in history order.
func (s *shrinker) entries(kept []int) []history.Op {
	var out []history.Op
	for _, i := range kept {
		p := s.units[i].pair
		out = append(out, p.Invoke)
		if !p.Open {
			out = append(out, p.Completion)
		}
	}
	slices.SortFunc(out, func(a, b history.Op) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// Line says in one line what the shrink did: "key 18: 317 operations
// shrunk to 3 in 132ms (168 checks; 1-minimal)".
func (r *ShrinkResult) Line() string {
	minimal := "1-minimal"
	switch {
	case r.TimedOut:
		minimal = "not shown 1-minimal: the time bound ran out (faultline shrink --timeout gives it longer)"
	case !r.Minimal:
		minimal = fmt.Sprintf("not shown 1-minimal: %d checks of a removal could not decide in time", r.Undecided)
	}
	return fmt.Sprintf("key %s: %d operations shrunk to %d in %s (%d checks; %s)",
		r.Key, r.Before, r.After, formatNanos(int64(r.Elapsed)), r.Checks, minimal)
}
