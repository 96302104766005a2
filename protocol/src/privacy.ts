/**
 * The privacy operations of the REST API: erasure (`POST <base>/api/erase`), pruning by
 * retention and quota (`POST <base>/api/prune`) and the store's size (`GET <base>/api/storage`).
 */
import { ErrorCode } from './errors.ts';
import { isValidId } from './ids.ts';
import type { Result } from './validate.ts';

/** The longest user id the relay keeps and erases by. */
export const MAX_USER_ID_LENGTH = 256;

/** `POST <base>/api/erase`: one session, every session a user was identified in, or every session active in a time range (ms, inclusive). */
export type EraseRequest = { sessionId: string } | { userId: string } | { from: number; to: number };

/** What an erasure (or one part of a prune) removed. */
export interface ErasureReport {
  /** Sessions removed, with everything of them. */
  sessions: number;
  /** Their ids, the first 1000. */
  sessionIds: string[];
  /** Stored batches removed. */
  batches: number;
  /** Events removed. */
  events: number;
  /** Error occurrences removed (with their sessions, or as the user's). */
  errorOccurrences: number;
  /** Error groups that lost occurrences: their counts stay, the personal data goes. */
  groupsScrubbed: number;
}

/** `POST <base>/api/prune`: what retention and the disk quota removed, and the store's size before and after. */
export interface PruneReport {
  /** Sessions not received for `retentionDays`, and error occurrences as old. */
  retention: ErasureReport;
  /** The oldest sessions removed to bring the store under `maxDiskBytes`. */
  quota: ErasureReport;
  /** Audit log entries older than `auditRetentionDays` removed. */
  auditEntries: number;
  diskBytesBefore: number;
  diskBytesAfter: number;
  maxDiskBytes: number;
  retentionDays: number;
  auditRetentionDays: number;
  /** When it ran (ms since epoch). */
  at: number;
}

/** `GET <base>/api/storage`: how much the store takes and what bounds it. */
export interface StorageStatus {
  diskBytes: number;
  maxDiskBytes: number;
  retentionDays: number;
  /** The last prune, scheduled or asked for, if one ran since the relay started. */
  lastPrune?: PruneReport;
}

/** An empty report, to add to. */
export function emptyErasure(): ErasureReport {
  return { sessions: 0, sessionIds: [], batches: 0, events: 0, errorOccurrences: 0, groupsScrubbed: 0 };
}

function invalid(message: string): Result<never> {
  return { ok: false, code: ErrorCode.INVALID_MESSAGE, message };
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks the body of `POST <base>/api/erase`: exactly one of `sessionId`, `userId`, or `from` and `to`. */
export function validateEraseRequest(v: unknown): Result<EraseRequest> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return invalid('body must be { sessionId }, { userId } or { from, to }');
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys === 'sessionId') {
    return isValidId(o.sessionId) ? { ok: true, value: { sessionId: o.sessionId } } : invalid('body.sessionId must be a session id');
  }
  if (keys === 'userId') {
    const ok = typeof o.userId === 'string' && o.userId.length > 0 && o.userId.length <= MAX_USER_ID_LENGTH;
    return ok ? { ok: true, value: { userId: o.userId as string } } : invalid(`body.userId must be a string of 1 to ${MAX_USER_ID_LENGTH} characters`);
  }
  if (keys === 'from,to') {
    if (!isTime(o.from) || !isTime(o.to) || o.from > o.to) return invalid('body.from and body.to must be times in ms since epoch, from ≤ to');
    return { ok: true, value: { from: o.from, to: o.to } };
  }
  return invalid('body must be exactly one of { sessionId }, { userId } or { from, to }');
}

/** A byte count for people, as the CLI and the dashboard show the storage figures: `1.2 MB` (powers of 1000). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
