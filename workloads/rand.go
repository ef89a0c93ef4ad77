package workloads

import "math/rand/v2"

// Streams of randomness derived from a run's seed. Each consumer gets its
// own generator, so that adding a worker or a fault does not shift the
// choices of the others.
const (
	streamWorker  = 0x776f726b // "work"
	streamGeneric = 0x67656e   // "gen"
)

// WorkerRand is the random source of worker w under seed.
func WorkerRand(seed int64, w int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), streamWorker<<32|uint64(w)))
}

// StreamRand is a random source for a named consumer other than a worker
// (stream is any constant the consumer owns).
func StreamRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), streamGeneric<<32^stream))
}
