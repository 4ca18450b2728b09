-- Compare-and-set of a challenge's state. KEYS[1]: the challenge. ARGV: from, to.
-- Returns 1 when it moved, 0 when it was not in `from` (or is gone).
if redis.call('HGET', KEYS[1], 'state') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', ARGV[2])
  return 1
end
return 0
