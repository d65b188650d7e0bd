/**
 * Reads and refreshes one bucket's sweep marker. KEYS: the marker hash (`e` epoch, `s` last sweep,
 * `gf`/`gt` the last gap, `c` the pending reconcile's next partition). ARGV: 1 now, 2 gapMs, 3 TTL,
 * 4 deadline ms ('' = none: run after it, the script changes nothing and returns `{2}`).
 * A missing marker is created (the bucket's data may have been lost): epoch, last sweep and gap all
 * `now`, reconcile pending from partition 0. Otherwise a previous sweep more than `gapMs` before
 * `now` records the gap, and the last sweep moves to `now` (never backwards).
 * Returns `{created 1/0, epoch, gapFrom, gapTo, cursor}` as strings ('' = none).
 */
export const MARK_LUA = `
local key = KEYS[1]
local now, gap = ARGV[1], tonumber(ARGV[2])
if ARGV[4] ~= '' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[4]) then
    return {2}
  end
end
local m = redis.call('HMGET', key, 'e', 's', 'gf', 'gt', 'c')
if not m[1] then
  redis.call('HSET', key, 'e', now, 's', now, 'gf', now, 'gt', now, 'c', 0)
  redis.call('PEXPIRE', key, ARGV[3])
  return {1, now, now, now, '0'}
end
local seen = tonumber(m[2]) or 0
local gf, gt = m[3] or '', m[4] or ''
if tonumber(now) - seen > gap then
  gf, gt = m[2], now
  redis.call('HSET', key, 'gf', gf, 'gt', gt)
end
if tonumber(now) > seen then redis.call('HSET', key, 's', now) end
redis.call('PEXPIRE', key, ARGV[3])
return {0, m[1], gf, gt, m[5] or ''}
`;

/**
 * Moves a lost bucket's reconcile forward. KEYS: the marker. ARGV: 1 epoch, 2 next, 3 partitions.
 * Only while the marker still has that epoch; `next >= partitions` ends the reconcile.
 */
export const MARK_RECONCILED_LUA = `
if redis.call('HGET', KEYS[1], 'e') ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) >= tonumber(ARGV[3]) then
  redis.call('HDEL', KEYS[1], 'c')
else
  redis.call('HSET', KEYS[1], 'c', ARGV[2])
end
return 1
`;
