package runner

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/faultline/faultline/history"
)

// runMeta is run.json: everything needed to reproduce the run, and how far
// it got.
type runMeta struct {
	ID           string            `json:"id"`
	Status       string            `json:"status"` // running, complete, interrupted, failed
	Error        string            `json:"error,omitempty"`
	Started      time.Time         `json:"started"`
	Ended        *time.Time        `json:"ended,omitempty"`
	Config       Config            `json:"config"`
	Seed         int64             `json:"seed"`
	Reproduce    string            `json:"reproduce"`
	Note         string            `json:"note"`
	Versions     map[string]string `json:"versions"`
	ToxiproxyURL string            `json:"toxiproxy_url,omitempty"`
	Nodes        []string          `json:"nodes,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

func newRunMeta(cfg Config, id string, start time.Time) *runMeta {
	return &runMeta{
		ID:        id,
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

// readRunMeta reads a stored run.json; ok is false when there is none.
func readRunMeta(dir string) (*runMeta, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var m runMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, false, fmt.Errorf("%w: %s is not valid JSON: %v", ErrBadInput, filepath.Join(dir, "run.json"), err)
	}
	return &m, true, nil
}

func reproduceCommand(c Config) string {
	nem := "none"
	if len(c.Nemesis) > 0 {
		nem = strings.Join(c.Nemesis, ",")
	}
	return fmt.Sprintf("faultline run --system %s --workload %s --nemesis %s --nodes %d --concurrency %d --time %s --seed %d",
		c.System, c.Workload, nem, c.Nodes, c.Concurrency, c.Time, c.Seed)
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
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(id, tmp); err != nil {
		logger.Warn("cannot link results/latest", "err", err)
		return
	}
	if err := os.Rename(tmp, link); err != nil {
		logger.Warn("cannot link results/latest", "err", err)
	}
}
