package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
)

// comparison is one row: a benchmark of ours against its peer's.
type comparison struct {
	Name       string
	Ours, Peer string // benchmark names, without the GOMAXPROCS suffix
	Unit       string // the metric compared, as benchfmt names it
	Higher     bool   // a higher value is better (a throughput)
}

// suite is one package's benchmarks, run with one `go test`.
type suite struct {
	Pkg       string
	Bench     string // -bench
	Benchtime string // -benchtime, "" for go test's default
	Needs     string // a program that must be on PATH, or ""
	Rows      []comparison
}

// suites is the benchmark set of BENCHMARKS.md.
func suites() []suite {
	var raft []comparison
	for _, op := range []string{"write", "read"} {
		for _, n := range []int{1, 16, 64} {
			sub := fmt.Sprintf("%s/clients=%d", op, n)
			raft = append(raft, comparison{
				Name: fmt.Sprintf("raftkv %s, %d clients, vs hashicorp/raft", op, n),
				Ours: "BenchmarkClusterFaultline/" + sub, Peer: "BenchmarkClusterHashicorp/" + sub,
				Unit: "ops/s", Higher: true,
			})
		}
	}
	var lock []comparison
	for _, l := range []string{"naive", "fenced"} {
		for _, c := range []string{"uncontended", "contended16"} {
			lock = append(lock, comparison{
				Name: fmt.Sprintf("lock %s, %s, vs redsync", l, c),
				Ours: "BenchmarkAcquireRelease/" + l + "/" + c, Peer: "BenchmarkAcquireRelease/redsync/" + c,
				Unit: "pairs/s", Higher: true,
			})
		}
	}
	var brk []comparison
	for _, b := range []string{"Success", "SuccessParallel", "Open", "OpenParallel"} {
		brk = append(brk, comparison{
			Name: "breaker " + b + " vs gobreaker",
			Ours: "Benchmark" + b + "/faultline", Peer: "Benchmark" + b + "/gobreaker",
			Unit: "sec/op",
		})
	}
	return []suite{
		{Pkg: "./impl/raftkv", Bench: "^BenchmarkCluster(Faultline|Hashicorp)$", Benchtime: "3s", Rows: raft},
		{Pkg: "./impl/redislock", Bench: "^BenchmarkAcquireRelease$", Benchtime: "2s", Needs: "redis-server", Rows: lock},
		{Pkg: "./impl/breaker", Bench: "^Benchmark(Success|SuccessParallel|Open|OpenParallel)$", Rows: brk},
		{Pkg: "./checker", Bench: "^BenchmarkCheck200k$", Benchtime: "3x", Rows: []comparison{{
			Name: "check of 200k ops vs porcupine (CPU time)", Ours: "BenchmarkCheck200k/faultline",
			Peer: "BenchmarkCheck200k/porcupine", Unit: "cpu-sec/op",
		}}},
		{Pkg: "./systems/raftkv", Bench: "^BenchmarkRegisterWorkload$", Benchtime: "20000x", Rows: []comparison{{
			Name: "register workload through Toxiproxy vs direct", Ours: "BenchmarkRegisterWorkload/toxiproxy",
			Peer: "BenchmarkRegisterWorkload/direct", Unit: "ops/s", Higher: true,
		}}},
	}
}

// samples are the measured values by benchmark name and unit, in the
// order the runs came.
type samples map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// readSamples reads benchmark output in the standard format.
func readSamples(r io.Reader, name string) (samples, error) {
	s := samples{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			bench := "Benchmark" + procSuffix.ReplaceAllString(rec.Name.String(), "")
			if s[bench] == nil {
				s[bench] = map[string][]float64{}
			}
			for _, v := range rec.Values {
				s[bench][v.Unit] = append(s[bench][v.Unit], v.Value)
			}
		}
	}
	return s, br.Err()
}

// ratio is one comparison's outcome.
type ratio struct {
	Row        comparison
	Ours, Peer float64 // medians
	Ratio      float64 // how much better ours is (> 1: ours wins)
	Lo, Hi     float64 // the spread of the paired runs' ratios
	Runs       int
	Missing    string // why there is no ratio
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// advantage is how much better a is than b in a unit where higher (or
// lower) is better.
func advantage(a, b float64, higher bool) float64 {
	if higher {
		return a / b
	}
	return b / a
}

// compare computes every row's ratio from s.
func compare(s samples, rows []comparison) []ratio {
	out := make([]ratio, 0, len(rows))
	for _, row := range rows {
		r := ratio{Row: row}
		ours, peer := s[row.Ours][row.Unit], s[row.Peer][row.Unit]
		switch {
		case len(ours) == 0:
			r.Missing = "no " + row.Unit + " of " + row.Ours
		case len(peer) == 0:
			r.Missing = "no " + row.Unit + " of " + row.Peer
		default:
			r.Ours, r.Peer = median(ours), median(peer)
			r.Ratio = advantage(r.Ours, r.Peer, row.Higher)
			r.Lo, r.Hi = math.Inf(1), math.Inf(-1)
			r.Runs = min(len(ours), len(peer))
			for i := range r.Runs {
				x := advantage(ours[i], peer[i], row.Higher)
				r.Lo, r.Hi = min(r.Lo, x), max(r.Hi, x)
			}
		}
		out = append(out, r)
	}
	return out
}

// printRatios writes the table of ratios.
func printRatios(w io.Writer, rs []ratio) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "comparison\tours\tpeer\tours vs peer\tspread (paired runs)\truns")
	for _, r := range rs {
		if r.Missing != "" {
			fmt.Fprintf(tw, "%s\t\t\t-\t%s\t0\n", r.Row.Name, r.Missing)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f×\t%.2f×–%.2f×\t%d\n", r.Row.Name,
			formatValue(r.Ours, r.Row.Unit), formatValue(r.Peer, r.Row.Unit), r.Ratio, r.Lo, r.Hi, r.Runs)
	}
	_ = tw.Flush()
}

func formatValue(v float64, unit string) string {
	if strings.HasSuffix(unit, "sec/op") {
		switch {
		case v < 1e-6:
			return fmt.Sprintf("%.1f ns", v*1e9)
		case v < 1e-3:
			return fmt.Sprintf("%.2f µs", v*1e6)
		case v < 1:
			return fmt.Sprintf("%.1f ms", v*1e3)
		}
		return fmt.Sprintf("%.2f s", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// baseline is a stored set of ratios, by comparison name.
type baseline map[string]float64

func saveBaseline(path string, rs []ratio) error {
	b := baseline{}
	for _, r := range rs {
		if r.Missing == "" {
			b[r.Row.Name] = math.Round(r.Ratio*1000) / 1000
		}
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func loadBaseline(path string) (baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s is not a baseline (a JSON object of ratios, as -save writes): %w", path, err)
	}
	return b, nil
}

// regressionAt is how much worse a ratio may get before it is flagged.
const regressionAt = 0.20

// regressions are the rows whose ratio got regressionAt worse or more
// than the baseline's, as lines to print.
func regressions(rs []ratio, base baseline) []string {
	var out []string
	for _, r := range rs {
		was, ok := base[r.Row.Name]
		if !ok || r.Missing != "" || was <= 0 {
			continue
		}
		if change := r.Ratio/was - 1; change <= -regressionAt {
			out = append(out, fmt.Sprintf("REGRESSION %s: %.2f× against %.2f× in the baseline (%.0f%%)", r.Row.Name, r.Ratio, was, change*100))
		}
	}
	return out
}

var errNoRows = errors.New("no comparison matches -only")
