package breaker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var errDown = errors.New("downstream failed")

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// transitions collects what OnStateChange reports.
type transitions struct {
	mu  sync.Mutex
	all []Transition
}

func (tr *transitions) add(t Transition) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.all = append(tr.all, t)
}

func (tr *transitions) list() []Transition {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]Transition(nil), tr.all...)
}

// edges renders the transitions as "CLOSED>OPEN" strings.
func (tr *transitions) edges() []string {
	var out []string
	for _, t := range tr.list() {
		out = append(out, t.From.String()+">"+t.To.String())
	}
	return out
}

// newTestBreaker builds a breaker on a fake clock from DefaultConfig
// changed by edit.
func newTestBreaker(t *testing.T, edit func(*Config)) (*Breaker, *FakeClock, *transitions) {
	t.Helper()
	clock := NewFakeClock(t0)
	tr := &transitions{}
	cfg := DefaultConfig()
	cfg.Clock = clock
	cfg.OnStateChange = tr.add
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(cfg)
	require.NoError(t, err)
	return b, clock, tr
}

func succeed(context.Context) error { return nil }
func fail(context.Context) error    { return errDown }

func run(b *Breaker, fn func(context.Context) error) (Receipt, error) {
	return b.Run(context.Background(), fn)
}

func requireState(t *testing.T, b *Breaker, want State) {
	t.Helper()
	got, _ := b.State()
	require.Equal(t, want, got)
}
