import { HELPERS, offlineConfig } from './helpers.js';

/**
 * Sweeps one bucket. KEYS: the bucket. ARGV: 1 cutoff, 2 limit, 3 base, 4 bucket, 5 single node
 * ('1' | '0'), 6 the offline configuration. Removes up to `limit` members scored strictly before
 * `cutoff` (read and removed in this one atomic step, so a touch at or after the cutoff either lands
 * before and moves the score, or lands after and re-registers) and, on a single node, their
 * connection records. Each user's kept count `n` drops by the connections removed (no scan); a user
 * left with none goes offline with their last activity `a` (never the sweep's time), recorded in
 * the outbox and the last seen. A user whose hash expired under indexed connections goes offline
 * with the latest of their index scores.
 * Returns `{more 1/0, {conn, uid, ...}, {offline uid, lastActivity, ...}, claim}`.
 */
export const SWEEP_LUA = `${HELPERS}
${offlineConfig(6)}
local bucket = KEYS[1]
local limit = tonumber(ARGV[2])
local tag = ARGV[3] .. '{' .. ARGV[4] .. '}:'
local stale = redis.call('ZRANGEBYSCORE', bucket, '-inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit + 1)
local more = 0
local n = #stale / 2
if n > limit then
  more = 1
  n = limit
end
local expired, offline, users, removed, latest = {}, {}, {}, {}, {}
for i = 1, n do
  local member, score = stale[2 * i - 1], tonumber(stale[2 * i])
  redis.call('ZREM', bucket, member)
  local conn, uid = splitOwner(member)
  if conn then
    local gone = redis.call('HDEL', tag .. 'u:' .. uid, 'c:' .. conn)
    if ARGV[5] == '1' then
      local record = ARGV[3] .. 'c:{' .. conn .. '}'
      if redis.call('GET', record) == ARGV[4] .. ' ' .. uid then redis.call('DEL', record) end
    end
    expired[#expired + 1] = conn
    expired[#expired + 1] = uid
    if removed[uid] == nil then
      removed[uid] = 0
      users[#users + 1] = uid
    end
    removed[uid] = removed[uid] + gone
    if latest[uid] == nil or score > latest[uid] then latest[uid] = score end
  end
end
for i = 1, #users do
  local uid = users[i]
  local user = tag .. 'u:' .. uid
  if removed[uid] > 0 then
    local got = redis.call('HMGET', user, 'n', 'a')
    local left = tonumber(got[1])
    if left == nil then left = countConnections(user) else left = left - removed[uid] end
    if left > 0 then
      redis.call('HSET', user, 'n', left)
    else
      offline[#offline + 1] = uid
      offline[#offline + 1] = recordOffline(tag, user, uid, tonumber(got[2]) or latest[uid], cfg)
    end
  elseif redis.call('EXISTS', user) == 0 then
    offline[#offline + 1] = uid
    offline[#offline + 1] = recordOffline(tag, user, uid, latest[uid], cfg)
  end
end
if #offline > 0 then finishOutbox(tag, #offline / 2, cfg) end
return {more, expired, offline, cfg.nonce}
`;
