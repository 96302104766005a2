/**
 * Argument checks of the public `Store` methods. Each returns a normalized copy or throws a
 * `StoreError` with code `STORE_INVALID_ARGUMENT` whose message names the argument.
 */
import { ErrorStatus, isValidId, sessionMeta, validateErrorOccurrence } from '@sentiero/protocol';
import type { ErrorOccurrence, RecordedEvent, SettableErrorStatus } from '@sentiero/protocol';
import { DEFAULT_OCCURRENCES, MAX_GROUP_SESSIONS, MAX_OCCURRENCES_KEPT } from './error-record.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import type {
  BatchDigest, BatchInput, ErrorGroupQuery, ErrorListOptions, ErrorListQuery, ListOptions, ListQuery, OccurrenceFilter, ReadOptions, ReadQuery,
} from './types.ts';

/** The page size of `listSessions` when none is given. */
export const DEFAULT_LIST_LIMIT = 50;
/** The largest page size of `listSessions`; larger limits are clamped to it. */
export const MAX_LIST_LIMIT = 500;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The longest user id a session record keeps. */
export const MAX_USER_ID_LENGTH = 256;

const isUserId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_USER_ID_LENGTH;

/** Checks the argument of `eraseOccurrences`. */
export function checkOccurrenceFilter(v: unknown): OccurrenceFilter {
  if (isObj(v) && v.sessionId !== undefined && v.userId === undefined) return { sessionId: checkId(v.sessionId, 'filter.sessionId') };
  if (isObj(v) && v.userId !== undefined && v.sessionId === undefined) {
    if (!isUserId(v.userId)) invalid('filter.userId', `a string of 1 to ${MAX_USER_ID_LENGTH} characters`);
    return { userId: v.userId };
  }
  if (isObj(v) && v.receivedBefore !== undefined && v.sessionId === undefined && v.userId === undefined) {
    return { receivedBefore: finite(v.receivedBefore, 'filter.receivedBefore') };
  }
  return invalid('filter', '{ sessionId }, { userId } or { receivedBefore }');
}

/** Checks a count of sessions to read. */
export function checkLimit(v: unknown, path: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > MAX_LIST_LIMIT) invalid(path, `an integer from 1 to ${MAX_LIST_LIMIT}`);
  return v as number;
}

function invalid(path: string, expected: string): never {
  throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, `${path} must be ${expected}`);
}

/** Checks a session or window id: 1–64 letters, digits, `_` or `-` (the protocol's ids). */
export function checkId(v: unknown, path: string): string {
  return isValidId(v) ? v : invalid(path, 'an id of 1–64 letters, digits, "_" or "-"');
}

function finite(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : invalid(path, 'a finite number');
}

function count(v: unknown, path: string): number {
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : invalid(path, 'an integer ≥ 0');
}

function checkEvents(v: unknown, path: string): RecordedEvent[] {
  if (!Array.isArray(v)) return invalid(path, 'an array of rrweb events');
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (!isObj(e)) invalid(`${path}[${i}]`, 'an object');
    if (!Number.isInteger(e.type) || (e.type as number) < 0) invalid(`${path}[${i}].type`, 'an rrweb event type (integer ≥ 0)');
    finite(e.timestamp, `${path}[${i}].timestamp`);
  }
  return v as RecordedEvent[];
}

function checkDigest(v: unknown, path: string): BatchDigest {
  if (!isObj(v)) return invalid(path, 'an object');
  const digest: BatchDigest = {};
  if (v.pages !== undefined) {
    if (!Array.isArray(v.pages) || !v.pages.every((p) => typeof p === 'string')) invalid(`${path}.pages`, 'an array of strings');
    digest.pages = [...(v.pages as string[])];
  }
  if (v.errors !== undefined) digest.errors = count(v.errors, `${path}.errors`);
  if (v.dropped !== undefined) digest.dropped = count(v.dropped, `${path}.dropped`);
  if (v.userIds !== undefined) {
    if (!Array.isArray(v.userIds) || !v.userIds.every(isUserId)) invalid(`${path}.userIds`, `an array of strings of 1 to ${MAX_USER_ID_LENGTH} characters`);
    digest.userIds = [...(v.userIds as string[])];
  }
  return digest;
}

/** Checks `append`'s argument; `meta` is re-validated by the protocol's validator, which drops unknown fields. */
export function checkBatch(v: unknown): BatchInput {
  if (!isObj(v)) return invalid('batch', 'an object');
  const seq = v.seq;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) invalid('batch.seq', 'an integer ≥ 1');
  const batch: BatchInput = {
    sessionId: checkId(v.sessionId, 'batch.sessionId'),
    windowId: checkId(v.windowId, 'batch.windowId'),
    seq: seq as number,
    events: checkEvents(v.events, 'batch.events'),
    receivedAt: finite(v.receivedAt, 'batch.receivedAt'),
  };
  if (v.meta !== undefined) {
    try {
      batch.meta = sessionMeta(v.meta, 'batch.meta');
    } catch (err) {
      throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, err instanceof Error ? err.message : 'batch.meta is not a valid session meta');
    }
  }
  if (v.digest !== undefined) batch.digest = checkDigest(v.digest, 'batch.digest');
  if (v.bytes !== undefined) batch.bytes = count(v.bytes, 'batch.bytes');
  if (v.eventsJson !== undefined) {
    // Only its kind is checked here: that it says what `events` are is the writer's promise (parsing it again would cost what it saves).
    if (typeof v.eventsJson !== 'string' || !v.eventsJson.startsWith('[')) invalid('batch.eventsJson', 'the events\' JSON text');
    batch.eventsJson = v.eventsJson as string;
  }
  return batch;
}

/** Checks `listSessions`' options and fills in the default limit (clamping it to `MAX_LIST_LIMIT`). */
export function checkListOptions(v: unknown): ListQuery {
  if (v === undefined) return { limit: DEFAULT_LIST_LIMIT };
  if (!isObj(v)) return invalid('options', 'an object');
  const o = v as ListOptions & Obj;
  let limit = DEFAULT_LIST_LIMIT;
  if (o.limit !== undefined) {
    if (!Number.isSafeInteger(o.limit) || o.limit < 1) invalid('options.limit', 'an integer ≥ 1');
    limit = Math.min(o.limit, MAX_LIST_LIMIT);
  }
  const query: ListQuery = { limit };
  if (o.from !== undefined) query.from = finite(o.from, 'options.from');
  if (o.to !== undefined) query.to = finite(o.to, 'options.to');
  if (o.urlContains !== undefined) {
    if (typeof o.urlContains !== 'string' || o.urlContains.length > 4096) invalid('options.urlContains', 'a string of at most 4096 characters');
    query.urlContains = o.urlContains;
  }
  if (o.hasErrors !== undefined) {
    if (typeof o.hasErrors !== 'boolean') invalid('options.hasErrors', 'a boolean');
    query.hasErrors = o.hasErrors;
  }
  if (o.userId !== undefined) {
    if (!isUserId(o.userId)) invalid('options.userId', `a string of 1 to ${MAX_USER_ID_LENGTH} characters`);
    query.userId = o.userId;
  }
  if (o.minDurationMs !== undefined) {
    const ms = finite(o.minDurationMs, 'options.minDurationMs');
    if (ms < 0) invalid('options.minDurationMs', 'a number ≥ 0');
    query.minDurationMs = ms;
  }
  if (o.cursor !== undefined) {
    if (typeof o.cursor !== 'string' || o.cursor === '') invalid('options.cursor', 'the non-empty `next` of a previous page');
    query.cursor = o.cursor;
  }
  return query;
}

/** Checks `readBatches`' options; `after` becomes a Map so that no window id can reach an object's prototype. */
export function checkReadOptions(v: unknown): ReadQuery {
  if (v === undefined) return { after: new Map() };
  if (!isObj(v)) return invalid('options', 'an object');
  const o = v as ReadOptions & Obj;
  const after = new Map<string, number>();
  if (o.after !== undefined) {
    if (!isObj(o.after)) invalid('options.after', 'an object of window id → seq');
    for (const [windowId, seq] of Object.entries(o.after)) {
      checkId(windowId, 'a window id in options.after');
      after.set(windowId, count(seq, `options.after.${windowId}`));
    }
  }
  const query: ReadQuery = { after };
  if (o.windowId !== undefined) query.windowId = checkId(o.windowId, 'options.windowId');
  return query;
}

/** Checks `recordError`'s argument with the protocol's validator (which drops unknown fields and cuts long strings). */
export function checkOccurrence(v: unknown): ErrorOccurrence {
  const r = validateErrorOccurrence(v);
  if (!r.ok) throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, r.message);
  if (!Number.isFinite(r.value.timestamp) || r.value.timestamp < 0) invalid('occurrence.timestamp', 'a time ≥ 0');
  return r.value;
}

const STATUSES = new Set<string>(Object.values(ErrorStatus));
const SETTABLE = new Set<string>([ErrorStatus.UNRESOLVED, ErrorStatus.RESOLVED, ErrorStatus.IGNORED]);

/** Checks `listErrorGroups`' options and fills in the default limit (clamping it to `MAX_LIST_LIMIT`). */
export function checkErrorListOptions(v: unknown): ErrorListQuery {
  if (v === undefined) return { limit: DEFAULT_LIST_LIMIT };
  if (!isObj(v)) return invalid('options', 'an object');
  const o = v as ErrorListOptions & Obj;
  let limit = DEFAULT_LIST_LIMIT;
  if (o.limit !== undefined) {
    if (!Number.isSafeInteger(o.limit) || o.limit < 1) invalid('options.limit', 'an integer ≥ 1');
    limit = Math.min(o.limit, MAX_LIST_LIMIT);
  }
  const query: ErrorListQuery = { limit };
  if (o.status !== undefined) {
    if (!STATUSES.has(o.status as string)) invalid('options.status', `one of ${[...STATUSES].join(', ')}`);
    query.status = o.status;
  }
  if (o.sessionId !== undefined) query.sessionId = checkId(o.sessionId, 'options.sessionId');
  if (o.query !== undefined) {
    if (typeof o.query !== 'string' || o.query.length > 512) invalid('options.query', 'a string of at most 512 characters');
    query.query = o.query;
  }
  if (o.cursor !== undefined) {
    if (typeof o.cursor !== 'string' || o.cursor === '') invalid('options.cursor', 'the non-empty `next` of a previous page');
    query.cursor = o.cursor;
  }
  return query;
}

/** Checks `getErrorGroup`'s options and fills in the defaults. */
export function checkErrorGroupOptions(v: unknown): ErrorGroupQuery {
  const query: ErrorGroupQuery = { occurrences: DEFAULT_OCCURRENCES, sessions: MAX_GROUP_SESSIONS };
  if (v === undefined) return query;
  if (!isObj(v)) return invalid('options', 'an object');
  if (v.occurrences !== undefined) query.occurrences = Math.min(count(v.occurrences, 'options.occurrences'), MAX_OCCURRENCES_KEPT);
  if (v.sessions !== undefined) query.sessions = Math.min(count(v.sessions, 'options.sessions'), MAX_GROUP_SESSIONS);
  return query;
}

/** Checks a status a person may set. */
export function checkSettableStatus(v: unknown): SettableErrorStatus {
  return SETTABLE.has(v as string) ? (v as SettableErrorStatus) : invalid('status', '"unresolved", "resolved" or "ignored"');
}

/** Checks a time (ms since epoch). */
export function checkTime(v: unknown, path: string): number {
  return finite(v, path);
}

/** Checks the name a source map is stored under: the minified file's path or URL, 1–2048 characters without control characters. */
export function checkSourceMapFile(v: unknown): string {
  return typeof v === 'string' && v.length > 0 && v.length <= 2048 && !/[\u0000-\u001f]/.test(v)
    ? v : invalid('file', 'a path or URL of 1–2048 characters');
}

/** Checks a source map's text (its JSON is the relay's to check). */
export function checkSourceMapText(v: unknown): string {
  return typeof v === 'string' && v.length > 0 ? v : invalid('map', 'a non-empty string (the source map\'s JSON)');
}
