package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/faultline/faultline/checker"
	"github.com/faultline/faultline/history"
)

// ComparisonFile is where CompareBreaker writes its result, in the run
// with the breaker.
const ComparisonFile = "breaker-comparison.json"

// CompareBreaker sets what the breaker bought in the run stored in withDir
// against a run of the same system, workload, seed and faults without the
// breaker (--breaker off) stored in withoutDir, and writes the comparison
// into withDir.
func CompareBreaker(withDir, withoutDir string) (checker.BreakerComparison, error) {
	with, withCfg, err := breakerProtection(withDir)
	if err != nil {
		return checker.BreakerComparison{}, err
	}
	without, withoutCfg, err := breakerProtection(withoutDir)
	if err != nil {
		return checker.BreakerComparison{}, err
	}
	switch {
	case !withCfg.Breaker.Enabled || withoutCfg.Breaker.Enabled:
		return checker.BreakerComparison{}, fmt.Errorf("%w: the first run must have the breaker on and the second off (--breaker off)", ErrBadInput)
	case withCfg.Seed != withoutCfg.Seed || withCfg.Time != withoutCfg.Time || !slices.Equal(withCfg.Nemesis, withoutCfg.Nemesis):
		return checker.BreakerComparison{}, fmt.Errorf("%w: the runs differ in seed, time or faults, so their schedules differ; rerun the second with --seed %d --time %s --nemesis %s --breaker off",
			ErrBadInput, withCfg.Seed, withCfg.Time, strings.Join(withCfg.Nemesis, ","))
	}
	cmp := checker.CompareBreakerProtection(with, without)
	b, err := json.MarshalIndent(cmp, "", "  ")
	if err != nil {
		return cmp, err
	}
	return cmp, history.WriteFileAtomic(filepath.Join(withDir, ComparisonFile), append(b, '\n'), 0o644)
}

// breakerProtection reads the breaker's protection figures and the
// configuration of a stored breaker run.
func breakerProtection(dir string) (checker.BreakerProtection, Config, error) {
	var none checker.BreakerProtection
	meta, ok, err := readRunMeta(dir)
	if err != nil {
		return none, Config{}, err
	}
	if !ok || meta.Config.System != "breaker" {
		return none, Config{}, fmt.Errorf("%w: %s is not the results directory of a breaker run", ErrBadInput, dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return none, Config{}, fmt.Errorf("%w: %s has no summary.json; check it first with faultline check %s", ErrBadInput, dir, dir)
	}
	var sum struct {
		Results []struct {
			Checker string `json:"checker"`
			Details struct {
				Protection *checker.BreakerProtection `json:"protection"`
			} `json:"details"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return none, Config{}, fmt.Errorf("%w: %s: %v", ErrBadInput, filepath.Join(dir, "summary.json"), err)
	}
	for _, r := range sum.Results {
		if r.Details.Protection != nil {
			return *r.Details.Protection, meta.Config, nil
		}
	}
	return none, Config{}, fmt.Errorf("%w: %s has no breaker protection figures", ErrBadInput, dir)
}
