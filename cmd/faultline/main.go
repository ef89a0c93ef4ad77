// Command faultline is the Faultline CLI: it runs chaos tests and campaigns,
// re-checks stored runs, runs a Raft KV node, serves Toxiproxy (for
// containers), and heals a Toxiproxy a crashed run left behind. It only wires flags to the runner; the logic lives in the packages.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root, st := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		return exitFor(err, st, stderr)
	}
	return st.code
}
