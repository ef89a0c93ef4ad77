package nemesis

import "math/rand/v2"

// drawSlicer cuts data into slices of about [SliceMin, SliceMax] bytes,
// with up to SliceDelayMax between them.
func drawSlicer(r *rand.Rand, c Config) toxicParams {
	size := between(r, int64(c.SliceMin), int64(c.SliceMax))
	variation := between(r, 0, size-1) // Toxiproxy needs it below the size
	delay := between(r, 0, c.SliceDelayMax.Microseconds())
	return toxicParams{
		kind:   FaultSlicer,
		typ:    "slicer",
		attrs:  map[string]any{"average_size": size, "size_variation": variation, "delay": delay},
		record: map[string]any{"average_size": size, "size_variation": variation, "delay_us": delay},
	}
}
