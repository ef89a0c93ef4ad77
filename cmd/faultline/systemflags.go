package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
)

// systemFlags are the flags of every registered system's own settings on
// `faultline run`. The registry says what they are: each system's settings
// add their flags to a flag set of their own. On the run command each
// becomes a hidden flag that keeps what the user typed; the usage lists
// them per system, and settings replays them into a fresh settings value of
// the run's system only, so that nothing of another system reaches the
// run (or its run.json). A flag that two systems declare (the register
// workload's --keys) is one flag, given to whichever system runs.
type systemFlags struct {
	reg   *systems.Registry
	typed map[string]*typedValue
	usage string // the per-system sections of the usage
}

// typedValue keeps the values given to a flag, in order.
type typedValue struct {
	typ, def string
	values   []string
}

func (v *typedValue) String() string { return v.def }
func (v *typedValue) Type() string   { return v.typ }
func (v *typedValue) Set(s string) error {
	v.values = append(v.values, s)
	return nil
}

// GetSlice, Append and Replace make every system flag a pflag.SliceValue:
// the values given, in order, which the reproduce line gives again.
var _ pflag.SliceValue = (*typedValue)(nil)

func (v *typedValue) GetSlice() []string    { return append([]string(nil), v.values...) }
func (v *typedValue) Append(s string) error { return v.Set(s) }
func (v *typedValue) Replace(s []string) error {
	v.values = append([]string(nil), s...)
	return nil
}

// addSystemFlags adds every system's flags to fs. A system flag whose name
// is taken by a flag of the run itself is a programming error.
func addSystemFlags(fs *pflag.FlagSet, reg *systems.Registry) *systemFlags {
	sf := &systemFlags{reg: reg, typed: map[string]*typedValue{}}
	var usage strings.Builder
	for _, sys := range reg.All() {
		own := ownFlags(sys)
		if !own.HasFlags() {
			continue
		}
		fmt.Fprintf(&usage, "\n\nFlags of --system %s:\n%s", sys.Name(), strings.TrimRight(own.FlagUsages(), "\n"))
		own.VisitAll(func(f *pflag.Flag) {
			if _, ok := sf.typed[f.Name]; ok {
				return
			}
			if fs.Lookup(f.Name) != nil {
				panic(fmt.Sprintf("system %s declares --%s, a flag of the run itself", sys.Name(), f.Name))
			}
			v := &typedValue{typ: f.Value.Type(), def: f.DefValue}
			sf.typed[f.Name] = v
			fs.AddFlag(&pflag.Flag{Name: f.Name, Usage: f.Usage, Value: v, DefValue: f.DefValue, NoOptDefVal: f.NoOptDefVal, Hidden: true})
		})
	}
	sf.usage = usage.String()
	return sf
}

// ownFlags is a system's settings, with their defaults, bound to a flag
// set of their own.
func ownFlags(sys systems.System) *pflag.FlagSet {
	fs := pflag.NewFlagSet(sys.Name(), pflag.ContinueOnError)
	sys.NewSettings().AddFlags(fs)
	return fs
}

// settings returns a new settings value of the named system holding its
// defaults and the system flags the user gave. A flag of another system is
// bad input: it would be silently ignored otherwise.
func (sf *systemFlags) settings(system string) (systems.Settings, error) {
	sys, ok := sf.reg.Lookup(system)
	if !ok {
		return nil, nil // the runner reports the unknown system with the valid ones
	}
	settings := sys.NewSettings()
	own := pflag.NewFlagSet(system, pflag.ContinueOnError)
	settings.AddFlags(own)
	for _, name := range sortedKeys(sf.typed) {
		v := sf.typed[name]
		if len(v.values) == 0 {
			continue
		}
		if own.Lookup(name) == nil {
			return nil, fmt.Errorf("%w: --%s is not a flag of --system %s (see the flags of each system in 'faultline run --help')",
				history.ErrBadConfig, name, system)
		}
		for _, s := range v.values {
			if err := own.Set(name, s); err != nil {
				// pflag wraps the value's own error in its words; say it
				// once, naming the flag.
				if err := own.Lookup(name).Value.Set(s); errors.Is(err, history.ErrBadConfig) {
					return nil, fmt.Errorf("%w: --%s: %s", history.ErrBadConfig, name, strings.TrimPrefix(err.Error(), history.ErrBadConfig.Error()+": "))
				}
				return nil, fmt.Errorf("%w: --%s %q: %w", history.ErrBadConfig, name, s, err)
			}
		}
	}
	return settings, nil
}

func sortedKeys(m map[string]*typedValue) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
