-- Takes one use of a quota. KEYS[1]: the uses' timestamps, newest first.
-- ARGV: now, window seconds, uses per window. Returns 1 taken, 0 when the window is full.
local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
while true do
  local oldest = redis.call('LINDEX', KEYS[1], -1)
  if not oldest or now - tonumber(oldest) < window then break end
  redis.call('RPOP', KEYS[1])
end
if redis.call('LLEN', KEYS[1]) >= max then return 0 end
redis.call('LPUSH', KEYS[1], now)
redis.call('EXPIRE', KEYS[1], math.max(window, 1))
return 1
