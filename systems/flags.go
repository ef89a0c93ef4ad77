package systems

import (
	"github.com/spf13/pflag"

	"github.com/faultline/faultline/workloads"
)

// AddRegisterFlags binds the register workload's settings to --keys and
// --ops-per-key: one declaration for every system that runs the register
// workload (the CLI gives a flag that several systems declare to all of
// them).
func AddRegisterFlags(fs *pflag.FlagSet, s *workloads.RegisterSettings) {
	fs.IntVar(&s.Keys, "keys", s.Keys, "number of keys in use at a time (register workload)")
	fs.IntVar(&s.OpsPerKey, "ops-per-key", s.OpsPerKey, "operations a key gets before the clients move on to fresh keys (0: no limit)")
}

// AddLockFlags binds the lock workloads' settings to --hold and --think.
func AddLockFlags(fs *pflag.FlagSet, s *workloads.LockSettings) {
	fs.DurationVar(&s.Hold, "hold", s.Hold, "how long a holder keeps the lock (the critical section)")
	fs.DurationVar(&s.Think, "think", s.Think, "the most a worker waits between critical sections")
}
