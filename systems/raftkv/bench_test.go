package raftkv

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/history"
	"github.com/faultline/faultline/nemesis"
	"github.com/faultline/faultline/workloads"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// faultlineBinary builds cmd/faultline once for the benchmarks.
func faultlineBinary(b *testing.B) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "faultline-bench-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "faultline")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/faultline").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		b.Fatalf("building faultline: %v", buildErr)
	}
	return binPath
}

// BenchmarkRegisterWorkload measures the operations per second the register
// workload (16 workers, the default mix, the recorder writing a history)
// reaches against a 3-node cluster of `faultline node` processes with fsync:
// through a Toxiproxy proxy on every link with no fault, and with the same
// clients talking to the nodes directly. One op is one completed operation.
func BenchmarkRegisterWorkload(b *testing.B) {
	bin := faultlineBinary(b)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	srv, err := nemesis.StartServer(ctx, logger)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	net, err := nemesis.Connect(ctx, srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	c, err := Start(ctx, Config{Nodes: 3, Binary: bin, DataDir: filepath.Join(dir, "data"),
		LogDir: dir, Net: net, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop(context.Background())

	for _, path := range []struct {
		name  string
		addrs map[string]string
	}{{"toxiproxy", c.ClientAddrs()}, {"direct", c.DirectAddrs()}} {
		b.Run(path.name, func(b *testing.B) {
			cfg := workloads.DefaultRegisterConfig()
			cfg.Concurrency = 16
			clients := make([]workloads.RegisterClient, cfg.Concurrency)
			for i := range clients {
				kc, err := NewRegisterClient(path.addrs, 0, workloads.RouteLeader, "")
				if err != nil {
					b.Fatal(err)
				}
				defer kc.Close()
				clients[i] = kc
			}
			rec := workloads.NewRecorder(history.NewWriter(io.Discard))
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			b.ResetTimer()
			start := time.Now()
			go func() {
				_, err := workloads.RunRegister(runCtx, cfg, rec, clients)
				done <- err
			}()
			for {
				n := rec.Counts()
				if n.Ok+n.Fail+n.Info >= int64(b.N) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			n := rec.Counts()
			b.ReportMetric(float64(n.Ok+n.Fail+n.Info)/time.Since(start).Seconds(), "ops/s")
			b.ReportMetric(float64(n.Info), "info")
		})
	}
}
