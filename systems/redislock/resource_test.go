package redislock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline/faultline/workloads"
)

func TestResourceRefusesStaleTokens(t *testing.T) {
	steps := []struct {
		name  string
		op    func(r *Resource) error
		stale bool
	}{
		{"write with token 5", func(r *Resource) error { return r.Write(5, 1) }, false},
		{"equal token is accepted", func(r *Resource) error { return r.Write(5, 2) }, false},
		{"lower token is refused", func(r *Resource) error { return r.Write(4, 3) }, true},
		{"a read raises the highest", func(r *Resource) error { _, err := r.Read(7); return err }, false},
		{"then token 6 is stale", func(r *Resource) error { return r.Write(6, 4) }, true},
		{"token 7 writes", func(r *Resource) error { return r.Write(7, 5) }, false},
	}
	r := NewResource()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			err := s.op(r)
			if s.stale {
				assert.ErrorIs(t, err, ErrStaleToken)
			} else {
				assert.NoError(t, err)
			}
		})
	}
	assert.Equal(t, int64(5), r.Current())
	assert.Equal(t, []Accepted{{0, 5, 1}, {1, 5, 2}, {2, 7, 5}}, r.AcceptedWrites())
}

func TestResourceOverHTTP(t *testing.T) {
	r, err := StartResource(testLogger(t))
	require.NoError(t, err)
	ctx := testCtx(t, 10*time.Second)
	defer r.Close(ctx)
	c := NewResourceClient(r.Addr())
	defer c.Close()
	require.NoError(t, c.Write(ctx, 3, 10))
	v, err := c.Read(ctx, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(10), v)
	err = c.Write(ctx, 2, 11)
	require.ErrorIs(t, err, ErrStaleToken)
	assert.True(t, workloads.IsDefinite(err), "a stale token is a definite refusal")
	v, err = c.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(10), v)

	// A resource that is gone: the request is never sent.
	require.NoError(t, r.Close(ctx))
	_, err = c.Current(ctx)
	require.Error(t, err)

	short, cancel := context.WithCancel(ctx)
	cancel()
	_, err = NewResourceClient(r.Addr()).Read(short, 1)
	assert.Error(t, err)
}
