package nemesis

import "math/rand/v2"

// drawBandwidth limits throughput to [BandwidthMin, BandwidthMax] KB/s.
func drawBandwidth(r *rand.Rand, c Config) toxicParams {
	rate := between(r, c.BandwidthMin, c.BandwidthMax)
	return toxicParams{
		kind:   FaultBandwidth,
		typ:    "bandwidth",
		attrs:  map[string]any{"rate": rate},
		record: map[string]any{"rate_kbps": rate},
	}
}
