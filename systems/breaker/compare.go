package breaker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// ComparisonFile is where Compare writes its result, in the run with the
// breaker.
const ComparisonFile = "breaker-comparison.json"

// StoredRun is what Compare needs of a checked breaker run: its results
// directory (with summary.json) and, from its run.json, what decides its
// fault schedule and its settings.
type StoredRun struct {
	Dir     string
	Seed    int64
	Time    time.Duration
	Nemesis []string
	// Settings are the run's breaker system settings; nil when the run
	// recorded none.
	Settings *Settings
}

// Compare sets what the breaker bought in the run with it against a run of
// the same schedule — the same seed, time and faults — without it, from
// the protection figures of each run's summary.json, and writes the
// comparison into with.Dir. Every refusal wraps history.ErrBadConfig.
func Compare(with, without StoredRun) (checker.BreakerComparison, error) {
	var none checker.BreakerComparison
	if err := comparable(with, without); err != nil {
		return none, err
	}
	withP, err := protection(with.Dir)
	if err != nil {
		return none, err
	}
	withoutP, err := protection(without.Dir)
	if err != nil {
		return none, err
	}
	cmp := checker.CompareBreakerProtection(withP, withoutP)
	b, err := json.MarshalIndent(cmp, "", "  ")
	if err != nil {
		return cmp, err
	}
	return cmp, history.WriteFileAtomic(filepath.Join(with.Dir, ComparisonFile), append(b, '\n'), 0o644)
}

// comparable refuses two runs whose comparison would mean nothing: the
// first must have the breaker on, the second off, and both the same fault
// schedule.
func comparable(with, without StoredRun) error {
	for _, r := range []StoredRun{with, without} {
		if r.Settings == nil {
			return fmt.Errorf("%w: %s holds no breaker settings: it is not the results directory of a breaker run", history.ErrBadConfig, r.Dir)
		}
	}
	switch {
	case !with.Settings.Enabled:
		return fmt.Errorf("%w: the first run (%s) ran without the breaker; give the run with the breaker first and the one without it second",
			history.ErrBadConfig, with.Dir)
	case without.Settings.Enabled:
		return fmt.Errorf("%w: the second run (%s) ran with the breaker; compare against a run of the same schedule with the breaker off",
			history.ErrBadConfig, without.Dir)
	case with.Seed != without.Seed || with.Time != without.Time || !slices.Equal(with.Nemesis, without.Nemesis):
		faults := "none"
		if len(with.Nemesis) > 0 {
			faults = strings.Join(with.Nemesis, ",")
		}
		return fmt.Errorf("%w: the runs differ in seed, time or faults, so their schedules differ; rerun the second with the same seed (%d), time (%s) and faults (%s) and the breaker off",
			history.ErrBadConfig, with.Seed, with.Time, faults)
	}
	return nil
}

// protection reads the breaker's protection figures from the summary.json
// of the run stored in dir.
func protection(dir string) (checker.BreakerProtection, error) {
	var none checker.BreakerProtection
	path := filepath.Join(dir, "summary.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return none, fmt.Errorf("%w: %s has no summary.json; check it first with faultline check %s", history.ErrBadConfig, dir, dir)
	}
	if err != nil {
		return none, fmt.Errorf("reading the breaker's figures: %w", err)
	}
	var sum struct {
		Results []struct {
			Checker string          `json:"checker"`
			Details json.RawMessage `json:"details"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return none, fmt.Errorf("%w: %s: %w", history.ErrBadConfig, path, err)
	}
	for _, r := range sum.Results {
		if r.Checker != (checker.BreakerChecker{}).Name() || len(r.Details) == 0 {
			continue
		}
		var d struct {
			Protection *checker.BreakerProtection `json:"protection"`
		}
		if err := json.Unmarshal(r.Details, &d); err != nil {
			return none, fmt.Errorf("%w: %s: the breaker checker's details: %w", history.ErrBadConfig, path, err)
		}
		if d.Protection != nil {
			return *d.Protection, nil
		}
	}
	return none, fmt.Errorf("%w: %s has no breaker protection figures; check it again with faultline check %s", history.ErrBadConfig, path, dir)
}
