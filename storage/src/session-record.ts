/**
 * The bookkeeping every backend shares: how a batch changes its session's record, and which
 * seqs of a window are stored. Plain data and small in-place structures, so that backends
 * differ only in where they keep them, and an append costs the same whatever came before it.
 */
import type { BatchInput, SessionRecord } from './types.ts';

/** A session keeps at most this many pages. */
export const MAX_PAGES = 100;

/** A session record keeps at most this many identified user ids (the first ones; `userId` is always the latest). */
export const MAX_SESSION_USERS = 16;

/** A session record lists at most this many window ids (the first ones); `windowCount` counts them all. */
export const MAX_LISTED_WINDOWS = 100;

/**
 * Which seqs of one window are stored: every seq up to `acked`, and the seqs in `above` (each
 * > acked + 1). Adding a seq costs O(1), plus one step per hole it closes (each hole is
 * closed once), however many holes there are.
 */
export class SeqSet {
  /** Every seq from 1 to it is stored. */
  acked: number;
  readonly #above: Set<number>;

  /** A window with `acked` and the given seqs above it stored. */
  constructor(acked = 0, above: Iterable<number> = []) {
    this.acked = acked;
    this.#above = new Set(above);
  }

  /** Whether `seq` is stored. */
  has(seq: number): boolean {
    return seq <= this.acked || this.#above.has(seq);
  }

  /** Stores `seq` (not stored yet); `acked` advances over any holes it closes. Returns `acked`. */
  add(seq: number): number {
    if (seq !== this.acked + 1) {
      this.#above.add(seq);
      return this.acked;
    }
    let acked = seq;
    while (this.#above.delete(acked + 1)) acked++;
    this.acked = acked;
    return acked;
  }
}

function isPlaceholderMeta(record: SessionRecord): boolean {
  return record.meta.url === '' && record.meta.userAgent === '';
}

/**
 * The record after storing `batch` (which must not be stored yet); `newWindow` says that it is
 * the first batch stored of its window. `prev` is not changed. Costs the same for any record:
 * it holds counters and bounded lists only.
 * Times come from the events; a session whose batches so far had no events takes its times
 * from `receivedAt` until events arrive.
 */
export function applyBatch(prev: SessionRecord | undefined, batch: BatchInput, newWindow: boolean): SessionRecord {
  let min = Infinity;
  let max = -Infinity;
  for (const e of batch.events) {
    if (e.timestamp < min) min = e.timestamp;
    if (e.timestamp > max) max = e.timestamp;
  }
  const hasEvents = batch.events.length > 0;
  const record: SessionRecord = prev
    ? { ...prev, windows: [...prev.windows], pages: [...prev.pages] }
    : {
        id: batch.sessionId, startedAt: batch.receivedAt, lastEventAt: batch.receivedAt, lastReceivedAt: batch.receivedAt,
        eventCount: 0, batchCount: 0, windows: [], windowCount: 0, meta: { url: '', userAgent: '', startedAt: batch.receivedAt },
        pages: [], errorCount: 0, droppedEvents: 0, byteCount: 0,
      };
  if (hasEvents) {
    const first = record.eventCount === 0;
    record.startedAt = first ? min : Math.min(record.startedAt, min);
    record.lastEventAt = first ? max : Math.max(record.lastEventAt, max);
  }
  record.lastReceivedAt = Math.max(record.lastReceivedAt, batch.receivedAt);
  record.eventCount += batch.events.length;
  record.batchCount += 1;
  if (newWindow) {
    record.windowCount += 1;
    if (record.windows.length < MAX_LISTED_WINDOWS) record.windows.push(batch.windowId);
  }
  if (isPlaceholderMeta(record)) record.meta = batch.meta ? { ...batch.meta } : { url: '', userAgent: '', startedAt: record.startedAt };
  for (const page of batch.digest?.pages ?? []) {
    if (record.pages.length >= MAX_PAGES) break;
    if (record.pages[record.pages.length - 1] !== page) record.pages.push(page);
  }
  record.errorCount += batch.digest?.errors ?? 0;
  record.droppedEvents += batch.digest?.dropped ?? 0;
  record.byteCount += batch.bytes ?? 0;
  for (const userId of batch.digest?.userIds ?? []) {
    record.userId = userId;
    const known = record.userIds ?? [];
    if (!known.includes(userId) && known.length < MAX_SESSION_USERS) record.userIds = [...known, userId];
  }
  return record;
}
