/**
 * What `RedisStore` keeps beside sessions and error groups: the audit log and tokens, the
 * analytics digests and saved segments, the identified users of a session and the byte count
 * `diskSize` reports. Per-session keys carry the session's hash tag (`{sessionId}`); the
 * global records live under fixed tags of their own (`{audit}`, `{tokens}`, `{segments}`,
 * `{digests}`, `{size}`), so that every script below touches one hash slot and runs
 * unchanged on Redis Cluster.
 */
import type { SessionRecord } from './types.ts';

/** The keys of the global records under a store's prefix. */
export function globalKeys(prefix: string) {
  return {
    /** Sorted set: score seq, member the entry's text. */
    auditLog: `${prefix}{audit}:log`,
    /** String: the head's text; in the log's slot. */
    auditHead: `${prefix}{audit}:head`,
    /** The last entry audit retention removed (`{ seq, hash }`): the chain's base. */
    auditBase: `${prefix}{audit}:base`,
    /** Hash: name → token record text. */
    tokens: `${prefix}{tokens}:by-name`,
    /** Hash: id → segment text. */
    segments: `${prefix}{segments}:by-id`,
    /** Sorted set, every score 0: members `digestKey(d)` (`hex(startedAt)!sessionId`), so that a time range is one ZRANGEBYLEX. */
    digests: `${prefix}{digests}:by-start`,
    /** String: the bytes of the batches stored, for `diskSize`. */
    bytes: `${prefix}{size}:bytes`,
  };
}

/** The keys this module adds to a session's slot, from the session's key base (`<prefix>{<sessionId>}:`). */
export function sessionExtraKeys(base: string) {
  /** `digest` is a hash: `d` the digest's text, `k` its member in the digests index. `bytes` the bytes of its batches. */
  return { digest: `${base}digest`, bytes: `${base}bytes` };
}

/** The session id of a member of the digests index. */
export const sessionOfDigestMember = (member: string): string => member.slice(member.indexOf('!') + 1);

/** The identified users kept in a session record's hash (fields `userId` and `userIds`), as record fields. */
export function usersOf(fields: Record<string, string>): Pick<SessionRecord, 'userId' | 'userIds'> {
  if (fields.userId === undefined) return {};
  let ids: unknown;
  try {
    ids = JSON.parse(fields.userIds ?? '[]');
  } catch {
    ids = undefined;
  }
  return Array.isArray(ids) ? { userId: fields.userId, userIds: ids.map(String) } : { userId: fields.userId };
}

/**
 * After a batch was stored: adds its bytes to the session's count and takes in the batch's
 * identified users as `applyBatch` does (the latest is `userId`; `userIds` keeps the first
 * distinct ones, at most `MAX_SESSION_USERS`). A Lua function the append script
 * (redis-scripts.ts) calls on its session's record, so that a batch costs one script.
 * Arguments: the record's key, the session's bytes key, bytes, most users kept, the index in
 * ARGV of the first user id (the user ids run to the end of ARGV).
 */
export const AFTER_APPEND = `
local function afterAppend(record, bytesKey, bytes, max, first)
  redis.call('INCRBY', bytesKey, bytes)
  if first > #ARGV then return end
  local raw = redis.call('HGET', record, 'userIds')
  local known = {}
  if raw then known = cjson.decode(raw) end
  local seen = {}
  for _, u in ipairs(known) do seen[u] = true end
  for i = first, #ARGV do
    if not seen[ARGV[i]] and #known < max then
      known[#known + 1] = ARGV[i]
      seen[ARGV[i]] = true
    end
  end
  redis.call('HSET', record, 'userId', ARGV[#ARGV], 'userIds', cjson.encode(known))
end
`;

/**
 * Appends an audit entry and makes it the head, only when it follows the head: relay
 * processes sharing the log never fork the chain. KEYS: log, head. ARGV: seq, entry text,
 * head text. Returns {1} when stored, else {0, the current head's text or ''}.
 */
export const AUDIT_APPEND = `
local head = redis.call('GET', KEYS[2])
local seq = 0
if head then seq = cjson.decode(head).seq end
if seq + 1 ~= tonumber(ARGV[1]) then return {0, head or ''} end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
return {1}
`;

/**
 * Stores a session's digest only while its record exists (a digest written after a deletion
 * never brings the session back). KEYS: record, digest. ARGV: digest text, its index member.
 * Returns nil when there is no session, else the member it had before ('' for none).
 */
export const PUT_DIGEST = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local old = redis.call('HGET', KEYS[2], 'k') or ''
redis.call('HSET', KEYS[2], 'd', ARGV[1], 'k', ARGV[2])
return old
`;

/** After a session was deleted: removes its digest and byte count. KEYS: digest, bytes. Returns {index member or '', bytes}. */
export const FORGET_SESSION = `
local k = redis.call('HGET', KEYS[1], 'k') or ''
local b = redis.call('GET', KEYS[2]) or '0'
redis.call('DEL', KEYS[1], KEYS[2])
return {k, b}
`;

/** The scripts of this module, as `ioredis` commands. */
export const EXTRA_SCRIPTS = {
  sentieroAuditAppend: { numberOfKeys: 2, lua: AUDIT_APPEND },
  sentieroPutDigest: { numberOfKeys: 2, lua: PUT_DIGEST },
  sentieroForgetSession: { numberOfKeys: 2, lua: FORGET_SESSION },
} as const;
