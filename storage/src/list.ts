/**
 * The order and paging of `listSessions`, shared by the backends so that they sort, filter
 * and page alike: newest `startedAt` first, ties by id, and a cursor that names the last
 * session of a page by its position in that order.
 */
import { StoreError, StoreErrorCode } from './errors.ts';
import type { ListQuery, SessionPage, SessionRecord } from './types.ts';

const MAX_TIME = Number.MAX_SAFE_INTEGER;
const HEX_DIGITS = 14;
const LIST_KEY_RE = /^[0-9a-f]{14}![A-Za-z0-9_-]{1,64}$/;

/** A non-negative safe integer as 14 zero-padded hex digits, so that keys sort as numbers do. */
export function hex(n: number): string {
  return n.toString(16).padStart(HEX_DIGITS, '0');
}

/** The inverted time part of a list key: later times sort first. Times are floored and clamped to 0…2^53−1. */
export function invertedTime(time: number): string {
  const t = Math.min(Math.max(Math.floor(time), 0), MAX_TIME);
  return hex(MAX_TIME - t);
}

/** A session's position in the listing: ascending keys are newest `startedAt` first, ties by id. */
export function listKey(startedAt: number, id: string): string {
  return `${invertedTime(startedAt)}!${id}`;
}

/** The session id of a list key. */
export function idOfListKey(key: string): string {
  return key.slice(HEX_DIGITS + 1);
}

/** The opaque cursor for the page after the session at `key`. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The list key a cursor names; a cursor that no store made is `STORE_INVALID_ARGUMENT`. */
export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!LIST_KEY_RE.test(key)) throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, 'options.cursor must be the `next` of a previous page');
  return key;
}

/** The lowest list key the query can match (the cursor and `to` both skip the newest sessions), if any. */
export function lowerBound(query: ListQuery): { key: string; inclusive: boolean } | undefined {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const to = query.to === undefined ? undefined : invertedTime(query.to);
  if (after !== undefined && (to === undefined || after >= to)) return { key: after, inclusive: false };
  if (to !== undefined) return { key: to, inclusive: true };
  return undefined;
}

/** Whether a session passes the query's filters (the cursor and limit are not filters). */
export function matchesQuery(record: SessionRecord, query: ListQuery): boolean {
  if (query.from !== undefined && record.lastEventAt < query.from) return false;
  if (query.to !== undefined && record.startedAt > query.to) return false;
  if (query.hasErrors !== undefined && (record.errorCount > 0) !== query.hasErrors) return false;
  if (query.userId !== undefined && record.userId !== query.userId && !(record.userIds ?? []).includes(query.userId)) return false;
  if (query.minDurationMs !== undefined && record.lastEventAt - record.startedAt < query.minDurationMs) return false;
  if (query.urlContains !== undefined) {
    const needle = query.urlContains.toLowerCase();
    const hit = record.meta.url.toLowerCase().includes(needle) || record.pages.some((p) => p.toLowerCase().includes(needle));
    if (!hit) return false;
  }
  return true;
}

/** Collects a page from candidates in ascending list-key order; `next` is set exactly when another match exists. */
export class PageBuilder {
  readonly #query: ListQuery;
  readonly #sessions: SessionRecord[] = [];
  #lastKey = '';
  #more = false;

  constructor(query: ListQuery) {
    this.#query = query;
  }

  /** Whether the page is complete and whether more follow is known: further offers are ignored. */
  get done(): boolean {
    return this.#more;
  }

  /** Offers the session at `key`; returns false once the page is complete. */
  offer(key: string, record: SessionRecord): boolean {
    if (this.#more) return false;
    if (!matchesQuery(record, this.#query)) return true;
    if (this.#sessions.length === this.#query.limit) {
      this.#more = true;
      return false;
    }
    this.#sessions.push(record);
    this.#lastKey = key;
    return true;
  }

  /** The page. */
  page(): SessionPage {
    return this.#more ? { sessions: this.#sessions, next: encodeCursor(this.#lastKey) } : { sessions: this.#sessions };
  }
}

/** A page from every session at once (for backends that keep them all in memory). */
export function pageOf(records: Iterable<SessionRecord>, query: ListQuery): SessionPage {
  const bound = lowerBound(query);
  const keyed = [...records].map((r) => [listKey(r.startedAt, r.id), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const builder = new PageBuilder(query);
  for (const [key, record] of keyed) {
    if (bound && (key < bound.key || (key === bound.key && !bound.inclusive))) continue;
    if (!builder.offer(key, record)) break;
  }
  return builder.page();
}

/** The `limit` sessions that started first, oldest first: the listing's order reversed (for backends that keep them all in memory). */
export function oldestOf(records: Iterable<SessionRecord>, limit: number): SessionRecord[] {
  const keyed = [...records].map((r) => [listKey(r.startedAt, r.id), r] as const).sort((a, b) => (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  return keyed.slice(0, limit).map(([, r]) => r);
}
