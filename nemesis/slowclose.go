package nemesis

import "math/rand/v2"

// drawSlowClose delays the close of a connection by up to SlowCloseMax.
func drawSlowClose(r *rand.Rand, c Config) toxicParams {
	delay := millis(r, 0, c.SlowCloseMax)
	return toxicParams{
		kind:   FaultSlowClose,
		typ:    "slow_close",
		attrs:  map[string]any{"delay": delay},
		record: map[string]any{"delay_ms": delay},
	}
}
