import { HELPERS, offlineConfig } from './helpers.js';

/** Index of the first url chunk in the upsert script's ARGV. */
export const UPSERT_CHUNKS_AT = 16;

/**
 * Touch, add and setPage. KEYS: user hash, bucket, [connection record: single node only].
 * ARGV: 1 conn, 2 uid, 3 now, 4 ttlMs, 5 bucket, 6 base, 7 mode ('t' | 'p'), 8 shared ('1' | '0'),
 * 9 nu, 10 nt, 11 deadline ms ('' = none), 12 cap ('' = none), 13 the rate limit `"<per second>
 * <burst>"` ('' = none), 14 the offline configuration (a connection id moving from another user
 * may take that user offline), 15 the frame fingerprint ('p' only; '' = none), then `nu` url
 * chunks and `nt` title chunks (pages are stored in chunks of at most 64 bytes so that the hash
 * keeps Redis' compact listpack encoding under the default `hash-max-listpack-value`).
 *
 * In order: the deadline against `TIME` (refused: `{2}`, nothing written); the connection's token
 * bucket, kept in its field value `<lastSeen>:<tokens>` (empty: `{1, 1}`, nothing written); the
 * record; the connection field and the user's last activity `a` in one HSET, whose count of new
 * fields tells a known connection (0: the heartbeat's path reads nothing) from a new one, which
 * moves the connection count `n` (a hash written before the count is counted once) and forgets the
 * frame fingerprint `f` (a new socket must get the next frame); a user created anew drops their
 * outbox entry and last seen; the index; the cap (the least recently seen others beyond it are
 * removed, ties by byte order of their ids). For 'p', the page, and the fingerprint compared with
 * `f` and kept (or `f` dropped when none is given). When the latest page is the current page (the
 * usual case) the hash holds `L = 1` instead of a second copy.
 * Returns `{0, known 1/0, {evicted ids}, flags}` (flags: 1 the user was created, 2 the fingerprint
 * was unchanged), or just `known` (an integer) for 't' when nothing was evicted and the user was
 * not created (the heartbeat's path); for 'p' the latest page's chunks follow as `lu<i>` / `lt<i>`
 * field-value pairs.
 */
export const UPSERT_LUA = `
-- The helpers and the offline configuration are built only on the paths that need them (rate
-- limit, a moved connection id, a legacy hash, the cap): the heartbeat's path creates no closure.
local lib
local function L()
  if lib then return lib end
  ${HELPERS}
  ${offlineConfig(14)}
  lib = { seenOf = seenOf, before = before, splitOwner = splitOwner, countConnections = countConnections, detach = detach, cfg = cfg }
  return lib
end
local user, bucket = KEYS[1], KEYS[2]
local conn, uid, ttl = ARGV[1], ARGV[2], ARGV[4]
local now = tonumber(ARGV[3])
if ARGV[11] ~= '' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[11]) then
    return {2}
  end
end
local value = ARGV[3]
local prev = false
if ARGV[13] ~= '' then
  prev = redis.call('HGET', user, 'c:' .. conn)
  if prev then
    local sp = string.find(ARGV[13], ' ', 1, true)
    local rate, burst = tonumber(string.sub(ARGV[13], 1, sp - 1)), tonumber(string.sub(ARGV[13], sp + 1))
    local sep = string.find(prev, ':', 1, true)
    local tokens = burst
    if sep then tokens = tonumber(string.sub(prev, sep + 1)) end
    local elapsed = now - L().seenOf(prev)
    if elapsed < 0 then elapsed = 0 end
    tokens = math.min(burst, tokens + elapsed * rate / 1000)
    if tokens < 1 then return {1, 1} end
    value = ARGV[3] .. ':' .. string.format('%.17g', tokens - 1)
  end
end
if #KEYS == 3 then
  local owner = ARGV[5] .. ' ' .. uid
  local old = redis.call('SET', KEYS[3], owner, 'PX', ttl, 'GET')
  if old and old ~= owner then
    local ob, ouid = L().splitOwner(old)
    if ob then
      local otag = ARGV[6] .. '{' .. ob .. '}:'
      L().detach(otag, otag .. 'u:' .. ouid, otag .. 's', conn, ouid, nil, L().cfg)
    end
  end
end
local added = redis.call('HSET', user, 'c:' .. conn, value, 'a', ARGV[3])
local known, created, n = added == 0, false, nil
if added > 0 then
  local count = redis.call('HGET', user, 'n')
  if count then
    n = tonumber(count) + 1
  elseif added == 2 and redis.call('HLEN', user) == 2 then
    created = true
    n = 1
  else
    -- A hash written before the kept count: count it once (only 'a' was new if the id was known).
    n = L().countConnections(user)
    known = added == 1
  end
  redis.call('HSET', user, 'n', n)
end
if not known and not created then redis.call('HDEL', user, 'f') end
if created then
  local tag = ARGV[6] .. '{' .. ARGV[5] .. '}:'
  redis.call('ZREM', tag .. 'o', uid)
  redis.call('HDEL', tag .. 'od', uid)
  redis.call('DEL', tag .. 'l:' .. uid)
end
redis.call('ZADD', bucket, now, conn .. ' ' .. uid)
local evicted = {}
if not known and ARGV[12] ~= '' and n > tonumber(ARGV[12]) then
  local all = redis.call('HGETALL', user)
  local others = {}
  for i = 1, #all, 2 do
    local f = all[i]
    if string.sub(f, 1, 2) == 'c:' and f ~= 'c:' .. conn then
      others[#others + 1] = { string.sub(f, 3), L().seenOf(all[i + 1]) }
    end
  end
  table.sort(others, function(x, y)
    if x[2] ~= y[2] then return x[2] < y[2] end
    return L().before(x[1], y[1])
  end)
  for i = 1, math.min(n - tonumber(ARGV[12]), #others) do
    local id = others[i][1]
    redis.call('HDEL', user, 'c:' .. id)
    redis.call('ZREM', bucket, id .. ' ' .. uid)
    if #KEYS == 3 then
      local record = ARGV[6] .. 'c:{' .. id .. '}'
      if redis.call('GET', record) == ARGV[5] .. ' ' .. uid then redis.call('DEL', record) end
    end
    evicted[#evicted + 1] = id
  end
  redis.call('HSET', user, 'n', n - #evicted)
end
local knownFlag = 0
if known then knownFlag = 1 end
if ARGV[7] == 't' and #evicted == 0 and not created then
  redis.call('PEXPIRE', user, ttl)
  redis.call('PEXPIRE', bucket, ttl)
  return knownFlag
end
local flags = 0
if created then flags = 1 end
local reply = {0, knownFlag, evicted, flags}
if ARGV[7] == 'p' then
  local nu, nt = tonumber(ARGV[9]), tonumber(ARGV[10])
  local moveLatest = ARGV[8] == '1' and nu > 0
  local current, latest, same, kept = {}, {}, false, false
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
    elseif field == 'f' then
      kept = all[i + 1]
    end
  end
  local drop, set = {}, {}
  if ARGV[15] == '' then
    if kept then drop[#drop + 1] = 'f' end
  elseif kept == ARGV[15] then
    reply[4] = flags + 2
  else
    set[1] = 'f'
    set[2] = ARGV[15]
  end
  for i = 1, #current, 2 do drop[#drop + 1] = current[i] end
  if moveLatest then
    -- The new page is the latest one too: mark it instead of storing it twice.
    for i = 1, #latest, 2 do drop[#drop + 1] = latest[i] end
    set[#set + 1] = 'L'
    set[#set + 1] = '1'
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
  local at = ${UPSERT_CHUNKS_AT - 1}
  for i = 1, nu do
    set[#set + 1] = 'u' .. (i - 1)
    set[#set + 1] = ARGV[at + i]
    if moveLatest then
      reply[#reply + 1] = 'lu' .. (i - 1)
      reply[#reply + 1] = ARGV[at + i]
    end
  end
  for i = 1, nt do
    set[#set + 1] = 't' .. (i - 1)
    set[#set + 1] = ARGV[at + nu + i]
    if moveLatest then
      reply[#reply + 1] = 'lt' .. (i - 1)
      reply[#reply + 1] = ARGV[at + nu + i]
    end
  end
  if #drop > 0 then redis.call('HDEL', user, unpack(drop)) end
  if #set > 0 then redis.call('HSET', user, unpack(set)) end
end
redis.call('PEXPIRE', user, ttl)
redis.call('PEXPIRE', bucket, ttl)
return reply
`;
