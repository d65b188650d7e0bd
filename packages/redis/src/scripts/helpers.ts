// Lua helpers shared by the scripts of the Redis presence store. Each script runs atomically on one
// slot: the user hash, the sweep bucket, the outbox, the marker and the last-seen keys of a bucket
// share the hash tag `{<bucket>}`. Keys built inside a script always carry the tag of the keys it
// was given, so they live in the same slot; Redis (6 and 7) allows such undeclared same-slot keys in
// cluster mode. On a single node the scripts also reach connection records `<base>c:{<id>}`, which
// have their own tag; they are only called that way when the client is not a cluster.

/**
 * Shared Lua functions. `cfg` is the offline configuration every script that can take a user
 * offline receives, packed in one argument (see {@link offlineConfig}).
 *
 * - `fmt(x)`: a number as an integer string (Lua's `..` would write 1.7e+12 for large ones).
 * - `seenOf(v)`: the last-seen of a connection field value `<ms>` or `<ms>:<tokens>`.
 * - `before(a, b)`: byte order of two strings (Lua's `<` follows the server's locale).
 * - `countConnections(user)`: the `c:` fields of a hash that predates the kept count `n` (once).
 * - `recordOffline(tag, user, uid, activity, cfg)`: deletes the user hash and records the outbox
 *   entry (`<tag>o` due time, `<tag>od` "activity recordedAt claim") and the last seen
 *   (`<tag>l:<uid>`); `finishOutbox(tag, recorded, cfg)` then trims at most two outbox entries
 *   older than its TTL per entry recorded, and refreshes the outbox keys' TTL (once per script).
 * - `goOffline(...)`: both, for one user.
 * - `detach(tag, user, bucket, conn, uid, activity, cfg)`: removes one connection in O(1) (the
 *   kept count); returns -1 (not there), 0 (user still online) or 1 and the last activity (offline).
 */
export const HELPERS = `
local function fmt(x) return string.format('%.0f', x) end

local function seenOf(value)
  local sep = string.find(value, ':', 1, true)
  if sep then return tonumber(string.sub(value, 1, sep - 1)) end
  return tonumber(value)
end

local function before(a, b)
  local la, lb = #a, #b
  for i = 1, math.min(la, lb) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return la < lb
end

local function splitOwner(owner)
  local sp = string.find(owner, ' ', 1, true)
  if not sp then return nil, nil end
  return string.sub(owner, 1, sp - 1), string.sub(owner, sp + 1)
end

local function countConnections(user)
  local fields = redis.call('HKEYS', user)
  local n = 0
  for i = 1, #fields do
    if string.sub(fields[i], 1, 2) == 'c:' then n = n + 1 end
  end
  return n
end

local function recordOffline(tag, user, uid, activity, cfg)
  local text = fmt(activity)
  redis.call('DEL', user)
  redis.call('ZADD', tag .. 'o', cfg.dueText, uid)
  redis.call('HSET', tag .. 'od', uid, text .. cfg.entryTail)
  if cfg.retention > 0 then redis.call('SET', tag .. 'l:' .. uid, text, 'PX', cfg.retentionText) end
  return text
end

local function finishOutbox(tag, recorded, cfg)
  local o, od = tag .. 'o', tag .. 'od'
  local old = redis.call('ZRANGEBYSCORE', o, '-inf', '(' .. fmt(cfg.now - cfg.outboxTtl), 'LIMIT', 0, 2 * recorded)
  for i = 1, #old do
    redis.call('ZREM', o, old[i])
    redis.call('HDEL', od, old[i])
  end
  local ttl = fmt(cfg.outboxTtl + cfg.lease)
  redis.call('PEXPIRE', o, ttl)
  redis.call('PEXPIRE', od, ttl)
end

local function goOffline(tag, user, uid, activity, cfg)
  recordOffline(tag, user, uid, activity, cfg)
  finishOutbox(tag, 1, cfg)
end

local function detach(tag, user, bucket, conn, uid, activity, cfg)
  local member = conn .. ' ' .. uid
  local got = redis.call('HMGET', user, 'c:' .. conn, 'n', 'a')
  if not got[1] then
    local score = redis.call('ZSCORE', bucket, member)
    local indexed = redis.call('ZREM', bucket, member)
    if redis.call('EXISTS', user) == 1 then
      if indexed == 1 then return 0 end
      return -1
    end
    if indexed == 0 then return -1 end
    -- The user's hash expired under an indexed connection: nobody announced them yet.
    local last = tonumber(score)
    if activity and activity > last then last = activity end
    goOffline(tag, user, uid, last, cfg)
    return 1, last
  end
  redis.call('HDEL', user, 'c:' .. conn)
  redis.call('ZREM', bucket, member)
  local n = tonumber(got[2])
  if n == nil then n = countConnections(user) else n = n - 1 end
  local last = tonumber(got[3]) or seenOf(got[1])
  if activity and activity > last then last = activity end
  if n > 0 then
    redis.call('HSET', user, 'n', n, 'a', fmt(last))
    return 0
  end
  goOffline(tag, user, uid, last, cfg)
  return 1, last
end
`;

/**
 * The Lua statements that build `cfg` from the ARGV entry `index`, which packs the offline
 * configuration as `"<now> <lease> <outboxTtl> <retention> <nonce>"` (ms; see `offlineArg`).
 */
export function offlineConfig(index: number): string {
  return [
    `local packed = {}`,
    `for word in string.gmatch(ARGV[${index}], '%S+') do packed[#packed + 1] = word end`,
    `local cfg = { now = tonumber(packed[1]), lease = tonumber(packed[2]), outboxTtl = tonumber(packed[3]), retention = tonumber(packed[4]), retentionText = packed[4], nonce = packed[5] }`,
    `cfg.dueText = string.format('%.0f', cfg.now + cfg.lease)`,
    `cfg.entryTail = ' ' .. packed[1] .. ' ' .. cfg.nonce`,
  ].join('\n');
}
