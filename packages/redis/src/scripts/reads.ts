/**
 * Live connections of many users of one bucket (one slot), for the sweep's read. KEYS: user hashes.
 * ARGV: seenSince (ms). Returns, per key in order, the connection ids whose last-seen (the value of
 * field `c:<id>`: `<ms>` or `<ms>:<tokens>`) is at or after seenSince. Read only. Lets Redis filter
 * instead of sending every hash to the client: in a mass timeout most friends read this way have no
 * live connection.
 */
export const LIVE_CONNECTIONS_LUA = `
local since = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local fields = redis.call('HGETALL', KEYS[i])
  local live = {}
  for j = 1, #fields, 2 do
    local f = fields[j]
    if string.sub(f, 1, 2) == 'c:' then
      local v = fields[j + 1]
      local sep = string.find(v, ':', 1, true)
      if sep then v = string.sub(v, 1, sep - 1) end
      if tonumber(v) >= since then live[#live + 1] = string.sub(f, 3) end
    end
  end
  out[i] = live
end
return out
`;
