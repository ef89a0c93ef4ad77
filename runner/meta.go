package runner

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/systems"
	"github.com/faultline/faultline/systems/builtin"
)

// RunFormat names the layout of run.json that this version writes and that
// `faultline rerun` can repeat exactly. A run.json without it was written
// by an older version (or another tool).
const RunFormat = "faultline-run/1"

// runMeta is run.json: everything needed to reproduce the run, and how far
// it got.
type runMeta struct {
	Format    string     `json:"format"`
	ID        string     `json:"id"`
	Status    string     `json:"status"` // running, complete, interrupted, failed
	Error     string     `json:"error,omitempty"`
	Started   time.Time  `json:"started"`
	Ended     *time.Time `json:"ended,omitempty"`
	Config    Config     `json:"config"`
	Seed      int64      `json:"seed"`
	Reproduce string     `json:"reproduce"`
	// Args are the `faultline run` flags of the reproduce line, without
	// --seed: what a rerun gives again.
	Args []string `json:"args"`
	// Repeats is the id of the run this one repeats (`faultline rerun`).
	Repeats      string            `json:"repeats,omitempty"`
	Note         string            `json:"note"`
	Versions     map[string]string `json:"versions"`
	ToxiproxyURL string            `json:"toxiproxy_url,omitempty"`
	Nodes        []string          `json:"nodes,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

func newRunMeta(cfg Config, id string, start time.Time) *runMeta {
	return &runMeta{
		Format:    RunFormat,
		ID:        id,
		Args:      runArgs(cfg),
		Repeats:   cfg.Repeats,
		Status:    "running",
		Started:   start.UTC(),
		Config:    cfg,
		Seed:      cfg.Seed,
		Reproduce: reproduceCommand(cfg),
		Note: "the same seed gives the same operation mix and fault schedule, " +
			"not the same history: timing in real systems does not repeat",
		Versions: versions(),
	}
}

func (m *runMeta) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return history.WriteFileAtomic(filepath.Join(dir, "run.json"), append(b, '\n'), 0o644)
}

// finish records how the run ended. A failure to write is only logged by
// the caller's next step: the history is what matters.
func (m *runMeta) finish(dir, status string, err error) {
	if m == nil {
		return
	}
	now := time.Now().UTC()
	m.Status, m.Ended = status, &now
	if err != nil {
		m.Error = err.Error()
	}
	_ = m.write(dir)
}

// readRunMeta reads a stored run.json; ok is false when there is none. The
// run's settings are decoded into its system's settings type, looked up in
// reg.
func readRunMeta(dir string, reg *systems.Registry) (*runMeta, bool, error) {
	path := filepath.Join(dir, "run.json")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var stored struct {
		runMeta
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b, &stored); err != nil {
		return nil, false, fmt.Errorf("%w: %s is not valid JSON: %w", history.ErrBadConfig, path, err)
	}
	m := stored.runMeta
	if m.Config, err = decodeConfig(stored.Config, reg); err != nil {
		return nil, false, fmt.Errorf("%w: %s: %w", history.ErrBadConfig, path, err)
	}
	return &m, true, nil
}

// decodeConfig reads run.json's config. Its settings go into a new value of
// the system's settings type, over the defaults, so that a setting that a
// run.json of an older version lacks keeps its default. A run.json written
// before settings had their own key held the register workload's settings
// at the top level and other systems' under their own keys; those are read
// leniently: what matches the settings' names is kept, the rest is
// defaults, which is enough to re-check the run (checkers depend on the
// workload only). A system reg does not know keeps no settings.
func decodeConfig(raw json.RawMessage, reg *systems.Registry) (Config, error) {
	var c struct {
		Config
		Settings json.RawMessage `json:"settings"`
	}
	// A run.json older than the automatic shrink did not shrink; a rerun of
	// it does, as a run does now.
	c.ShrinkTimeout = DefaultShrinkTimeout
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return Config{}, err
		}
	}
	cfg := c.Config
	sys, ok := reg.Lookup(cfg.System)
	if !ok {
		return cfg, nil
	}
	cfg.Settings = sys.NewSettings()
	settings := []byte(c.Settings)
	if len(settings) == 0 || string(settings) == "null" {
		settings = raw // the older layout
	}
	if err := json.Unmarshal(settings, cfg.Settings); err != nil && len(c.Settings) > 0 {
		return cfg, fmt.Errorf("the settings of system %s: %w", cfg.System, err)
	}
	return cfg, nil
}

// LoadRun reads the configuration of the run stored in dir from its
// run.json, with its settings as its system's settings type (reg nil means
// the built-in systems).
func LoadRun(dir string, reg *systems.Registry) (Config, error) {
	if reg == nil {
		reg = builtin.Registry()
	}
	meta, ok, err := readRunMeta(dir, reg)
	if err != nil {
		return Config{}, err
	}
	if !ok {
		return Config{}, fmt.Errorf("%w: %s has no run.json: it is not the results directory of a run", history.ErrBadConfig, dir)
	}
	meta.Config.Systems = reg
	return meta.Config, nil
}

// reproduceCommand is the `faultline run` command line that makes c again:
// its flags (runArgs) and its seed.
func reproduceCommand(c Config) string {
	return strings.Join(append(append([]string{"faultline", "run"}, quoteArgs(runArgs(c))...), "--seed", strconv.FormatInt(c.Seed, 10)), " ")
}

func versions() map[string]string {
	v := map[string]string{"go": runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v["faultline"] = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v["faultline"] += " " + s.Value
			}
		}
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/anishathalye/porcupine", "github.com/Shopify/toxiproxy/v2", "github.com/redis/go-redis/v9":
				v[d.Path] = d.Version
			}
		}
	}
	return v
}

// linkLatest points results/latest at the run. A failure is only logged:
// the run itself is unaffected.
func linkLatest(results, id string, logger *slog.Logger) {
	link := filepath.Join(results, "latest")
	// A temporary name of the run's own: runs of a campaign that end at
	// once must not take each other's.
	tmp := link + "." + id + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(id, tmp); err != nil {
		logger.Warn("cannot link results/latest", "err", err)
		return
	}
	if err := os.Rename(tmp, link); err != nil {
		logger.Warn("cannot link results/latest", "err", err)
	}
}
