package docker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Available reports whether a Docker engine answers: nil, or ErrNoDocker
// with the reason. testcontainers panics when it cannot even find where an
// engine would be; that is turned into ErrNoDocker too.
func Available(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("%w: %w", ErrNoDocker, err)
	}
	return nil
}

// slogPrintf hands testcontainers' Printf-style log lines to a slog.Logger
// at debug level: they narrate progress (creating, starting, waiting).
type slogPrintf struct{ l *slog.Logger }

var _ tclog.Logger = slogPrintf{}

func (s slogPrintf) Printf(format string, args ...any) {
	s.l.Debug(fmt.Sprintf(format, args...), "source", "testcontainers")
}
