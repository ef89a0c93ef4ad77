package history

import "errors"

// ErrBadConfig is wrapped by every error that reports a setting of the
// harness that cannot work: a workload's, the nemesis's, a system's or a
// checker's. It lives in this leaf package because every part of the
// harness imports it; the CLI exits 254 for it. Messages name the setting
// (as run.json spells it), not a command-line flag, so that a campaign file
// or a library caller reads them as well as the CLI does. Wrap with
// fmt.Errorf("%w: …", ErrBadConfig) or, where an inner error explains it,
// fmt.Errorf("%w: …: %w", ErrBadConfig, err), so errors.Is sees both.
var ErrBadConfig = errors.New("bad configuration")
