package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	count := fs.Int("count", 6, "runs of each benchmark (benchstat wants 6 or more for a confidence interval)")
	only := fs.String("only", "", "run only the comparisons whose name matches this regular expression")
	rawPath := fs.String("raw", "", "where to keep the raw benchmark output (default bench-<time>.txt)")
	from := fs.String("from", "", "read the raw output of an earlier run instead of running the benchmarks")
	save := fs.String("save", "", "write the ratios to this baseline file")
	basePath := fs.String("baseline", "", "compare the ratios with this baseline file and flag those 20% worse")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *count < 1 {
		fmt.Fprintln(stderr, "bench: takes flags only, and -count must be at least 1 (see -h)")
		return 2
	}
	filter, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintf(stderr, "bench: -only: %v\n", err)
		return 2
	}
	var base baseline
	if *basePath != "" {
		if base, err = loadBaseline(*basePath); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 2
		}
	}
	var picked []suite
	for _, s := range suites() {
		var rows []comparison
		for _, r := range s.Rows {
			if filter.MatchString(r.Name) {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			s.Rows = rows
			picked = append(picked, s)
		}
	}
	if len(picked) == 0 {
		fmt.Fprintf(stderr, "bench: %v %q\n", errNoRows, *only)
		return 2
	}

	var raw []byte
	if *from != "" {
		if raw, err = os.ReadFile(*from); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 2
		}
	} else {
		if *rawPath == "" {
			*rawPath = "bench-" + time.Now().UTC().Format("20060102T150405Z") + ".txt"
		}
		if raw, err = runSuites(ctx, picked, *count, stderr); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
		}
		if werr := os.WriteFile(*rawPath, raw, 0o644); werr != nil {
			fmt.Fprintf(stderr, "bench: keeping the raw output: %v\n", werr)
		} else {
			fmt.Fprintf(stdout, "raw output: %s (benchstat reads it)\n", *rawPath)
		}
		if err != nil {
			return 1
		}
	}
	s, err := readSamples(bytes.NewReader(raw), *from)
	if err != nil {
		fmt.Fprintf(stderr, "bench: reading the benchmark output: %v\n", err)
		return 1
	}
	var rows []comparison
	for _, p := range picked {
		rows = append(rows, p.Rows...)
	}
	rs := compare(s, rows)
	printRatios(stdout, rs)
	if *save != "" {
		if err := saveBaseline(*save, rs); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "baseline written: %s\n", *save)
	}
	if base != nil {
		regs := regressions(rs, base)
		for _, line := range regs {
			fmt.Fprintln(stdout, line)
		}
		if len(regs) == 0 {
			fmt.Fprintf(stdout, "no ratio is %.0f%% worse than in %s\n", regressionAt*100, *basePath)
		}
	}
	return 0
}

// runSuites runs each suite's benchmarks and returns their output,
// echoing progress to progress. A suite whose program is missing is
// skipped with a line saying so.
func runSuites(ctx context.Context, ss []suite, count int, progress io.Writer) ([]byte, error) {
	var all bytes.Buffer
	for _, s := range ss {
		if s.Needs != "" {
			if _, err := exec.LookPath(s.Needs); err != nil {
				fmt.Fprintf(progress, "skipping %s: it needs %s on PATH\n", s.Pkg, s.Needs)
				continue
			}
		}
		args := []string{"test", "-run", "^$", "-bench", s.Bench, "-count", strconv.Itoa(count)}
		if s.Benchtime != "" {
			args = append(args, "-benchtime", s.Benchtime)
		}
		args = append(args, s.Pkg)
		fmt.Fprintf(progress, "go %s\n", joinArgs(args))
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Stdout = io.MultiWriter(&all, progress)
		cmd.Stderr = progress
		if err := cmd.Run(); err != nil {
			return all.Bytes(), fmt.Errorf("go test %s: %w", s.Pkg, err)
		}
	}
	return all.Bytes(), nil
}

func joinArgs(args []string) string {
	var b bytes.Buffer
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if regexp.MustCompile(`[\s^$|()]`).MatchString(a) {
			a = "'" + a + "'"
		}
		b.WriteString(a)
	}
	return b.String()
}
