package redislock

import "github.com/redis/go-redis/v9"

// The fenced lock's scripts. Each runs atomically in Redis, so the check and
// the change cannot be split by another client or by the key's expiry.
var (
	// acquireScript sets the lock if it is free and, in the same step,
	// increments the lock's counter: the new value is the fencing token.
	// A missing counter (a new lock, or a Redis that lost its keys) starts
	// from the server's clock in microseconds, so that tokens keep rising
	// across a restart without persistence as long as the clock does.
	// KEYS[1] lock, KEYS[2] counter; ARGV[1] owner, ARGV[2] lease in ms.
	// Returns the token, or 0 when the lock is held.
	acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', KEYS[2], t[1] .. string.format('%06d', tonumber(t[2])))
  end
  return redis.call('INCR', KEYS[2])
end
return 0`)

	// releaseScript deletes the lock only if it holds the owner.
	// Returns 1 when deleted, 0 when not held.
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

	// extendScript sets a new lease only if the lock holds the owner.
	// Returns 1 when extended, 0 when not held.
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
)
