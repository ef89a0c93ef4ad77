package nemesis

import "math/rand/v2"

// drawLimitData closes a connection once [LimitDataMin, LimitDataMax]
// bytes have passed.
func drawLimitData(r *rand.Rand, c Config) toxicParams {
	n := between(r, c.LimitDataMin, c.LimitDataMax)
	return toxicParams{
		kind:   FaultLimitData,
		typ:    "limit_data",
		attrs:  map[string]any{"bytes": n},
		record: map[string]any{"bytes": n},
	}
}
