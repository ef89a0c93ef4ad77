package nemesis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// DefaultCallTimeout bounds each call to the Toxiproxy HTTP API when the
// caller's context has no earlier deadline.
const DefaultCallTimeout = 5 * time.Second

// Net is the set of proxies of one run on a Toxiproxy server, embedded or
// external, driven through the official client package. Proxy names carry
// a prefix unique to the run, so runs sharing one external Toxiproxy do not
// collide. Net remembers every toxic it added, so that it can remove
// exactly those.
type Net struct {
	client  *toxiclient.Client
	url     string
	prefix  string
	timeout time.Duration

	mu     sync.Mutex
	links  map[Link]*toxiclient.Proxy
	toxics map[toxicRef]struct{}
}

// toxicRef names one toxic on one link's proxy.
type toxicRef struct {
	link Link
	name string
}

// Connect checks that a Toxiproxy HTTP API answers at url and returns a Net
// on it. An unreachable server is an ErrUnreachable error at once.
func Connect(ctx context.Context, url string) (*Net, error) {
	prefix, err := runPrefix()
	if err != nil {
		return nil, err
	}
	n := &Net{
		client:  toxiclient.NewClient(url),
		url:     url,
		prefix:  prefix,
		timeout: DefaultCallTimeout,
		links:   map[Link]*toxiclient.Proxy{},
		toxics:  map[toxicRef]struct{}{},
	}
	if _, err := call(ctx, n, "asking for its version", n.client.Version); err != nil {
		return nil, fmt.Errorf("%w: toxiproxy at %s is not reachable: %w; start it, or leave the external Toxiproxy out to use the embedded one",
			ErrUnreachable, url, err)
	}
	return n, nil
}

// runPrefix returns a short random prefix for this run's proxy names.
func runPrefix() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("drawing a proxy name prefix: %w", err)
	}
	return "fl-" + hex.EncodeToString(b[:]) + ".", nil
}

// URL is the Toxiproxy API this Net drives.
func (n *Net) URL() string { return n.url }

// Prefix is the run-specific prefix of this Net's proxy names.
func (n *Net) Prefix() string { return n.prefix }

// AddLink creates the proxy for the directed link from→to, listening on a
// free loopback port and forwarding to upstreamAddr, and returns the
// address it listens on: the address `from` must dial to reach `to`.
func (n *Net) AddLink(ctx context.Context, from, to, upstreamAddr string) (string, error) {
	return n.AddLinkAt(ctx, from, to, "127.0.0.1:0", upstreamAddr)
}

// AddLinkAt is AddLink with the address the proxy listens on, as the
// Toxiproxy server sees it: a fixed port of a Toxiproxy in a container
// ("0.0.0.0:20012"), whose peers dial it by the container's name.
func (n *Net) AddLinkAt(ctx context.Context, from, to, listen, upstreamAddr string) (string, error) {
	link := Link{From: from, To: to}
	if from == "" || to == "" || strings.Contains(from+to, "->") || strings.ContainsAny(from+to, "/?#% ") {
		return "", fmt.Errorf("adding link %q: endpoint names must be non-empty, without '->', '/', '?', '#', '%%' or spaces", link)
	}
	n.mu.Lock()
	_, exists := n.links[link]
	n.mu.Unlock()
	if exists {
		return "", fmt.Errorf("adding link %s: %w", link, ErrLinkExists)
	}
	p, err := call(ctx, n, "creating proxy "+n.proxyName(link), func() (*toxiclient.Proxy, error) {
		return n.client.CreateProxy(n.proxyName(link), listen, upstreamAddr)
	})
	if err != nil {
		return "", fmt.Errorf("adding link %s: %w", link, err)
	}
	n.mu.Lock()
	n.links[link] = p
	n.mu.Unlock()
	return p.Listen, nil
}

// Links returns every link with a proxy, sorted by name.
func (n *Net) Links() []Link {
	n.mu.Lock()
	defer n.mu.Unlock()
	links := make([]Link, 0, len(n.links))
	for l := range n.links {
		links = append(links, l)
	}
	slices.SortFunc(links, func(a, b Link) int { return strings.Compare(a.String(), b.String()) })
	return links
}

// ListenAddr returns the address the proxy of link listens on.
func (n *Net) ListenAddr(link Link) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.links[link]
	if !ok {
		return "", fmt.Errorf("looking up link %s: %w", link, ErrUnknownLink)
	}
	return p.Listen, nil
}

func (n *Net) proxyName(link Link) string { return n.prefix + link.String() }

// addToxic adds a toxic of type typ on one stream of link's proxy and
// remembers it.
func (n *Net) addToxic(ctx context.Context, link Link, name, typ, stream string, attrs map[string]any) error {
	n.mu.Lock()
	p, ok := n.links[link]
	n.mu.Unlock()
	if !ok {
		return fmt.Errorf("adding toxic %s: %w: %s", name, ErrUnknownLink, link)
	}
	// Remember the toxic before the call: if the call times out after the
	// server added it, HealAll still removes it.
	n.mu.Lock()
	n.toxics[toxicRef{link, name}] = struct{}{}
	n.mu.Unlock()
	_, err := call(detached(ctx), n, fmt.Sprintf("adding %s toxic %s to %s", typ, name, link), func() (*toxiclient.Toxic, error) {
		return p.AddToxic(name, typ, stream, 1, toxiclient.Attributes(attrs))
	})
	return err
}

// removeToxic removes a toxic this Net added. A toxic already gone is not
// an error, so healing is idempotent.
func (n *Net) removeToxic(ctx context.Context, link Link, name string) error {
	n.mu.Lock()
	p, ok := n.links[link]
	n.mu.Unlock()
	if !ok {
		return fmt.Errorf("removing toxic %s: %w: %s", name, ErrUnknownLink, link)
	}
	_, err := call(detached(ctx), n, fmt.Sprintf("removing toxic %s from %s", name, link), func() (struct{}, error) {
		return struct{}{}, p.RemoveToxic(name)
	})
	if err != nil && !isNotFound(err) {
		return err
	}
	n.mu.Lock()
	delete(n.toxics, toxicRef{link, name})
	n.mu.Unlock()
	return nil
}

// HealAll removes every toxic this Net added and enables every proxy of
// this run. It is idempotent.
func (n *Net) HealAll(ctx context.Context) error {
	n.mu.Lock()
	refs := make([]toxicRef, 0, len(n.toxics))
	for r := range n.toxics {
		refs = append(refs, r)
	}
	n.mu.Unlock()
	var errs []error
	for _, r := range refs {
		if err := n.removeToxic(ctx, r.link, r.name); err != nil {
			errs = append(errs, err)
		}
	}
	for _, link := range n.Links() {
		if err := n.enable(ctx, link); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("healing the proxies of %s: %w", n.url, err)
	}
	return nil
}

// enable makes sure link's proxy is enabled.
func (n *Net) enable(ctx context.Context, link Link) error {
	name := n.proxyName(link)
	_, err := call(ctx, n, "enabling proxy "+name, func() (struct{}, error) {
		p, err := n.client.Proxy(name)
		if err != nil || p.Enabled {
			return struct{}{}, err
		}
		return struct{}{}, p.Enable()
	})
	return err
}

// toxicCount returns how many toxics this Net has added and not removed.
func (n *Net) toxicCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.toxics)
}

// Close deletes this run's proxies, closing their connections, so that an
// external Toxiproxy is left as it was found.
func (n *Net) Close(ctx context.Context) error {
	var errs []error
	for _, link := range n.Links() {
		name := n.proxyName(link)
		n.mu.Lock()
		p := n.links[link]
		n.mu.Unlock()
		_, err := call(ctx, n, "deleting proxy "+name, func() (struct{}, error) { return struct{}{}, p.Delete() })
		if err != nil && !isNotFound(err) {
			errs = append(errs, err)
			continue
		}
		n.mu.Lock()
		delete(n.links, link)
		for r := range n.toxics {
			if r.link == link {
				delete(n.toxics, r)
			}
		}
		n.mu.Unlock()
	}
	return errors.Join(errs...)
}

// detached keeps ctx's values but not its cancellation, for calls that
// change the proxies: abandoning one halfway would leave the server in a
// state this Net does not know (a toxic added after HealAll looked for
// it). call still bounds it by the Net's timeout.
func detached(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// call runs one blocking client call with a deadline: the client package
// takes no context, so the call runs on its own goroutine and call returns
// when ctx (bounded by the Net's timeout) ends. The client's own 30 s HTTP
// timeout bounds the abandoned goroutine.
func call[T any](ctx context.Context, n *Net, what string, f func() (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			var zero T
			return zero, fmt.Errorf("%s: %w", what, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s: toxiproxy at %s did not answer in time: %w", what, n.url, ctx.Err())
	}
}

func isNotFound(err error) bool {
	var apiErr *toxiclient.ApiError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound
}
