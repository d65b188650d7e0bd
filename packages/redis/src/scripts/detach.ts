import { HELPERS, offlineConfig } from './helpers.js';

/**
 * removeConnection on a single node. KEYS: connection record. ARGV: 1 conn, 2 base, 3 activity ms
 * ('' when the removal is not the user's act), 4 the offline configuration.
 * Returns `{uid, offline 1/0, lastActivity, claim}` (the last two only when offline), or nil when
 * the connection is unknown. A record whose user hash and index entry are both gone (expired) takes
 * the user offline too, so that they are announced.
 */
export const REMOVE_LUA = `${HELPERS}
${offlineConfig(4)}
local owner = redis.call('GET', KEYS[1])
if not owner then return false end
redis.call('DEL', KEYS[1])
local b, uid = splitOwner(owner)
if not b then return false end
local tag = ARGV[2] .. '{' .. b .. '}:'
local user = tag .. 'u:' .. uid
local activity = tonumber(ARGV[3])
local state, last = detach(tag, user, tag .. 's', ARGV[1], uid, activity, cfg)
if state == -1 then
  if redis.call('EXISTS', user) == 1 then return {uid, 0} end
  last = activity or cfg.now
  goOffline(tag, user, uid, last, cfg)
  state = 1
end
if state == 1 then return {uid, 1, fmt(last), cfg.nonce} end
return {uid, 0}
`;

/**
 * The user-slot half of removeConnection on a cluster (and of moving a connection between users).
 * KEYS: user hash, bucket. ARGV: 1 conn, 2 uid, 3 activity ms (''), 4 the offline configuration,
 * 5 base, 6 bucket. Returns `{1, lastActivity, claim}` when the user is left with no connection,
 * `{0}` when not, `{-1}` when the connection was not there (a concurrent remove or sweep got it).
 */
export const DETACH_LUA = `${HELPERS}
${offlineConfig(4)}
local tag = ARGV[5] .. '{' .. ARGV[6] .. '}:'
local state, last = detach(tag, KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), cfg)
if state == 1 then return {1, fmt(last), cfg.nonce} end
return {state}
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
 * The connection record's half of an upsert on a cluster, sent beside the user's script in the same
 * round trip. KEYS: the record. ARGV: owner, ttlMs, deadline ms ('' = none). Refuses (returns
 * `{0}`) after the deadline like the user's script, so a refused write leaves neither half; else
 * sets the owner and returns `{1, previous owner or false}`.
 */
export const RECORD_LUA = `
if ARGV[3] ~= '' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[3]) then
    return {0}
  end
end
return {1, redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET')}
`;
