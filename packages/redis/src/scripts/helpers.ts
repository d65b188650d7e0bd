// Lua helpers shared by the scripts of the Redis presence store. Each script runs atomically on one
// slot: the user hash, the sweep bucket, the outbox, the marker and the last-seen keys of a bucket
// share the hash tag `{<bucket>}`. Keys built inside a script always carry the tag of the keys it
// was given, so they live in the same slot; Redis (6 and 7) allows such undeclared same-slot keys in
// cluster mode. On a single node the scripts also reach connection records `<base>c:{<id>}`, which
// have their own tag; they are only called that way when the client is not a cluster.

/**
 * Shared Lua functions. `cfg` is the offline configuration every script that can take a user
 * offline receives: `{ now, lease, outboxTtl, retention, nonce }` (see {@link offlineConfig}).
 *
 * - `fmt(x)`: a number as an integer string (Lua's `..` would write 1.7e+12 for large ones).
 * - `seenOf(v)`: the last-seen of a connection field value `<ms>` or `<ms>:<tokens>`.
 * - `before(a, b)`: byte order of two strings (Lua's `<` follows the server's locale).
 * - `countConnections(user)`: the `c:` fields of a hash that predates the kept count `n` (once).
 * - `goOffline(tag, user, uid, activity, cfg)`: deletes the user hash and records the outbox entry
 *   (`<tag>o` due time, `<tag>od` "activity recordedAt claim") and the last seen (`<tag>l:<uid>`),
 *   trimming at most two outbox entries older than its TTL on the way.
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

local function goOffline(tag, user, uid, activity, cfg)
  redis.call('DEL', user)
  local o, od = tag .. 'o', tag .. 'od'
  local old = redis.call('ZRANGEBYSCORE', o, '-inf', '(' .. fmt(cfg.now - cfg.outboxTtl), 'LIMIT', 0, 2)
  for i = 1, #old do
    redis.call('ZREM', o, old[i])
    redis.call('HDEL', od, old[i])
  end
  redis.call('ZADD', o, fmt(cfg.now + cfg.lease), uid)
  redis.call('HSET', od, uid, fmt(activity) .. ' ' .. fmt(cfg.now) .. ' ' .. cfg.nonce)
  redis.call('PEXPIRE', o, fmt(cfg.outboxTtl + cfg.lease))
  redis.call('PEXPIRE', od, fmt(cfg.outboxTtl + cfg.lease))
  if cfg.retention > 0 then
    redis.call('SET', tag .. 'l:' .. uid, fmt(activity), 'PX', fmt(cfg.retention))
  end
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
 * The Lua statement that builds `cfg` from five consecutive ARGV entries starting at `first`:
 * now, lease, outbox TTL, last-seen retention (all ms) and the claim nonce.
 */
export function offlineConfig(first: number): string {
  const at = (i: number) => `ARGV[${first + i}]`;
  return `local cfg = { now = tonumber(${at(0)}), lease = tonumber(${at(1)}), outboxTtl = tonumber(${at(2)}), retention = tonumber(${at(3)}), nonce = ${at(4)} }`;
}
