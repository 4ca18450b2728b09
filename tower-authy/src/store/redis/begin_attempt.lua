-- Counts a token attempt against the challenge and the account unless either is at its limit.
-- KEYS[1]: the account's failures {n, last}; KEYS[2]: the challenge's attempts (same slot).
-- ARGV: now, lockout seconds, per account, per challenge, TTL of the challenge's counter.
-- Returns 0 allowed (counted), 1 challenge exhausted, 2 account locked.
local now, lockout = tonumber(ARGV[1]), tonumber(ARGV[2])
local per_account, per_challenge, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n > 0 then
  local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
  if now - last >= lockout then
    redis.call('DEL', KEYS[1])
    n = 0
  elseif n >= per_account then
    return 2
  end
end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= per_challenge then return 1 end
redis.call('SET', KEYS[2], used + 1, 'EX', ttl)
redis.call('HSET', KEYS[1], 'n', n + 1, 'last', now)
redis.call('EXPIRE', KEYS[1], math.max(lockout, 1))
return 0
