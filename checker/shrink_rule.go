package checker

// The rule every candidate of a shrink keeps: a kept operation that
// observed the register keeps an operation that can explain what it saw.
// Without it a stale read could shrink into a read of a value nobody
// wrote, which blames the wrong thing.

// prepare marks the units that nothing in the whole history explains.
// An exempt cas counts as a write, which can take away the explanation of
// a mismatched cas (the register may no longer have been absent), so it
// marks until nothing changes: then the rule keeps the whole history.
func (s *shrinker) prepare() {
	all := s.all()
	s.exempt = make([]bool, len(s.units))
	for changed := true; changed; {
		changed = false
		av := s.available(all)
		for _, i := range all {
			if !s.exempt[i] && !s.explained(i, all, av) {
				s.exempt[i], changed = true, true
			}
		}
	}
}

// observes is the value a unit saw that some write must have written: the
// value an ok read returned, or the value an ok cas expected (absent needs
// no write).
func (u *shrinkUnit) observes() (int64, bool) {
	in, out := u.in(), u.out()
	switch {
	case in.F == FRead && out.Outcome == outcomeOk && out.Read.Set:
		return out.Read.V, true
	case in.F == FCas && out.Outcome == outcomeOk && in.Arg.Set:
		return in.Arg.V, true
	}
	return 0, false
}

// writes says whether a unit may have written the register, given the
// values available: a write may have; a cas that did not fail only when
// what it expected was absent or available — a cas writes only what it
// found, so two cases cannot justify each other — or when it is exempt
// (it succeeded, whatever it expected).
func (s *shrinker) writes(i int, av map[int64]bool) bool {
	in, out := s.units[i].in(), s.units[i].out()
	switch in.F {
	case FWrite:
		return true
	case FCas:
		return out.Outcome != outcomeMismatch && (!in.Arg.Set || av[in.Arg.V] || s.exempt[i])
	}
	return false
}

// available is the set of values the units of set may have written.
func (s *shrinker) available(set []int) map[int64]bool {
	av := make(map[int64]bool, len(set))
	for changed := true; changed; {
		changed = false
		for _, i := range set {
			if v := s.units[i].in().New; !av[v] && s.writes(i, av) {
				av[v], changed = true, true
			}
		}
	}
	return av
}

// explained says whether what unit i observed has an explanation among
// the units of set. A value seen needs a write of it. A cas that failed
// with a mismatch saw some value other than the one it expected, which
// one unknown: it needs a write of another value that began before the
// cas returned — or, when it expected a value, a register that may still
// have been absent (no operation that surely took effect had completed
// before the cas began). Otherwise the shrink would keep the cas but drop
// the write it saw, and blame the cas for seeing nothing.
func (s *shrinker) explained(i int, set []int, av map[int64]bool) bool {
	u := &s.units[i]
	if v, ok := u.observes(); ok {
		return av[v]
	}
	in := u.in()
	if in.F != FCas || u.out().Outcome != outcomeMismatch {
		return true
	}
	mayBeAbsent := in.Arg.Set
	for _, j := range set {
		w := &s.units[j]
		if j == i || !s.writes(j, av) {
			continue
		}
		if (!in.Arg.Set || w.in().New != in.Arg.V) && w.op.Call < u.op.Return {
			return true
		}
		if w.out().Outcome == outcomeOk && w.op.Return < u.op.Call {
			mayBeAbsent = false
		}
	}
	return mayBeAbsent
}

// closure applies the rule to a candidate: it drops every unit that is
// not exempt and whose observation the other kept units do not explain,
// until none is left, since dropping a write or cas can strand the
// operations that saw it.
func (s *shrinker) closure(set []int) []int {
	for {
		av := s.available(set)
		kept := make([]int, 0, len(set))
		for _, i := range set {
			if s.exempt[i] || s.explained(i, set, av) {
				kept = append(kept, i)
			}
		}
		if len(kept) == len(set) {
			return set
		}
		set = kept
	}
}
