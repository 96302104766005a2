/**
 * How `LevelStore` keeps a session's record: in two values, so that an append rewrites as few
 * bytes as it can. The counters, which every append changes, are a JSON array under
 * `sessions`; the rest (the windows listed, meta, pages), which few appends change, is a JSON
 * object under `session-info`. Format 1 kept the whole record as one object under `sessions`;
 * it still reads, and the first write after it stores both values.
 */
import { StoreError, StoreErrorCode } from './errors.ts';
import { MAX_LISTED_WINDOWS } from './session-record.ts';
import type { SessionRecord } from './types.ts';

/** The record's counters, in the order the array under `sessions` holds them. */
const COUNTERS = ['startedAt', 'lastEventAt', 'lastReceivedAt', 'eventCount', 'batchCount', 'windowCount', 'errorCount', 'droppedEvents', 'byteCount'] as const;

/** Records written before `byteCount` was hold the counters before it only; they read with `byteCount` 0, and the next append writes it. */
const COUNTERS_WITHOUT_BYTES = COUNTERS.length - 1;

type Info = Pick<SessionRecord, 'windows' | 'meta' | 'pages' | 'userId' | 'userIds'>;

/** The value under `sessions`: the counters. */
export function countersText(record: SessionRecord): string {
  return JSON.stringify(COUNTERS.map((k) => record[k]));
}

/** The value under `session-info`: the windows listed, meta and pages. */
export function infoText(record: SessionRecord): string {
  const info: Info = { windows: record.windows, meta: record.meta, pages: record.pages };
  if (record.userId !== undefined) info.userId = record.userId;
  if (record.userIds !== undefined) info.userIds = record.userIds;
  return JSON.stringify(info);
}

/** Whether `next` changes what `infoText` holds of `prev` (`applyBatch` only ever appends to the lists, and replaces meta once). */
export function infoChanged(prev: SessionRecord, next: SessionRecord): boolean {
  return prev.windows.length !== next.windows.length || prev.pages.length !== next.pages.length || prev.meta !== next.meta ||
    prev.userId !== next.userId || prev.userIds?.length !== next.userIds?.length;
}

function corrupt(id: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, `the session record ${id} cannot be decoded`, cause === undefined ? undefined : { cause });
}

function json(text: string, id: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw corrupt(id, err);
  }
}

function isInfo(v: unknown): v is Info {
  const i = v as Partial<Info> | null;
  return typeof i === 'object' && i !== null && Array.isArray(i.windows) && Array.isArray(i.pages) && typeof i.meta === 'object' && i.meta !== null;
}

/** A record read back, and whether it is in format 1 (one object under `sessions`, nothing under `session-info`). */
export interface ParsedRecord {
  record: SessionRecord;
  legacy: boolean;
}

/** Parses the values under `sessions` and `session-info`; anything that is not a record is `STORE_CORRUPT`. */
export function parseRecord(id: string, counters: string, info: string | undefined): ParsedRecord {
  const value = json(counters, id);
  if (!Array.isArray(value)) {
    // Format 1: the whole record, every window listed and no count.
    if (!isInfo(value)) throw corrupt(id);
    const r = value as Info & Partial<SessionRecord>;
    if (r.id !== id || typeof r.startedAt !== 'number') throw corrupt(id);
    const windowCount = typeof r.windowCount === 'number' ? r.windowCount : r.windows.length;
    const byteCount = typeof r.byteCount === 'number' ? r.byteCount : 0;
    return { record: { ...(r as SessionRecord), windowCount, byteCount, windows: r.windows.slice(0, MAX_LISTED_WINDOWS) }, legacy: true };
  }
  const known = value.length === COUNTERS.length || value.length === COUNTERS_WITHOUT_BYTES;
  if (!known || !value.every((n) => typeof n === 'number') || info === undefined) throw corrupt(id);
  const rest = json(info, id);
  if (!isInfo(rest)) throw corrupt(id);
  const record = { id, windows: rest.windows, meta: rest.meta, pages: rest.pages } as SessionRecord;
  if (typeof rest.userId === 'string') record.userId = rest.userId;
  if (Array.isArray(rest.userIds)) record.userIds = rest.userIds.filter((u): u is string => typeof u === 'string');
  COUNTERS.forEach((k, i) => { record[k] = (value[i] as number | undefined) ?? 0; });
  return { record, legacy: false };
}
