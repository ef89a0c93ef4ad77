package workloads

import (
	"math/rand/v2"

	"github.com/faultline/faultline/history"
)

// Worker is one logical client thread. It keeps Jepsen's process rule: it
// starts as process ID and, after every info outcome, continues as process
// + Concurrency, because its earlier operation may still be in flight.
type Worker struct {
	ID          int
	Process     int
	Concurrency int
	Rand        *rand.Rand
}

// NewWorker returns worker id of concurrency workers under seed.
func NewWorker(seed int64, id, concurrency int) *Worker {
	return &Worker{ID: id, Process: id, Concurrency: concurrency, Rand: WorkerRand(seed, id)}
}

// Completed moves the worker to a new process id if t is info.
func (w *Worker) Completed(t history.Type) {
	if t == history.Info {
		w.Process += w.Concurrency
	}
}
