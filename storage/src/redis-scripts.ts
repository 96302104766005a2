/**
 * The Lua scripts of `RedisStore`. Each one touches the keys of one hash slot only (one
 * session's, `{sessionId}`, or one error group's, `g:{groupId}`), so that it runs unchanged on
 * Redis Cluster, and runs atomically: concurrent relay processes never double-count or lose an
 * update. Numbers are written with `%.17g`, which gives every double back exactly (Lua's
 * default, `%.14g`, would round timestamps). Scripts return integers for flags only.
 */
import { AFTER_APPEND } from './redis-extra.ts';

/** Formats a number so that `Number()` and `tonumber()` read back the same double. */
const NUMBER = `local function f(n) return string.format('%.17g', n) end\n`;

/**
 * Appends one batch: stores it unless its seq is already stored, advances the window's acked
 * seq over the holes it closes, and updates the session record as `applyBatch` does (its
 * bytes and identified users too: `AFTER_APPEND`).
 * KEYS: record, listed windows, pages, windows (zset, first-stored order), acked (hash),
 * the window's seqs (zset), the window's batches (hash), the session's error entries (hash),
 * the session's stored bytes (string).
 * ARGV: windowId, seq, value, receivedAt, events, first timestamp, last timestamp, meta JSON
 * (or ''), whether that meta is a placeholder ('1'), errors, dropped, bytes sent, most windows
 * listed, most pages, bytes stored, most users kept, the number of pages, pages…, user ids…
 * Returns {stored, acked, startedAt, index}: index 0 when the listing key did not move, 1 when
 * it moved earlier (or the session is new), 2 when it moved later.
 */
export const APPEND = `${NUMBER}${AFTER_APPEND}
local wid, seq = ARGV[1], ARGV[2]
if redis.call('ZSCORE', KEYS[6], seq) then
  return {0, tonumber(redis.call('HGET', KEYS[5], wid) or '0'), '', 0}
end
local received, n = tonumber(ARGV[4]), tonumber(ARGV[5])
local old = redis.call('HMGET', KEYS[1], 'startedAt', 'lastEventAt', 'lastReceivedAt', 'eventCount', 'mp')
local created = not old[1]
local startedAt, lastEventAt, lastReceivedAt, eventCount
if created then
  local linked = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[8])) do linked = linked + cjson.decode(v).count end
  startedAt, lastEventAt, lastReceivedAt, eventCount = received, received, received, 0
  redis.call('HSET', KEYS[1], 'eventCount', 0, 'batchCount', 0, 'windowCount', 0, 'errorCount', f(linked), 'droppedEvents', 0, 'byteCount', 0, 'meta', '', 'mp', '1')
else
  startedAt, lastEventAt, lastReceivedAt, eventCount = tonumber(old[1]), tonumber(old[2]), tonumber(old[3]), tonumber(old[4])
end
local before = startedAt
if n > 0 then
  local lo, hi = tonumber(ARGV[6]), tonumber(ARGV[7])
  if eventCount == 0 then
    startedAt, lastEventAt = lo, hi
  else
    startedAt, lastEventAt = math.min(startedAt, lo), math.max(lastEventAt, hi)
  end
end
if received > lastReceivedAt then lastReceivedAt = received end
redis.call('HSET', KEYS[1], 'startedAt', f(startedAt), 'lastEventAt', f(lastEventAt), 'lastReceivedAt', f(lastReceivedAt))
redis.call('HINCRBY', KEYS[1], 'eventCount', n)
redis.call('HINCRBY', KEYS[1], 'batchCount', 1)
if not redis.call('ZSCORE', KEYS[4], wid) then
  local count = redis.call('HINCRBY', KEYS[1], 'windowCount', 1)
  redis.call('ZADD', KEYS[4], count - 1, wid)
  if redis.call('LLEN', KEYS[2]) < tonumber(ARGV[13]) then redis.call('RPUSH', KEYS[2], wid) end
end
if (created or old[5] == '1') and ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'meta', ARGV[8], 'mp', ARGV[9]) end
local maxPages = tonumber(ARGV[14])
local pagesEnd = 17 + tonumber(ARGV[17])
local len = redis.call('LLEN', KEYS[3])
local last = false
if len > 0 then last = redis.call('LINDEX', KEYS[3], -1) end
for i = 18, pagesEnd do
  if len >= maxPages then break end
  if ARGV[i] ~= last then
    redis.call('RPUSH', KEYS[3], ARGV[i])
    len = len + 1
    last = ARGV[i]
  end
end
redis.call('HINCRBY', KEYS[1], 'errorCount', ARGV[10])
redis.call('HINCRBY', KEYS[1], 'droppedEvents', ARGV[11])
redis.call('HINCRBY', KEYS[1], 'byteCount', ARGV[12])
redis.call('ZADD', KEYS[6], seq, seq)
redis.call('HSET', KEYS[7], seq, ARGV[3])
local acked = tonumber(redis.call('HGET', KEYS[5], wid) or '0')
if tonumber(seq) == acked + 1 then
  acked = acked + 1
  while redis.call('ZSCORE', KEYS[6], f(acked + 1)) do acked = acked + 1 end
  redis.call('HSET', KEYS[5], wid, f(acked))
end
afterAppend(KEYS[1], KEYS[9], ARGV[15], tonumber(ARGV[16]), pagesEnd + 1)
local index = 0
if created or startedAt < before then index = 1 elseif startedAt > before then index = 2 end
return {1, acked, f(startedAt), index}
`;

/** A session's record as one snapshot. KEYS: record, listed windows, pages. Returns nil, or {record fields, windows, pages}. */
export const RECORD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('LRANGE', KEYS[3], 0, -1)}
`;

/** The next stored batches of a window. KEYS: the window's seqs, its batches. ARGV: after seq, count. Returns {seq, value, seq, value…}. */
export const READ_CHUNK = `
local seqs = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, ARGV[2])
if #seqs == 0 then return {} end
local values = redis.call('HMGET', KEYS[2], unpack(seqs))
local out = {}
for i, s in ipairs(seqs) do
  out[2 * i - 1] = s
  out[2 * i] = values[i]
end
return out
`;

/**
 * Deletes a session: its record, lists, windows, batches, acked seqs and error entries.
 * KEYS: record, listed windows, pages, windows, acked, error entries. ARGV: the session's key
 * prefix (its windows' keys are built from it, in the same slot). Returns nil when there was
 * no session, else its error entries.
 */
export const DELETE_SESSION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
for _, w in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  redis.call('DEL', ARGV[1] .. 'seqs:' .. w, ARGV[1] .. 'data:' .. w)
end
local errs = redis.call('HVALS', KEYS[6])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return errs
`;

/**
 * The session's side of an occurrence: its entry for the group (as `applySessionEntry`) and
 * one more in its record's errorCount when the record exists. KEYS: record, error entries.
 * ARGV: groupId, timestamp. Returns {1 when the entry is new, the entry as JSON}.
 */
export const SESSION_ERROR = `${NUMBER}
local ts = tonumber(ARGV[2])
local prev = redis.call('HGET', KEYS[2], ARGV[1])
local count, first, last, new = 1, ts, ts, 1
if prev then
  local e = cjson.decode(prev)
  count, first, last, new = e.count + 1, math.min(e.firstSeen, ts), math.max(e.lastSeen, ts), 0
end
local entry = '{"groupId":"' .. ARGV[1] .. '","count":' .. f(count) .. ',"firstSeen":' .. f(first) .. ',"lastSeen":' .. f(last) .. '}'
redis.call('HSET', KEYS[2], ARGV[1], entry)
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'errorCount', 1) end
return {new, entry}
`;

/**
 * The group's side of an occurrence, as `applyOccurrence`: counts, first and last seen, the
 * culprit of the latest, regression; the occurrence kept among the newest; the session's
 * entry in the group (only ever replaced by a later count). KEYS: group, occurrences,
 * sessions (zset), session entries (hash). ARGV: name, message, origin, timestamp,
 * receivedAt, culprit JSON (or ''), has a session ('1'), new session ('1'), sessionId, the
 * session entry JSON, its count, its score, the occurrence member, most kept.
 * Returns {created, regressed, group fields}.
 */
export const GROUP_OCCURRENCE = `
local ts = tonumber(ARGV[4])
local created, regressed = 0, 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  local sessions = 0
  if ARGV[7] == '1' then sessions = 1 end
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'message', ARGV[2], 'origin', ARGV[3], 'status', 'unresolved', 'count', 1,
    'sessionCount', sessions, 'firstSeen', ARGV[4], 'lastSeen', ARGV[4])
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'culprit', ARGV[6]) end
  created = 1
else
  local g = redis.call('HMGET', KEYS[1], 'firstSeen', 'lastSeen', 'status')
  redis.call('HINCRBY', KEYS[1], 'count', 1)
  if ARGV[8] == '1' then redis.call('HINCRBY', KEYS[1], 'sessionCount', 1) end
  if ts < tonumber(g[1]) then redis.call('HSET', KEYS[1], 'firstSeen', ARGV[4]) end
  if ts >= tonumber(g[2]) then
    redis.call('HSET', KEYS[1], 'lastSeen', ARGV[4])
    if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'culprit', ARGV[6]) end
  end
  if g[3] == 'resolved' then
    redis.call('HSET', KEYS[1], 'status', 'regressed', 'regressedAt', ARGV[5])
    regressed = 1
  end
end
redis.call('ZADD', KEYS[2], 0, ARGV[13])
if redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[14]) then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, 0) end
if ARGV[7] == '1' then
  local prev = redis.call('HGET', KEYS[4], ARGV[9])
  if not prev or cjson.decode(prev).count < tonumber(ARGV[11]) then
    redis.call('HSET', KEYS[4], ARGV[9], ARGV[10])
    redis.call('ZADD', KEYS[3], ARGV[12], ARGV[9])
  end
end
return {created, regressed, redis.call('HGETALL', KEYS[1])}
`;

/** Sets a group's status. KEYS: group. ARGV: status, at. Returns nil for an unknown group, else its fields. */
export const SET_STATUS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'statusChangedAt', ARGV[2])
return redis.call('HGETALL', KEYS[1])
`;

/** Takes a deleted session out of a group. KEYS: group, sessions, session entries. ARGV: sessionId. */
export const UNLINK_SESSION = `
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'sessionCount') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'sessionCount', -1) end
return 1
`;

/**
 * A group with its most recently affected sessions and newest occurrences, as one snapshot.
 * KEYS: group, sessions, session entries, occurrences. ARGV: sessions, occurrences.
 * Returns nil, or {group fields, session entries, occurrence members}.
 */
export const GROUP_DETAIL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local sessions = {}
local n = tonumber(ARGV[1])
if n > 0 then
  local ids = redis.call('ZRANGE', KEYS[2], 0, n - 1)
  if #ids > 0 then sessions = redis.call('HMGET', KEYS[3], unpack(ids)) end
end
local occurrences = {}
local m = tonumber(ARGV[2])
if m > 0 then occurrences = redis.call('ZREVRANGE', KEYS[4], 0, m - 1) end
return {redis.call('HGETALL', KEYS[1]), sessions, occurrences}
`;
