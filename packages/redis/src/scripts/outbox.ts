/**
 * Claims outbox entries of one bucket. KEYS: the outbox (sorted set: user → claimable-from ms), its
 * data (hash: user → "lastActivity recordedAt claim"). ARGV: 1 now, 2 limit, 3 lease, 4 TTL, 5 claim
 * nonce. Hands out up to `limit` entries claimable at `now`, each made claimable again only at
 * `now + lease` and given the new claim; entries recorded before `now - TTL` are deleted instead.
 * Returns `{uid, lastActivity, ...}`.
 */
export const CLAIM_LUA = `
local o, od = KEYS[1], KEYS[2]
local now, limit, lease, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
local claimed = 0
for round = 1, 8 do
  if claimed >= limit then break end
  local ids = redis.call('ZRANGEBYSCORE', o, '-inf', ARGV[1], 'LIMIT', 0, limit - claimed)
  if #ids == 0 then break end
  for i = 1, #ids do
    local uid = ids[i]
    local value = redis.call('HGET', od, uid)
    local activity, recorded
    if value then
      local a = string.find(value, ' ', 1, true)
      local b = a and string.find(value, ' ', a + 1, true)
      if b then
        activity = string.sub(value, 1, a - 1)
        recorded = tonumber(string.sub(value, a + 1, b - 1))
      end
    end
    if recorded == nil or recorded < now - ttl then
      redis.call('ZREM', o, uid)
      redis.call('HDEL', od, uid)
    else
      redis.call('ZADD', o, string.format('%.0f', now + lease), uid)
      redis.call('HSET', od, uid, activity .. ' ' .. string.format('%.0f', recorded) .. ' ' .. ARGV[5])
      out[#out + 1] = uid
      out[#out + 1] = activity
      claimed = claimed + 1
    end
  end
end
return out
`;

/**
 * Acknowledges outbox entries of one bucket. KEYS: the outbox, its data. ARGV: uid, claim, ...
 * Deletes each entry whose claim is still the given one. Returns how many were deleted.
 */
export const ACK_LUA = `
local o, od = KEYS[1], KEYS[2]
local acked = 0
for i = 1, #ARGV, 2 do
  local uid, claim = ARGV[i], ARGV[i + 1]
  local value = redis.call('HGET', od, uid)
  if value and string.sub(value, -#claim - 1) == ' ' .. claim then
    redis.call('ZREM', o, uid)
    redis.call('HDEL', od, uid)
    acked = acked + 1
  end
end
return acked
`;
