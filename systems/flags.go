package systems

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/history"

	"github.com/faultline/faultline/workloads"
)

// AddRegisterFlags binds the register workload's settings to --keys,
// --ops-per-key and --client-routing: one declaration for every system that runs the register
// workload (the CLI gives a flag that several systems declare to all of
// them).
func AddRegisterFlags(fs *pflag.FlagSet, s *workloads.RegisterSettings) {
	fs.IntVar(&s.Keys, "keys", s.Keys, "number of keys in use at a time (register workload)")
	fs.IntVar(&s.OpsPerKey, "ops-per-key", s.OpsPerKey, "operations a key gets before the clients move on to fresh keys (0: no limit)")
	fs.StringVar(&s.ClientRouting, "client-routing", s.ClientRouting, "which node a client calls first: bound (worker i to node i mod N), leader or random")
}

// AddLockFlags binds the lock workloads' settings to --hold and --think.
func AddLockFlags(fs *pflag.FlagSet, s *workloads.LockSettings) {
	fs.DurationVar(&s.Hold, "hold", s.Hold, "how long a holder keeps the lock (the critical section)")
	fs.DurationVar(&s.Think, "think", s.Think, "the most a worker waits between critical sections")
}

// AddBugFlag binds a system's bug catalog to a repeatable --bug NAME:
// each value must be one of catalog's names. The flag shows no default,
// since no bug is ever on by default.
func AddBugFlag(fs *pflag.FlagSet, bugs *[]string, catalog []Bug) {
	fs.Var(&bugFlag{bugs: bugs, catalog: catalog}, "bug",
		"run the system with a deliberate bug of its catalog, to prove the checkers catch it (repeatable; `faultline list` names them)")
}

type bugFlag struct {
	bugs    *[]string
	catalog []Bug
}

func (f *bugFlag) String() string { return strings.Join(*f.bugs, ",") }
func (f *bugFlag) Type() string   { return "name" }

// GetSlice, Append and Replace make --bug a pflag.SliceValue: a reproduce
// line gives it once per bug.
var _ pflag.SliceValue = (*bugFlag)(nil)

func (f *bugFlag) GetSlice() []string    { return append([]string(nil), *f.bugs...) }
func (f *bugFlag) Append(s string) error { return f.Set(s) }
func (f *bugFlag) Replace(names []string) error {
	*f.bugs = nil
	for _, s := range names {
		if err := f.Set(s); err != nil {
			return err
		}
	}
	return nil
}

// Set adds the bug named s; an empty s adds nothing (so that a script's
// --bug "$BUG" with BUG unset runs the correct system).
func (f *bugFlag) Set(s string) error {
	if s == "" {
		return nil
	}
	if err := CheckBug(s, f.catalog); err != nil {
		return err
	}
	*f.bugs = append(*f.bugs, s)
	return nil
}

// CheckBug reports, wrapping history.ErrBadConfig, a name that is not in
// the catalog, naming the ones that are.
func CheckBug(name string, catalog []Bug) error {
	names := make([]string, len(catalog))
	for i, b := range catalog {
		if b.Name == name {
			return nil
		}
		names[i] = b.Name
	}
	return fmt.Errorf("%w: unknown bug %q: the bugs of this system are %s", history.ErrBadConfig, name, strings.Join(names, ", "))
}
