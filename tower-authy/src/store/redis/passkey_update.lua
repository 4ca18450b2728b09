-- Compare-and-set of a credential on its counter. KEYS[1]: the subject's hash.
-- ARGV: expected counter, credential id (hex), credential, counter.
-- Returns 1 when replaced, 0 when the counter or the credential id differs (or it is gone).
if redis.call('HGET', KEYS[1], 'counter') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'id') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'cred', ARGV[3], 'counter', ARGV[4])
return 1
