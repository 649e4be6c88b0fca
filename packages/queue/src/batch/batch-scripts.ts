/**
 * The batch store's Lua scripts. Each touches only keys of one run (`<prefix>:{run:<runId>}:<ns>:…`), so
 * in a Redis Cluster it runs on one slot; the `#!lua` shebang makes Redis 7 refuse loudly a script
 * that strays to another slot.
 */

/** Compare-and-set of a sample's state: only when it is still at (attempt, status, batch). */
export const SET_STATE_IF = `#!lua
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local s = cjson.decode(raw)
local batch = s.batch_id
if batch == cjson.null or batch == nil then batch = '' end
if tostring(s.attempt) ~= ARGV[2] or s.status ~= ARGV[3] or batch ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
return 1`;

export const RELEASE_LOCK = `#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export const RENEW_LOCK = `#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * Commits a created batch only while its intent is still open (written by this flusher — same
 * owner token —, not dropped, no batch id) and every member sample is still pending with the
 * intent's custom_id; otherwise changes nothing and returns 0 (the batch is a duplicate).
 *
 * KEYS: intent, intents set, state hash, pending zset, batches zset, batch records hash.
 * ARGV: intent key, committed intent JSON, batch id, created ms, batch record JSON, owner token,
 * then (sample id, custom_id, new state JSON) per member.
 */
export const COMMIT_IF_OPEN = `#!lua
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 0 end
local intent = cjson.decode(raw)
if intent.batch_id ~= cjson.null and intent.batch_id ~= nil then return 0 end
local owner = intent.owner
if owner == nil or owner == cjson.null then owner = '' end
if owner ~= ARGV[6] then return 0 end
for i = 7, #ARGV, 3 do
  local s = redis.call('HGET', KEYS[3], ARGV[i])
  if not s then return 0 end
  local st = cjson.decode(s)
  if st.status ~= 'pending' or st.custom_id ~= ARGV[i + 1] then return 0 end
end
for i = 7, #ARGV, 3 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
  redis.call('ZREM', KEYS[4], ARGV[i])
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[3])
redis.call('HSET', KEYS[6], ARGV[3], ARGV[5])
return 1`;

/**
 * Puts a sample that is pending (with this custom_id) into the run's pending set and its entered
 * set, unless there already: repairs a crash between a state write and the pending-set write
 * (a flush reads only the set). A sample at any other status is left alone. Returns 1 when it
 * had to add it to the pending set.
 *
 * KEYS: state hash, pending zset, entered set. ARGV: sample id, custom_id, now ms.
 */
export const ENSURE_PENDING = `#!lua
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local s = cjson.decode(raw)
if s.status ~= 'pending' or s.custom_id ~= ARGV[2] then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
return redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])`;
