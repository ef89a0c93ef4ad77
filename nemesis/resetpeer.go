package nemesis

import "math/rand/v2"

// drawResetPeer resets connections (TCP RST) up to ResetPeerMax after data
// arrives.
func drawResetPeer(r *rand.Rand, c Config) toxicParams {
	timeout := millis(r, 0, c.ResetPeerMax)
	return toxicParams{
		kind:   FaultResetPeer,
		typ:    "reset_peer",
		attrs:  map[string]any{"timeout": timeout},
		record: map[string]any{"timeout_ms": timeout},
	}
}
