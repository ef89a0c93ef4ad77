package workloads

import (
	"fmt"
	"time"

	"github.com/faultline/faultline/history"
)

// Common are the settings every workload shares, whichever system it runs
// against. The runner's configuration embeds them, so they are recorded in
// run.json under these names, and each workload's own configuration embeds
// them too.
type Common struct {
	// Concurrency is the number of workers (logical clients).
	Concurrency int `json:"concurrency"`
	// Rate is the total operations per second; 0 leaves the pace to the
	// workload (as fast as the clients go, unless the workload says
	// otherwise).
	Rate float64 `json:"rate"`
	// OpTimeout is the deadline of each recorded call.
	OpTimeout time.Duration `json:"op_timeout"`
	// Seed drives every random choice of the workload.
	Seed int64 `json:"seed"`
}

// DefaultCommon is ten workers, no rate limit, two seconds per call.
func DefaultCommon() Common {
	return Common{Concurrency: 10, OpTimeout: 2 * time.Second}
}

// Validate reports the first setting that cannot work; it wraps
// history.ErrBadConfig.
func (c Common) Validate() error {
	switch {
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency must be at least 1, got %d", history.ErrBadConfig, c.Concurrency)
	case c.Rate < 0:
		return fmt.Errorf("%w: rate must not be negative, got %g", history.ErrBadConfig, c.Rate)
	case c.OpTimeout <= 0:
		return fmt.Errorf("%w: op_timeout must be positive, got %s", history.ErrBadConfig, c.OpTimeout)
	}
	return nil
}

// FinalProcess is the process id of a run's final phase (the reads after
// the heal): above any id a worker can have used in the timed phase.
const FinalProcess = 1 << 20
