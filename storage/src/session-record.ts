/**
 * The bookkeeping every backend shares: how a batch changes its session's record, and which
 * seqs of a window are stored. Pure functions over plain data, so that backends differ only
 * in where they keep it.
 */
import type { BatchInput, SessionRecord } from './types.ts';

/** A session keeps at most this many pages. */
export const MAX_PAGES = 100;

/** Which seqs of one window are stored: every seq up to `acked`, and the sorted seqs in `above` (each > acked + 1). */
export interface WindowState {
  acked: number;
  above: readonly number[];
}

/** The state of a window with nothing stored. */
export const EMPTY_WINDOW: WindowState = Object.freeze({ acked: 0, above: Object.freeze([]) });

/** Whether `seq` is stored according to `state`. */
export function hasSeq(state: WindowState, seq: number): boolean {
  if (seq <= state.acked) return true;
  let lo = 0;
  let hi = state.above.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = state.above[mid];
    if (v === seq) return true;
    if (v < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The state after storing `seq` (which must not be stored yet); `acked` advances over any holes it closes. */
export function addSeq(state: WindowState, seq: number): WindowState {
  if (seq !== state.acked + 1) {
    const above = [...state.above, seq].sort((a, b) => a - b);
    return { acked: state.acked, above };
  }
  let acked = seq;
  let i = 0;
  while (i < state.above.length && state.above[i] === acked + 1) {
    acked++;
    i++;
  }
  return { acked, above: state.above.slice(i) };
}

/** Parses a stored window state, or returns undefined when it is not one. */
export function parseWindowState(v: unknown): WindowState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { acked, above } = v as Partial<WindowState>;
  if (!Number.isSafeInteger(acked) || !Array.isArray(above) || !above.every((s) => Number.isSafeInteger(s))) return undefined;
  return { acked: acked as number, above };
}

function isPlaceholderMeta(record: SessionRecord): boolean {
  return record.meta.url === '' && record.meta.userAgent === '';
}

/**
 * The record after storing `batch` (which must not be stored yet). `prev` is not changed.
 * Times come from the events; a session whose batches so far had no events takes its times
 * from `receivedAt` until events arrive.
 */
export function applyBatch(prev: SessionRecord | undefined, batch: BatchInput): SessionRecord {
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
        eventCount: 0, batchCount: 0, windows: [], meta: { url: '', userAgent: '', startedAt: batch.receivedAt },
        pages: [], errorCount: 0, droppedEvents: 0,
      };
  if (hasEvents) {
    const first = record.eventCount === 0;
    record.startedAt = first ? min : Math.min(record.startedAt, min);
    record.lastEventAt = first ? max : Math.max(record.lastEventAt, max);
  }
  record.lastReceivedAt = Math.max(record.lastReceivedAt, batch.receivedAt);
  record.eventCount += batch.events.length;
  record.batchCount += 1;
  if (!record.windows.includes(batch.windowId)) record.windows.push(batch.windowId);
  if (isPlaceholderMeta(record)) record.meta = batch.meta ? { ...batch.meta } : { url: '', userAgent: '', startedAt: record.startedAt };
  for (const page of batch.digest?.pages ?? []) {
    if (record.pages.length >= MAX_PAGES) break;
    if (record.pages[record.pages.length - 1] !== page) record.pages.push(page);
  }
  record.errorCount += batch.digest?.errors ?? 0;
  record.droppedEvents += batch.digest?.dropped ?? 0;
  return record;
}
