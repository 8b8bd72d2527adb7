"""Lua run atomically inside Redis, so history, offsets and fan-out can never disagree.

Keys of one channel share a hash tag (``{...}``), so the scripts also run on Redis Cluster.
A stream entry's id is ``0-<offset>``: the stream order is the offset order.
"""

# KEYS: meta hash, stream. ARGV: fresh epoch, data, published_at, history size, ttl ms,
# pub/sub channel. A new epoch starts when the meta hash is gone, or when the stream vanished
# while the meta still counted messages (eviction): the old offsets can no longer be replayed.
# PUBLISH runs in the same script, so every listener sees messages in offset order.
PUBLISH = """
local epoch = redis.call('HGET', KEYS[1], 'e')
if epoch then
  local last = tonumber(redis.call('HGET', KEYS[1], 'o') or '0')
  if last > 0 and redis.call('EXISTS', KEYS[2]) == 0 then epoch = false end
end
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '0-' .. offset, 'd', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[6], epoch .. '|' .. offset .. '|' .. ARGV[3] .. '|' .. ARGV[2])
return {epoch, offset}
"""

# KEYS: meta hash, stream. ARGV: fresh epoch, ttl ms, since epoch, since offset, history size,
# want latest ('1' or '0'). Returns {epoch, offset, missed entries, latest entry}; missed entries
# are read only when the caller's epoch is current and the gap fits in the history.
READ = """
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'o') or '0')
local since = tonumber(ARGV[4])
local missed = {}
if ARGV[3] == epoch and since >= 0 and since < offset and offset - since <= tonumber(ARGV[5]) then
  missed = redis.call('XRANGE', KEYS[2], '0-' .. (since + 1), '+', 'COUNT', offset - since)
end
local latest = {}
if ARGV[6] == '1' then
  latest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
end
return {epoch, offset, missed, latest}
"""
