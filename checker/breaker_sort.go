package checker

import "slices"

func sortByCompletion(calls []breakerCallRecord) {
	slices.SortFunc(calls, func(a, b breakerCallRecord) int { return int(a.complete.Index - b.complete.Index) })
}

func sortTransitions(ts []breakerTransitionRecord) {
	slices.SortFunc(ts, func(a, b breakerTransitionRecord) int { return int(a.index - b.index) })
}
