package redislock

import (
	"crypto/rand"
	"encoding/hex"
)

// newOwner returns a random 128-bit owner id: the value stored in the lock
// key, which only the holder knows and which release and extend compare.
func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
