-- Registers a credential. KEYS[1]: the subject's hash, KEYS[2]: the credential id's index.
-- ARGV: user id, credential id (hex), credential, counter, subject.
-- Returns 1 when kept, 0 when the subject or the credential id is taken.
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'id', ARGV[2], 'cred', ARGV[3], 'counter', ARGV[4], 'index', KEYS[2])
redis.call('SET', KEYS[2], ARGV[5])
return 1
