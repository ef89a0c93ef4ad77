package nemesis

import "math/rand/v2"

// drawLatency delays data by a latency in [LatencyMin, LatencyMax] ± a
// jitter up to Jitter.
func drawLatency(r *rand.Rand, c Config) toxicParams {
	latency := millis(r, c.LatencyMin, c.LatencyMax)
	jitter := min(millis(r, 0, c.Jitter), latency)
	return toxicParams{
		kind:   FaultLatency,
		typ:    "latency",
		attrs:  map[string]any{"latency": latency, "jitter": jitter},
		record: map[string]any{"latency_ms": latency, "jitter_ms": jitter},
	}
}
