-- Hands back one counted attempt, never below zero. KEYS[1]: {n, last}.
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n > 0 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
return 0
