package redislock

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Bug is a deliberate defect the fenced lock can be built with, so that a
// test harness can prove it catches it. None is on unless asked for.
type Bug string

// The catalog of bugs the fenced lock can be switched into.
const (
	// BugNoOwnerCheck: Release deletes the lock without comparing the
	// owner, so a holder whose lease ran out frees the next holder's lock.
	BugNoOwnerCheck Bug = "no-owner-check"
	// BugTokenReuse: the counter is advanced on release instead of on
	// acquire, so a holder that loses its lease without releasing leaves
	// the next holder the same fencing token.
	BugTokenReuse Bug = "token-reuse"
)

// Bugs is every bug of the catalog, each with what it breaks.
var Bugs = []struct {
	Bug  Bug
	Does string
}{
	{BugNoOwnerCheck, "release deletes the lock without comparing the owner"},
	{BugTokenReuse, "fencing tokens that can repeat (the counter advances on release)"},
}

// ParseBug returns the bug named s, or an error listing the known ones.
func ParseBug(s string) (Bug, error) {
	names := make([]string, len(Bugs))
	for i, b := range Bugs {
		if string(b.Bug) == s {
			return b.Bug, nil
		}
		names[i] = string(b.Bug)
	}
	return "", fmt.Errorf("%w: unknown bug %q: the fenced lock's bugs are %s", ErrInvalidConfig, s, strings.Join(names, ", "))
}

// The scripts of the bugs. KEYS[1] lock, KEYS[2] counter, as the correct ones.
var (
	// releaseNoOwnerScript deletes the lock whoever holds it.
	releaseNoOwnerScript = redis.NewScript(`return redis.call('DEL', KEYS[1])`)

	// acquireReuseScript hands out the counter's next value without
	// advancing it; releaseReuseScript advances it.
	acquireReuseScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return tonumber(redis.call('GET', KEYS[2]) or '0') + 1
end
return 0`)
	releaseReuseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('INCR', KEYS[2])
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

// scripts are the acquire and release scripts of a lock built with bugs.
func scriptsFor(bugs []Bug) (acquire, release *redis.Script) {
	acquire, release = acquireScript, releaseScript
	for _, b := range bugs {
		switch b {
		case BugNoOwnerCheck:
			release = releaseNoOwnerScript
		case BugTokenReuse:
			acquire, release = acquireReuseScript, releaseReuseScript
		}
	}
	return acquire, release
}
