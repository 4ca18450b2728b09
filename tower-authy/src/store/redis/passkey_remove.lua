-- Forgets a credential and its index. KEYS[1]: the subject's hash (the index's key is in it,
-- under the same hash tag). Returns 1 when there was one.
local index = redis.call('HGET', KEYS[1], 'index')
if not index then
  return 0
end
redis.call('DEL', KEYS[1], index)
return 1
