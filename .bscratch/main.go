package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/faultline/faultline/runner"
)

func main() {
	opts := runner.DefaultBreakerOptions()
	if len(os.Args) > 1 && os.Args[1] == "off" {
		opts.Enabled = false
	}
	runner.Systems["breaker"] = runner.BreakerSystem{Options: opts}
	runner.Checkers["breaker"] = runner.BreakerCheckers
	cfg := runner.DefaultConfig()
	cfg.System, cfg.Workload = "breaker", "breaker"
	cfg.Nemesis = []string{"latency", "partition"}
	cfg.Time = 20 * time.Second
	cfg.Seed = 42
	cfg.Results = "/tmp/bresults"
	cfg.Nodes = 2
	out, err := runner.Run(context.Background(), cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(out.Dir, out.Valid())
}
