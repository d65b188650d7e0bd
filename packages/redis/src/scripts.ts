// Lua scripts of the Redis presence store. Each runs atomically on one slot: the user hash and the
// sweep bucket share the hash tag `{<bucket>}`. Keys built inside a script (the user hashes a sweep
// visits) always carry the tag of KEYS[1], so they live in the same slot; Redis (6 and 7) allows
// such undeclared same-slot keys in cluster mode. On a single node the scripts also reach the
// connection record `<base>c:{<id>}`, which has its own tag; they are only called that way when the
// client is not a cluster.

const HELPERS = `
local function hasConnections(userKey)
  local fields = redis.call('HKEYS', userKey)
  for i = 1, #fields do
    if string.sub(fields[i], 1, 2) == 'c:' then return true end
  end
  return false
end

local function detach(userKey, bucketKey, conn, uid)
  redis.call('HDEL', userKey, 'c:' .. conn)
  redis.call('ZREM', bucketKey, conn .. ' ' .. uid)
  if hasConnections(userKey) then return 0 end
  redis.call('DEL', userKey)
  return 1
end

local function splitOwner(owner)
  local sp = string.find(owner, ' ', 1, true)
  if not sp then return nil, nil end
  return string.sub(owner, 1, sp - 1), string.sub(owner, sp + 1)
end
`;

/**
 * Touch, add and setPage. KEYS: user hash, bucket, [connection record: single node only].
 * ARGV: conn, uid, now, ttlMs, bucket, base, mode ('t' | 'p'), shared ('1' | '0'), nu, nt, then
 * `nu` url chunks and `nt` title chunks (pages are stored in chunks of at most 64 bytes so that the
 * hash keeps Redis' compact listpack encoding under the default `hash-max-listpack-value`).
 * When the latest page is the current page (the usual case) the hash holds `L = 1` instead of a
 * second copy. Returns 1/0 (was registered) for 't'; for 'p', `{1/0, field, value, ...}` with the
 * latest page's chunks under `lu<i>` / `lt<i>`.
 */
export const TOUCH_LUA = `${HELPERS}
local user, bucket = KEYS[1], KEYS[2]
local conn, uid, now, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if #KEYS == 3 then
  local owner = ARGV[5] .. ' ' .. uid
  local prev = redis.call('SET', KEYS[3], owner, 'PX', ttl, 'GET')
  if prev and prev ~= owner then
    local ob, ouid = splitOwner(prev)
    if ob then
      local tag = ARGV[6] .. '{' .. ob .. '}:'
      detach(tag .. 'u:' .. ouid, tag .. 's', conn, ouid)
    end
  end
end
local known = redis.call('HSET', user, 'c:' .. conn, now) == 0
redis.call('ZADD', bucket, now, conn .. ' ' .. uid)
local reply
if ARGV[7] == 'p' then
  local nu, nt = tonumber(ARGV[9]), tonumber(ARGV[10])
  local moveLatest = ARGV[8] == '1' and nu > 0
  local current, latest, same = {}, {}, false
  local all = redis.call('HGETALL', user)
  for i = 1, #all, 2 do
    local field = all[i]
    local kind = string.sub(field, 1, 1)
    if kind == 'u' or kind == 't' then
      current[#current + 1] = field
      current[#current + 1] = all[i + 1]
    elseif kind == 'l' then
      latest[#latest + 1] = field
      latest[#latest + 1] = all[i + 1]
    elseif field == 'L' then
      same = true
    end
  end
  local drop, set = {}, {}
  for i = 1, #current, 2 do drop[#drop + 1] = current[i] end
  reply = {0}
  if moveLatest then
    -- The new page is the latest one too: mark it instead of storing it twice.
    for i = 1, #latest, 2 do drop[#drop + 1] = latest[i] end
    set[1] = 'L'
    set[2] = '1'
  elseif same then
    -- The latest page was the current one: keep it under its own fields before replacing it.
    drop[#drop + 1] = 'L'
    for i = 1, #current, 2 do
      set[#set + 1] = 'l' .. current[i]
      set[#set + 1] = current[i + 1]
      reply[#reply + 1] = 'l' .. current[i]
      reply[#reply + 1] = current[i + 1]
    end
  else
    for i = 1, #latest do reply[#reply + 1] = latest[i] end
  end
  for i = 1, nu do
    set[#set + 1] = 'u' .. (i - 1)
    set[#set + 1] = ARGV[10 + i]
    if moveLatest then
      reply[#reply + 1] = 'lu' .. (i - 1)
      reply[#reply + 1] = ARGV[10 + i]
    end
  end
  for i = 1, nt do
    set[#set + 1] = 't' .. (i - 1)
    set[#set + 1] = ARGV[10 + nu + i]
    if moveLatest then
      reply[#reply + 1] = 'lt' .. (i - 1)
      reply[#reply + 1] = ARGV[10 + nu + i]
    end
  end
  if #drop > 0 then redis.call('HDEL', user, unpack(drop)) end
  if #set > 0 then redis.call('HSET', user, unpack(set)) end
end
redis.call('PEXPIRE', user, ttl)
redis.call('PEXPIRE', bucket, ttl)
local registered = 0
if known then registered = 1 end
if reply then
  reply[1] = registered
  return reply
end
return registered
`;

/**
 * removeConnection on a single node. KEYS: connection record. ARGV: conn, base.
 * Returns `{uid, offline 1/0}`, or nil when the connection is unknown.
 */
export const REMOVE_LUA = `${HELPERS}
local owner = redis.call('GET', KEYS[1])
if not owner then return false end
redis.call('DEL', KEYS[1])
local b, uid = splitOwner(owner)
if not b then return false end
local tag = ARGV[2] .. '{' .. b .. '}:'
return {uid, detach(tag .. 'u:' .. uid, tag .. 's', ARGV[1], uid)}
`;

/**
 * The user-slot half of removeConnection on a cluster (and of moving a connection between users).
 * KEYS: user hash, bucket. ARGV: conn, uid. Returns 1 when the user is left with no connection, 0
 * when not, -1 when the connection was not there (a concurrent remove or sweep got it first).
 */
export const DETACH_LUA = `${HELPERS}
local conn, uid = ARGV[1], ARGV[2]
if redis.call('HEXISTS', KEYS[1], 'c:' .. conn) == 0 and redis.call('ZSCORE', KEYS[2], conn .. ' ' .. uid) == false then
  return -1
end
return detach(KEYS[1], KEYS[2], conn, uid)
`;

/** Deletes a key only if it still holds ARGV[1]. KEYS: the key. Returns 1 when deleted. */
export const DELETE_IF_EQUAL_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/**
 * Sweeps one bucket. KEYS: the bucket. ARGV: cutoff, limit, base, bucket, single node ('1' | '0').
 * Removes up to `limit` members scored strictly before `cutoff` (read and removed in this one
 * atomic step, so a touch at or after the cutoff either lands before and moves the score, or lands
 * after and re-registers) and, on a single node, their connection records.
 * Returns `{more 1/0, {conn, uid, ...}, {offline uid, ...}}`.
 */
export const SWEEP_LUA = `${HELPERS}
local bucket = KEYS[1]
local limit = tonumber(ARGV[2])
local tag = ARGV[3] .. '{' .. ARGV[4] .. '}:'
local stale = redis.call('ZRANGEBYSCORE', bucket, '-inf', '(' .. ARGV[1], 'LIMIT', 0, limit + 1)
local more = 0
local n = #stale
if n > limit then
  more = 1
  n = limit
end
local expired, offline, seen, users = {}, {}, {}, {}
for i = 1, n do
  local member = stale[i]
  redis.call('ZREM', bucket, member)
  local conn, uid = splitOwner(member)
  if conn then
    redis.call('HDEL', tag .. 'u:' .. uid, 'c:' .. conn)
    if ARGV[5] == '1' then
      local record = ARGV[3] .. 'c:{' .. conn .. '}'
      if redis.call('GET', record) == ARGV[4] .. ' ' .. uid then redis.call('DEL', record) end
    end
    expired[#expired + 1] = conn
    expired[#expired + 1] = uid
    if not seen[uid] then
      seen[uid] = true
      users[#users + 1] = uid
    end
  end
end
for i = 1, #users do
  local userKey = tag .. 'u:' .. users[i]
  if not hasConnections(userKey) then
    redis.call('DEL', userKey)
    offline[#offline + 1] = users[i]
  end
end
return {more, expired, offline}
`;

/**
 * Live connections of many users of one bucket (one slot), for the sweep's read. KEYS: user hashes.
 * ARGV: seenSince (ms). Returns, per key in order, the connection ids whose last-seen (the value of
 * field `c:<id>`) is at or after seenSince. Read only. Lets Redis filter instead of sending every
 * hash to the client: in a mass timeout most friends read this way have no live connection.
 */
export const LIVE_CONNECTIONS_LUA = `
local since = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local fields = redis.call('HGETALL', KEYS[i])
  local live = {}
  for j = 1, #fields, 2 do
    local f = fields[j]
    if string.sub(f, 1, 2) == 'c:' and tonumber(fields[j + 1]) >= since then
      live[#live + 1] = string.sub(f, 3)
    end
  end
  out[i] = live
end
return out
`;
