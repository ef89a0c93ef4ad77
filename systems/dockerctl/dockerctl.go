// Package dockerctl gives the node faults of a system whose nodes run in
// containers that someone else started — the services of a Compose stack,
// driven by a harness in a container beside them through the Docker
// socket — by container or service name: Kill is `docker kill` (SIGKILL),
// Restart `docker start` of the same container, Pause and Resume freeze
// and thaw its cgroup. The containers are never created or removed here.
//
// It talks to the engine through testcontainers-go's client (DOCKER_HOST,
// ~/.testcontainers.properties), as the container runtime does.
package dockerctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// The labels Compose puts on the containers of its services.
const (
	labelProject = "com.docker.compose.project"
	labelService = "com.docker.compose.service"
)

// ErrNotFound: no container has the name, and none is the service of that
// name in the harness's own Compose project.
var ErrNotFound = errors.New("no such container")

// Containers is a set of running containers, one per node.
type Containers struct {
	cli   *testcontainers.DockerClient
	nodes []string
	ids   map[string]string // node → container id
	names map[string]string // node → the name it was given

	mu     sync.Mutex
	killed map[string]bool
	paused map[string]bool
}

// Connect finds the container of every node: byNode maps a node to a
// container name or id, or to a service of the Compose project the calling
// process itself runs in (found from its own container's labels) or of
// project, if not empty.
//
// What testcontainers narrates (the engine it found) goes to logger at
// debug level; nil discards it.
func Connect(ctx context.Context, byNode map[string]string, project string, logger *slog.Logger) (c *Containers, err error) {
	defer func() {
		// testcontainers panics when it cannot even find where an engine
		// would be.
		if r := recover(); r != nil {
			err = fmt.Errorf("connecting to the Docker engine: %v", r)
		}
	}()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tclog.SetDefault(printf{logger})
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to the Docker engine (mount /var/run/docker.sock, or set DOCKER_HOST): %w", err)
	}
	c = &Containers{cli: cli, ids: map[string]string{}, names: map[string]string{},
		killed: map[string]bool{}, paused: map[string]bool{}}
	for node, name := range byNode {
		id, err := c.find(ctx, name, project)
		if err != nil {
			cli.Close()
			return nil, fmt.Errorf("the container of node %s: %w", node, err)
		}
		c.nodes = append(c.nodes, node)
		c.ids[node], c.names[node] = id, name
	}
	sort.Strings(c.nodes)
	return c, nil
}

// find resolves a container name or id, then a Compose service name.
func (c *Containers) find(ctx context.Context, name, project string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if res, err := c.cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{}); err == nil {
		return res.Container.ID, nil
	}
	if project == "" {
		project = c.ownProject(ctx)
	}
	if project == "" {
		return "", fmt.Errorf("%w %q, and this process is not in a Compose project to look for a service of that name", ErrNotFound, name)
	}
	list, err := c.cli.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: client.Filters{}.Add("label", labelProject+"="+project, labelService+"="+name)})
	if err != nil {
		return "", fmt.Errorf("listing the containers of Compose project %s: %w", project, err)
	}
	switch len(list.Items) {
	case 0:
		return "", fmt.Errorf("%w %q, nor a service %q in Compose project %s", ErrNotFound, name, name, project)
	case 1:
		return list.Items[0].ID, nil
	}
	return "", fmt.Errorf("service %q of Compose project %s has %d containers: name one of them", name, project, len(list.Items))
}

// ownProject is the Compose project of the container this process runs
// in, or "": a container's host name is its short id, unless set.
func (c *Containers) ownProject(ctx context.Context) string {
	host, err := os.Hostname()
	if err != nil {
		return ""
	}
	res, err := c.cli.ContainerInspect(ctx, host, client.ContainerInspectOptions{})
	if err != nil || res.Container.Config == nil {
		return ""
	}
	return res.Container.Config.Labels[labelProject]
}

// Nodes names the nodes.
func (c *Containers) Nodes() []string { return append([]string(nil), c.nodes...) }

func (c *Containers) id(node string) (string, error) {
	id, ok := c.ids[node]
	if !ok {
		return "", fmt.Errorf("unknown node %q: the containers are of %s", node, strings.Join(c.nodes, ", "))
	}
	return id, nil
}

// Kill sends SIGKILL to node's container, paused or not.
func (c *Containers) Kill(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	if _, err := c.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return fmt.Errorf("killing the container of %s (%s): %w", node, c.names[node], err)
	}
	c.set(node, true, false)
	return nil
}

// Restart starts a killed node's container again; a running one is left
// alone.
func (c *Containers) Restart(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	if _, err := c.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("starting the container of %s (%s): %w", node, c.names[node], err)
	}
	c.set(node, false, false)
	return nil
}

// Pause freezes node's container.
func (c *Containers) Pause(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	if _, err := c.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pausing the container of %s (%s): %w", node, c.names[node], err)
	}
	c.set(node, false, true)
	return nil
}

// Resume thaws a paused node's container; one not paused is left alone.
func (c *Containers) Resume(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	if !c.isPaused(node) {
		return nil
	}
	if _, err := c.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("resuming the container of %s (%s): %w", node, c.names[node], err)
	}
	c.set(node, false, false)
	return nil
}

// Up reports whether node's container runs and is not paused, as far as
// this Containers knows (what it did to it).
func (c *Containers) Up(node string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.killed[node] && !c.paused[node]
}

func (c *Containers) isPaused(node string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused[node]
}

func (c *Containers) set(node string, killed, paused bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.killed[node], c.paused[node] = killed, paused
}

// Heal resumes every paused container and starts every killed one.
func (c *Containers) Heal(ctx context.Context) error {
	var errs []error
	for _, n := range c.nodes {
		c.mu.Lock()
		killed, paused := c.killed[n], c.paused[n]
		c.mu.Unlock()
		if paused {
			errs = append(errs, c.Resume(ctx, n))
		}
		if killed {
			errs = append(errs, c.Restart(ctx, n))
		}
	}
	return errors.Join(errs...)
}

// WriteLogs copies what node's container wrote since since to w.
func (c *Containers) WriteLogs(ctx context.Context, node string, since time.Time, w io.Writer) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	rc, err := c.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true,
		Since: since.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return fmt.Errorf("reading the log of %s: %w", node, err)
	}
	defer rc.Close()
	// The stream interleaves stdout and stderr frames (no TTY).
	_, err = stdcopy.StdCopy(w, w, rc)
	return err
}

// printf hands testcontainers' Printf-style lines to a slog.Logger.
type printf struct{ l *slog.Logger }

func (p printf) Printf(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "source", "testcontainers")
}

// Close closes the connection to the engine.
func (c *Containers) Close() error { return c.cli.Close() }
