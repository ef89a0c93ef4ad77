package nemesis

import "math/rand/v2"

// drawTimeout blackholes data and closes the connection after up to
// TimeoutMax; a drawn 0 keeps the connection open, silent, until healed.
func drawTimeout(r *rand.Rand, c Config) toxicParams {
	timeout := millis(r, 0, c.TimeoutMax)
	return toxicParams{
		kind:   FaultTimeout,
		typ:    "timeout",
		attrs:  map[string]any{"timeout": timeout},
		record: map[string]any{"timeout_ms": timeout},
	}
}
