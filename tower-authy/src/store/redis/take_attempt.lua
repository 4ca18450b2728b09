-- Counts one attempt against a throttled key unless it is throttled. KEYS[1]: {n, last}.
-- ARGV: now, lockout seconds, attempts allowed. A key idle for the lockout starts over.
-- Returns 1 counted, 0 throttled (nothing counted).
local now, lockout, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or ARGV[1])
if now - last >= lockout then n = 0 end
if n >= max then return 0 end
redis.call('HSET', KEYS[1], 'n', n + 1, 'last', now)
redis.call('EXPIRE', KEYS[1], math.max(lockout, 1))
return 1
