/**
 * What a window's stream keeps in sessionStorage so that the next page of the same tab goes
 * on where this one stopped: the next seq, and the batches not yet acknowledged when the
 * page went away.
 */
import { isValidId } from '@sentiero/protocol';
import { StorageKey, type SafeStorage } from './storage.ts';

/** Most characters of batches saved for the next page (sessionStorage holds about 5 M per origin). */
export const SAVED_QUEUE_MAX_CHARS = 2 * 1024 * 1024;

/** The numbering state of one (session, window) stream. */
export interface StreamState {
  sessionId: string;
  windowId: string;
  /** The seq the next batch gets. */
  nextSeq: number;
  /** When the window started (ms), reported in `meta.startedAt`. */
  startedAt: number;
  /** Lost seqs up to this one have already been reported with a gap marker. */
  gapThrough: number;
  /** The relay takes no more of this session (`SENTIERO_SESSION_LIMIT`): nothing more is recorded or sent for it. */
  limited?: boolean;
}

/** A batch as saved for the next page. */
export interface SavedBatch {
  seq: number;
  /** The events, as a JSON array text. */
  body: string;
  count: number;
  first: number;
  last: number;
}

/** Batches that did not fit in the saved queue: what the next page reports as lost if the relay lacks them. */
export interface LostSummary {
  seqFrom: number;
  seqTo: number;
  count: number;
  first: number;
  last: number;
}

/** The unacknowledged batches of a stream, saved on `pagehide`. */
export interface SavedQueue {
  sessionId: string;
  windowId: string;
  batches: SavedBatch[];
  lost?: LostSummary;
}

const posInt = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isJsonArray(text: unknown): boolean {
  try {
    return typeof text === 'string' && Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

/** The stored state of this stream, or a fresh one when the stored one belongs to another stream. */
export function loadStream(session: SafeStorage, sessionId: string, windowId: string, now: number): StreamState {
  const s = session.getJson<StreamState>(StorageKey.STREAM);
  if (s && s.sessionId === sessionId && s.windowId === windowId && posInt(s.nextSeq, 1) && finite(s.startedAt)) {
    const state: StreamState = { sessionId, windowId, nextSeq: s.nextSeq, startedAt: s.startedAt, gapThrough: posInt(s.gapThrough, 0) ? s.gapThrough : 0 };
    if (s.limited === true) state.limited = true;
    return state;
  }
  return { sessionId, windowId, nextSeq: 1, startedAt: now, gapThrough: 0 };
}

/** Stores the stream's state. */
export function saveStream(session: SafeStorage, state: StreamState): void {
  session.setJson(StorageKey.STREAM, state);
}

/** Saves batches for the next page: oldest first, up to `maxChars`; the rest is summarised as lost. */
export function saveQueue(session: SafeStorage, sessionId: string, windowId: string, batches: readonly SavedBatch[], maxChars = SAVED_QUEUE_MAX_CHARS): void {
  if (!batches.length) {
    session.remove(StorageKey.QUEUE);
    return;
  }
  const kept: SavedBatch[] = [];
  let used = 0;
  let lost: LostSummary | undefined;
  for (const b of batches) {
    if (!lost && used + b.body.length + 100 <= maxChars) {
      kept.push({ seq: b.seq, body: b.body, count: b.count, first: b.first, last: b.last });
      used += b.body.length + 100;
    } else if (!lost) {
      lost = { seqFrom: b.seq, seqTo: b.seq, count: b.count, first: b.first, last: b.last };
    } else {
      lost.seqTo = b.seq;
      lost.count += b.count;
      lost.last = b.last;
    }
  }
  const queue: SavedQueue = lost ? { sessionId, windowId, batches: kept, lost } : { sessionId, windowId, batches: kept };
  if (!session.setJson(StorageKey.QUEUE, queue)) session.remove(StorageKey.QUEUE);
}

/** Reads and removes the saved queue; malformed entries are dropped. */
export function takeQueue(session: SafeStorage): SavedQueue | undefined {
  const q = session.getJson<SavedQueue>(StorageKey.QUEUE);
  session.remove(StorageKey.QUEUE);
  if (!q || !isValidId(q.sessionId) || !isValidId(q.windowId) || !Array.isArray(q.batches)) return undefined;
  const batches = q.batches.filter((b): b is SavedBatch =>
    typeof b === 'object' && b !== null && posInt(b.seq, 1) && isJsonArray(b.body)
    && posInt(b.count, 0) && finite(b.first) && finite(b.last));
  batches.sort((a, b) => a.seq - b.seq);
  const l = q.lost;
  const lost = l && posInt(l.seqFrom, 1) && posInt(l.seqTo, 1) && posInt(l.count, 0) && finite(l.first) && finite(l.last) ? l : undefined;
  return lost ? { sessionId: q.sessionId, windowId: q.windowId, batches, lost } : { sessionId: q.sessionId, windowId: q.windowId, batches };
}
