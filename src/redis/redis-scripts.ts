/**
 * The Lua scripts the Redis transport runs server-side, each atomic and one round trip. ioredis sends them with
 * EVALSHA and falls back to EVAL when the server does not know the script (after a restart or SCRIPT FLUSH).
 */

/**
 * Direct routing (kombu's DirectExchange.lookup + `_put`): every queue of the exchange's binding set whose routing
 * key equals the message's gets the message LPUSHed to its list of this priority step. Returns how many queues.
 * KEYS[1] the binding set; ARGV: routing key, separator, key prefix, list suffix ('' or sep..step), payload.
 */
export const ROUTE_DIRECT = `
local sep = ARGV[2]
local seen = {}
local n = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local a = string.find(m, sep, 1, true)
  if a and string.sub(m, 1, a - 1) == ARGV[1] then
    local b = string.find(m, sep, a + #sep, true)
    if b then
      local q = string.sub(m, b + #sep)
      if not seen[q] then
        seen[q] = true
        redis.call('LPUSH', ARGV[3] .. q .. ARGV[4], ARGV[5])
        n = n + 1
      end
    end
  end
end
return n
`;

/**
 * Restore one unacked message (kombu's QoS.restore_by_tag), only if it is still unacked: remove it from `unacked`
 * and `unacked_index` and push it back to its lists. Returns 1 when restored, 0 when someone else settled it first.
 * KEYS[1] unacked, KEYS[2] unacked_index, then the lists; ARGV: tag, 'L' (LPUSH) or 'R' (RPUSH), payload.
 */
export const RESTORE_TAG = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 3, #KEYS do
  if ARGV[2] == 'L' then redis.call('LPUSH', KEYS[i], ARGV[3]) else redis.call('RPUSH', KEYS[i], ARGV[3]) end
end
return 1
`;

/**
 * Take up to ARGV[1] messages from the right of a list (RPOP count, Redis 6.2+) and, when ARGV[3] is '1', record
 * each in `unacked` (`[envelope, exchange, routing_key]` under its delivery tag) and `unacked_index` (score ARGV[2])
 * in the same step: a client that dies after sending it leaves every message either on its list or in `unacked`,
 * where a restorer finds it. Returns {taken, recorded}: recorded[i] is 1 when taken[i] was recorded, 0 when it is not
 * an envelope with a string tag and exchange and routing key (the caller records or sets it aside).
 * KEYS[1] the list, KEYS[2] unacked, KEYS[3] unacked_index.
 */
export const TAKE_AND_HOLD = `
local taken = redis.call('RPOP', KEYS[1], ARGV[1])
if not taken then return {{}, {}} end
local recorded = {}
for i, raw in ipairs(taken) do
  recorded[i] = 0
  if ARGV[3] == '1' then
    local ok, env = pcall(cjson.decode, raw)
    local p = ok and type(env) == 'table' and env.properties
    local info = type(p) == 'table' and p.delivery_info
    if type(info) == 'table' and type(p.delivery_tag) == 'string' and type(info.exchange) == 'string' and type(info.routing_key) == 'string' then
      redis.call('ZADD', KEYS[3], ARGV[2], p.delivery_tag)
      redis.call('HSET', KEYS[2], p.delivery_tag, '[' .. raw .. ', ' .. cjson.encode(info.exchange) .. ', ' .. cjson.encode(info.routing_key) .. ']')
      recorded[i] = 1
    end
  end
end
return {taken, recorded}
`;

/**
 * For each of `count` elements still in its list: remove it (LREM with count -1 looks from the tail, where the oldest
 * are) and run `then`, in one step; an element no longer there (a consumer took it) is left alone. The script
 * returns one 1 (done) or 0 per element. `n` is the element's number, from 1.
 */
function forEachRemoved(count: string, list: string, element: string, then: string): string {
  return `
local out = {}
for n = 1, ${count} do
  if redis.call('LREM', ${list}, -1, ${element}) == 1 then
    ${then}
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;
}

/**
 * A filtered purge's take (StoredQueues.take): each element still in its list is removed from it and recorded in
 * `unacked` and `unacked_index` as a consumer's take is (kombu's QoS.append). KEYS[1] unacked, KEYS[2]
 * unacked_index, KEYS[2 + n] element n's list; ARGV[1] the time (Unix seconds), then per element: the element, its
 * kombu delivery tag, its `unacked` record.
 */
export const TAKE_ELEMENTS = forEachRemoved(
  '#KEYS - 2',
  'KEYS[n + 2]',
  'ARGV[3 * n - 1]',
  "redis.call('HSET', KEYS[1], ARGV[3 * n], ARGV[3 * n + 1]) redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3 * n])",
);

/**
 * A filtered move (StoredQueues.moveSome): each element still in its list is removed from it and LPUSHed to its
 * target list in the same step, so it is never in both and never in neither. KEYS: source and target list of each
 * element in turn; ARGV: the elements.
 */
export const MOVE_ELEMENTS = forEachRemoved('#ARGV', 'KEYS[2 * n - 1]', 'ARGV[n]', "redis.call('LPUSH', KEYS[2 * n], ARGV[n])");

/** Release kombu's `unacked_mutex` only if we still hold it. KEYS[1] the mutex; ARGV[1] our token. */
export const RELEASE_MUTEX = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Take or renew an exclusive claim (src/redis/redis-claims.ts): ours or free → (re)set with the lease, 1; another
 * owner's → 0. KEYS[1] the claim; ARGV: owner token, lease in ms.
 */
export const CLAIM_NAME = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;
