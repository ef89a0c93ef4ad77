package redislock_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faultline/faultline/impl/redislock"
)

// A holder sends its fencing token with every write, so that the storage
// can refuse a holder whose lease ran out while it was paused.
func ExampleFenced() {
	cfg := redislock.DefaultFencedConfig()
	cfg.Client.Addr = "127.0.0.1:6379"
	cfg.Lease = 5 * time.Second
	locks, err := redislock.NewFenced(cfg)
	if err != nil {
		panic(err)
	}
	defer locks.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lease, err := locks.Acquire(ctx, "reports")
	switch {
	case errors.Is(err, redislock.ErrNotAcquired):
		fmt.Println("someone else holds it; try later")
		return
	case errors.Is(err, redislock.ErrIndeterminate):
		fmt.Println("unknown: the lock may be ours until its lease runs out")
		return
	case err != nil:
		fmt.Println("redis refused:", err)
		return
	}
	fmt.Println("write with token", lease.Token())
	if err := lease.Release(ctx); errors.Is(err, redislock.ErrNotHeld) {
		fmt.Println("the lease had already run out")
	}
}
