import { createHash } from 'node:crypto';

/** A Lua script and its SHA1, so the adapter can EVALSHA and fall back to EVAL once per server. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS[1] key · ARGV[1] expected → 1 when deleted. */
export const compareAndDeleteScript = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/** KEYS[1] key · ARGV[1] expected, ARGV[2] ttl ms → 1 when the TTL was reset. */
export const compareAndExpireScript = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/** KEYS[1] key · ARGV[1] by, ARGV[2] ttl ms (0 = none) → new value; the TTL only on creation. */
export const incrementScript = script(`
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if existed == 0 and ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return value
`);

/**
 * The bucketed sliding window of sliding-window.ts, step for step, on one hash (field = bucket
 * index). Time comes from the server so every gateway sharing this Redis agrees on the buckets.
 * KEYS[1] hash · ARGV limit, windowMs, cost, bucketWidthMs → {allowed, remaining, resetMs, retryAfterMs}.
 */
export const rateLimitScript = script(`
if redis.replicate_commands then pcall(redis.replicate_commands) end
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local width = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = math.floor(now / width)
local oldest = math.floor((now - window) / width)
local raw = redis.call('HGETALL', key)
local indexes = {}
local counts = {}
local sum = 0
for i = 1, #raw, 2 do
  local index = tonumber(raw[i])
  local units = tonumber(raw[i + 1])
  if index < oldest then
    redis.call('HDEL', key, raw[i])
  else
    sum = sum + units
    counts[index] = units
    indexes[#indexes + 1] = index
  end
end
local allowed = 0
if sum + cost <= limit then
  allowed = 1
  if cost > 0 then
    if counts[current] == nil then
      counts[current] = 0
      indexes[#indexes + 1] = current
    end
    counts[current] = counts[current] + cost
    redis.call('HINCRBY', key, string.format('%.0f', current), cost)
    redis.call('PEXPIRE', key, window + 2 * width)
    sum = sum + cost
  end
end
table.sort(indexes)
local resetMs = 0
if sum > 0 and #indexes > 0 then
  resetMs = math.max(0, (indexes[#indexes] + 1) * width + window - now)
end
local retryAfterMs = 0
if allowed == 0 then
  local left = sum
  for _, index in ipairs(indexes) do
    left = left - counts[index]
    if left + cost <= limit then
      retryAfterMs = math.max(1, (index + 1) * width + window - now)
      break
    end
  end
end
return {allowed, math.max(0, limit - sum), resetMs, retryAfterMs}
`);
