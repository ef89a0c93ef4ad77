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
	"github.com/moby/moby/api/types/container"
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
	owned bool              // Close closes cli

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
	c = newContainers(cli)
	c.owned = true
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

// New controls containers the caller started itself through cli: ids
// maps each node to its container's id. Close leaves cli open.
func New(cli *testcontainers.DockerClient, ids map[string]string) *Containers {
	c := newContainers(cli)
	for node, id := range ids {
		c.nodes = append(c.nodes, node)
		c.ids[node], c.names[node] = id, node
	}
	sort.Strings(c.nodes)
	return c
}

func newContainers(cli *testcontainers.DockerClient) *Containers {
	return &Containers{cli: cli, ids: map[string]string{}, names: map[string]string{},
		killed: map[string]bool{}, paused: map[string]bool{}}
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

// Kill sends SIGKILL to node's container and waits until the engine says
// it stopped. A container that is not running is left alone.
//
// The node counts as killed from before the call: a kill cut short (an
// error, ctx ending) may still have reached the engine, and Restart must
// then start the container rather than trust that it runs.
func (c *Containers) Kill(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	c.set(node, true, false)
	if _, err := c.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		if running, _, ierr := c.state(ctx, id); ierr == nil && !running {
			return nil // down already
		}
		return fmt.Errorf("killing the container of %s (%s): %w", node, c.names[node], err)
	}
	// The engine answers once the signal is sent; a power loss that then
	// truncates the node's files must not race its last writes.
	wctx, cancel := context.WithTimeout(ctx, stopWait)
	defer cancel()
	wait := c.cli.ContainerWait(wctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-wait.Result:
		return nil
	case err := <-wait.Error:
		return fmt.Errorf("waiting for the killed container of %s (%s) to stop: %w", node, c.names[node], err)
	}
}

// stopWait bounds the wait for a killed container to stop.
const stopWait = 10 * time.Second

// Restart starts a killed node's container again; the engine leaves a
// running one alone.
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

// Pause freezes node's container. As with Kill, the node counts as paused
// from before the call, unless the engine then says it is not.
func (c *Containers) Pause(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	c.set(node, false, true)
	if _, err := c.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{}); err != nil {
		if _, paused, ierr := c.state(ctx, id); ierr == nil && !paused {
			c.set(node, false, false)
		}
		return fmt.Errorf("pausing the container of %s (%s): %w", node, c.names[node], err)
	}
	return nil
}

// Resume thaws a paused node's container; one that is not paused (never
// was, or the pause did not take) is left alone.
func (c *Containers) Resume(ctx context.Context, node string) error {
	id, err := c.id(node)
	if err != nil {
		return err
	}
	if !c.isPaused(node) {
		return nil
	}
	if _, err := c.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{}); err != nil {
		if _, paused, ierr := c.state(ctx, id); ierr != nil || paused {
			return fmt.Errorf("resuming the container of %s (%s): %w", node, c.names[node], err)
		}
	}
	c.set(node, false, false)
	return nil
}

// state asks the engine whether container id runs and whether it is
// paused.
func (c *Containers) state(ctx context.Context, id string) (running, paused bool, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	res, err := c.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return false, false, err
	}
	if res.Container.State == nil {
		return false, false, fmt.Errorf("the engine gave no state for container %s", id)
	}
	return res.Container.State.Running, res.Container.State.Paused, nil
}

// Up reports whether node's container runs and is not paused, as far as
// this Containers knows (what it did to it, counting a kill or pause that
// may have taken as taken).
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

// Close closes the connection to the engine, if Connect opened it.
func (c *Containers) Close() error {
	if !c.owned {
		return nil
	}
	return c.cli.Close()
}
