-- Whether an account is locked. KEYS[1]: its token failures {n, last}.
-- ARGV: now, lockout seconds, failures per account. A streak older than the lockout is forgotten.
local now, lockout, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n == 0 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if now - last >= lockout then
  redis.call('DEL', KEYS[1])
  return 0
end
if n >= max then return 1 end
return 0
