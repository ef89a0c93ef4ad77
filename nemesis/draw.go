package nemesis

import (
	"math/rand/v2"
	"slices"
	"time"
)

// between draws an integer uniformly in [lo, hi].
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

// millis draws a whole number of milliseconds in [lo, hi].
func millis(r *rand.Rand, lo, hi time.Duration) int64 {
	return between(r, lo.Milliseconds(), hi.Milliseconds())
}

// pick draws one element of choices.
func pick[T any](r *rand.Rand, choices []T) T {
	return choices[r.IntN(len(choices))]
}

// shuffled returns a shuffled copy of s.
func shuffled(r *rand.Rand, s []string) []string {
	s = slices.Clone(s)
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}
