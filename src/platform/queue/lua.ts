/**
 * The Redis queue's state changes, each one atomic script. Keys of one queue share the hash tag `{queue}`;
 * job hashes are `<jobPrefix><id>`. Time is Redis's own (TIME), so workers' clocks never decide a lease.
 *
 * wait    ZSET id → priority × 2^32 + sequence (the sequence restarts when the set empties)
 * delayed ZSET id → due time (ms)          active ZSET id → lease deadline (ms)
 * dead    ZSET id → failedAt (ms), capped  meta   HASH seq, completed
 * Notification: PUBLISH on `channel` when `wait` goes from empty to not, or the earliest delayed job changes.
 */

const common = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function push_wait(wait, meta, id, priority)
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  redis.call('ZADD', wait, string.format('%.0f', tonumber(priority) * 4294967296 + seq), id)
end
local function reset_seq_if_empty(wait, meta)
  if redis.call('ZCARD', wait) == 0 then
    redis.call('HSET', meta, 'seq', 0)
    return true
  end
  return false
end
local function earliest(delayed)
  local head = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  return head[2] and tonumber(head[2])
end
local function bury(dead, jobPrefix, id, now, cap)
  redis.call('HSET', jobPrefix .. id, 'failedAt', now)
  redis.call('ZADD', dead, now, id)
  local excess = redis.call('ZCARD', dead) - cap
  if excess > 0 then
    for _, old in ipairs(redis.call('ZRANGE', dead, 0, excess - 1)) do redis.call('DEL', jobPrefix .. old) end
    redis.call('ZREMRANGEBYRANK', dead, 0, excess - 1)
  end
end
`

/**
 * KEYS wait, delayed, meta. ARGV jobPrefix, channel, tickKey ('' for none), tickTtlMs,
 * then per job: id, name, data, priority, delayMs, attempts, backoffMs.
 * Returns the ids (an existing id is left as it is), or nil when the tick was already taken.
 */
export const enqueueLua = `${common}
local wait, delayed, meta = KEYS[1], KEYS[2], KEYS[3]
local jobPrefix = ARGV[1]
local now = now_ms()
if ARGV[3] ~= '' then
  if not redis.call('SET', ARGV[3], now, 'NX', 'PX', ARGV[4]) then return false end
end
local waitWasEmpty = reset_seq_if_empty(wait, meta)
local firstDue = nil
local wake = false
local ids = {}
for i = 5, #ARGV, 7 do
  local id = ARGV[i]
  local key = jobPrefix .. id
  if redis.call('EXISTS', key) == 0 then
    -- attemptsMade, stalls and takes start absent, read as 0
    redis.call('HSET', key, 'name', ARGV[i + 1], 'data', ARGV[i + 2], 'priority', ARGV[i + 3],
      'attempts', ARGV[i + 5], 'backoff', ARGV[i + 6], 'enqueuedAt', now)
    local delay = tonumber(ARGV[i + 4])
    if delay > 0 then
      local due = now + delay
      if firstDue == nil then firstDue = earliest(delayed) or false end
      redis.call('ZADD', delayed, due, id)
      if not firstDue or due < firstDue then
        firstDue = due
        wake = true
      end
    else
      push_wait(wait, meta, id, ARGV[i + 3])
      if waitWasEmpty then wake = true end
    end
  end
  ids[#ids + 1] = id
end
if wake then redis.call('PUBLISH', ARGV[2], '1') end
return ids
`

/**
 * KEYS wait, delayed, active, meta. ARGV jobPrefix, channel, owner, leaseMs, take, then id, lease pairs to complete.
 * Returns { taken jobs {id, lease, name, data, priority, attempts, backoff, attemptsMade, stalls, enqueuedAt, error},
 *           ms until the earliest delayed job (-1: none), completed count }.
 */
export const exchangeLua = `${common}
local wait, delayed, active, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local jobPrefix = ARGV[1]
local now = now_ms()
local completed = 0
for i = 6, #ARGV, 2 do
  local key = jobPrefix .. ARGV[i]
  if redis.call('HGET', key, 'lease') == ARGV[i + 1] then
    redis.call('ZREM', active, ARGV[i])
    redis.call('DEL', key)
    completed = completed + 1
  end
end
if completed > 0 then redis.call('HINCRBY', meta, 'completed', completed) end
local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)
if #due > 0 then
  reset_seq_if_empty(wait, meta)
  for _, id in ipairs(due) do
    local priority = redis.call('HGET', jobPrefix .. id, 'priority')
    if priority then push_wait(wait, meta, id, priority) end
  end
  redis.call('ZREM', delayed, unpack(due))
end
local taken = {}
local max = tonumber(ARGV[5])
if max > 0 then
  local deadline = now + tonumber(ARGV[4])
  local popped = redis.call('ZPOPMIN', wait, max)
  for i = 1, #popped, 2 do
    local id = popped[i]
    local key = jobPrefix .. id
    if redis.call('EXISTS', key) == 1 then
      local lease = ARGV[3] .. ':' .. redis.call('HINCRBY', key, 'takes', 1)
      redis.call('HSET', key, 'lease', lease)
      redis.call('ZADD', active, deadline, id)
      local fields = redis.call('HMGET', key, 'name', 'data', 'priority', 'attempts', 'backoff', 'attemptsMade',
        'stalls', 'enqueuedAt', 'error')
      local job = { id, lease }
      for f = 1, 9 do job[f + 2] = fields[f] end
      taken[#taken + 1] = job
    end
  end
end
if #due > 0 and redis.call('ZCARD', wait) > 0 then redis.call('PUBLISH', ARGV[2], '1') end
local nextDue = earliest(delayed)
return { taken, nextDue and math.max(0, nextDue - now) or -1, completed }
`

/**
 * KEYS delayed, active, dead. ARGV jobPrefix, channel, id, lease, error, final ('1'/'0'), deadLetterCap.
 * Returns { 'retrying', delayMs } | { 'dead', 0 } | { 'lost', 0 }.
 */
export const failLua = `${common}
local delayed, active, dead = KEYS[1], KEYS[2], KEYS[3]
local jobPrefix, id = ARGV[1], ARGV[3]
local key = jobPrefix .. id
if redis.call('HGET', key, 'lease') ~= ARGV[4] then return { 'lost', 0 } end
local now = now_ms()
redis.call('ZREM', active, id)
redis.call('HDEL', key, 'lease')
local made = redis.call('HINCRBY', key, 'attemptsMade', 1)
redis.call('HSET', key, 'error', ARGV[5])
if ARGV[6] == '1' or made >= tonumber(redis.call('HGET', key, 'attempts')) then
  bury(dead, jobPrefix, id, now, tonumber(ARGV[7]))
  return { 'dead', 0 }
end
local delay = tonumber(redis.call('HGET', key, 'backoff')) * 2 ^ (made - 1)
local due = now + delay
local firstDue = earliest(delayed)
redis.call('ZADD', delayed, due, id)
if not firstDue or due < firstDue then redis.call('PUBLISH', ARGV[2], '1') end
return { 'retrying', delay }
`

/** KEYS active. ARGV jobPrefix, leaseMs, then id, lease pairs. Returns the ids whose lease is no longer theirs. */
export const extendLua = `${common}
local deadline = now_ms() + tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  if redis.call('HGET', ARGV[1] .. ARGV[i], 'lease') == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], deadline, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
`

/** KEYS wait, active, meta. ARGV jobPrefix, channel, then id, lease pairs. Returns how many went back. */
export const releaseLua = `${common}
local wait, active, meta = KEYS[1], KEYS[2], KEYS[3]
local waitWasEmpty = reset_seq_if_empty(wait, meta)
local released = 0
for i = 3, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('HGET', key, 'lease') == ARGV[i + 1] then
    redis.call('ZREM', active, ARGV[i])
    redis.call('HDEL', key, 'lease')
    push_wait(wait, meta, ARGV[i], redis.call('HGET', key, 'priority'))
    released = released + 1
  end
end
if released > 0 and waitWasEmpty then redis.call('PUBLISH', ARGV[2], '1') end
return released
`

/**
 * KEYS wait, active, dead, meta. ARGV jobPrefix, channel, maxStalls, deadLetterCap, limit.
 * Returns { requeued, deadLettered }.
 */
export const recoverLua = `${common}
local wait, active, dead, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local jobPrefix = ARGV[1]
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
if #expired == 0 then return { 0, 0 } end
local waitWasEmpty = reset_seq_if_empty(wait, meta)
local requeued, buried = 0, 0
for _, id in ipairs(expired) do
  redis.call('ZREM', active, id)
  local key = jobPrefix .. id
  if redis.call('EXISTS', key) == 1 then
    redis.call('HDEL', key, 'lease')
    local stalls = redis.call('HINCRBY', key, 'stalls', 1)
    if stalls > tonumber(ARGV[3]) then
      redis.call('HSET', key, 'error', 'stalled: lease expired ' .. stalls .. ' times (worker lost)')
      bury(dead, jobPrefix, id, now, tonumber(ARGV[4]))
      buried = buried + 1
    else
      push_wait(wait, meta, id, redis.call('HGET', key, 'priority'))
      requeued = requeued + 1
    end
  end
end
if requeued > 0 and waitWasEmpty then redis.call('PUBLISH', ARGV[2], '1') end
return { requeued, buried }
`

/** KEYS wait, dead, meta. ARGV jobPrefix, channel, id. Returns 1 when the job went back to the queue. */
export const retryDeadLua = `${common}
local wait, dead, meta = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[3]
if redis.call('ZREM', dead, id) == 0 then return 0 end
local key = ARGV[1] .. id
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'attemptsMade', 0, 'stalls', 0)
redis.call('HDEL', key, 'error', 'failedAt')
local waitWasEmpty = reset_seq_if_empty(wait, meta)
push_wait(wait, meta, id, redis.call('HGET', key, 'priority'))
if waitWasEmpty then redis.call('PUBLISH', ARGV[2], '1') end
return 1
`
