// Package runner runs Faultline tests: one run is a system under test × a
// workload × a nemesis, recorded into a results directory and checked.
//
// [Run] is the whole loop a user starts with `faultline run`: validate the
// configuration (bad input exits 254 before anything starts), create the run
// directory and write run.json, start Toxiproxy (embedded, or the external
// one given, or none when the system brings its own: systems.NetOwner, the
// Raft KV's container runtimes) and the system with every link behind a proxy, drive the
// workload while the nemesis injects faults on its schedule, heal, let the
// system recover and read every key one final time, stop the system, then
// check the history and write summary.json and the HTML reports. The
// verdict maps to the exit codes of DESIGN.md: 0 valid, 1 invalid, 2
// unknown, 254 bad input, 255 the harness itself failed.
//
// Faults are healed and child processes stopped on every path out of a run:
// the end of the time limit, Ctrl-C or SIGTERM (the caller's context), a
// failed step, and a panic inside the harness.
//
// The runner knows no system by name: it looks the run's system up in a
// systems.Registry (Config.Systems; the built-in systems of systems/builtin
// when nil) and talks to it through systems.System, whose contract is in the
// systems package. A Config holds the settings every run shares, with the
// workload's common settings (workloads.Common) embedded, and the system's
// own settings value (Config.Settings); run.json records both, and a
// run.json of the earlier layout, which held every system's settings, still
// loads ([LoadRun]). Errors caused by the user's input wrap
// history.ErrBadConfig, and [ErrorExitCode] maps them to 254.
//
// run.json's reproduce line is the `faultline run` flags that make the run
// again and its seed: the flags the user gave, when the CLI records them
// (Config.Args), else every setting that differs from the defaults, the
// system's own included ([ReproduceArgs]). run.json carries its format
// ([RunFormat]); [LoadRerun] reads a stored run back, exactly as it ran,
// for `faultline rerun`, and refuses a run.json of another format rather
// than guess. [Shrink] cuts an INVALID register run's failing key down to
// the few operations that prove it (checker.Shrink) and writes shrunk.jsonl,
// shrunk.json and shrunk.svg beside the history; [Run] does it itself as an
// INVALID register run ends, within Config.ShrinkTimeout, and rewrites
// report.html to show them (Outcome.Shrunk).
//
// Many runs: [Detect] runs the bug catalogs under their exposures with the
// correct systems as controls (detect.go); [RunCampaign] runs the matrix of
// a campaign file (campaign_file.go parses it with the flags of `faultline
// run`, through [RunFlags], so a campaign entry means what its command
// line means) and writes campaign.json and junit.xml (junit.go) after every
// run; [MergeCampaigns] joins the reports of a campaign's shards.
package runner
