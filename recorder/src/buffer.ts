/**
 * The batcher of one (session, window) stream: it groups events into numbered batches by
 * time, size and count, and holds every batch until the relay acknowledges it. Nothing is
 * done per event on the page's hot path beyond keeping the event: serialising, size checks
 * and the buffer bound all happen when a batch is cut (every `flushIntervalMs`, or at
 * `maxEventsPerBatch` events). What it holds is bounded by `maxBufferBytes`: past the bound
 * events are dropped and counted, and once acknowledgements make room again a gap marker
 * (`CustomTag.GAP`) is recorded and a fresh full snapshot is asked for, so that replay
 * recovers. Nothing is lost silently.
 */
import { CustomTag, DEFAULT_LIMITS, EventType, GapReason, type GapPayload, type RecordedEvent, type RecorderConfig } from '@sentiero/protocol';
import { RecorderErrorCode, describe, type Report } from './errors.ts';
import type { LostSummary, SavedBatch, StreamState } from './persist.ts';

export { GapReason, type GapPayload } from '@sentiero/protocol';

/** One numbered batch, held until acknowledged. */
export interface Batch {
  seq: number;
  /** The events as a JSON array text, serialized once. */
  body: string;
  /** `body.length`, the unit of every size bound here. */
  bytes: number;
  count: number;
  /** Timestamps of the first and last event. */
  first: number;
  last: number;
  /** Whether it was ever transmitted (or came from an earlier page, which transmitted it). */
  sent: boolean;
  /** The socket generation it was last sent on (0: not on any socket yet). */
  gen: number;
  /** Whether it was handed to `sendBeacon` already. */
  beaconed: boolean;
}

/** Counters of a buffer. */
export interface BufferStats {
  batches: number;
  acked: number;
  dropped: number;
  gaps: number;
  bufferedBytes: number;
  queued: number;
  pending: number;
  nextSeq: number;
}

/** Options of `createBuffer`. */
export interface BufferOptions {
  state: StreamState;
  maxBufferBytes: number;
  config: RecorderConfig;
  report: Report;
  /** A new batch is queued. */
  onBatch(): void;
  /** Room is back after drops: take a full snapshot. */
  onRecover(): void;
  /** Batches an earlier page could not save, for the gap marker after `welcome`. */
  lost?: LostSummary;
}

/** The batcher of one stream. */
export interface Buffer {
  /** Adds an rrweb event (or one of ours). */
  add(event: RecordedEvent): void;
  /** Moves pending events into a new batch now. */
  flush(): void;
  /** The unacknowledged batches, oldest first. Do not mutate. */
  readonly batches: readonly Batch[];
  /** The relay stored `seq`; returns whether a held batch was removed. */
  ack(seq: number): boolean;
  /** Applies a `welcome`: drops batches ≤ `ackedSeq`, renumbers any never-sent batch the relay already has a seq for, and records lost batches as a gap. */
  welcome(ackedSeq: number): void;
  /** The relay rejected `seq` for good: its events are replaced by a gap marker under the same seq. */
  reject(seq: number): void;
  /** Loads batches saved by an earlier page of this tab. */
  preload(batches: readonly SavedBatch[]): void;
  /** Uses new batching limits (from the relay's `welcome`). */
  setConfig(config: RecorderConfig): void;
  /** The highest seq the relay is known to hold with all before it. */
  readonly ackedThrough: number;
  /** Counters. */
  stats(): BufferStats;
  /** Flushes pending events (closing any open gap) and stops taking events; held batches stay for the transport. */
  close(): void;
  /** The relay takes no more of this session: everything undelivered is replaced by one `session-limit` gap marker, and later events are dropped and counted. */
  limit(): GapPayload;
  /** Whether `limit()` was called (in this page or, through the saved state, an earlier one). */
  readonly limited: boolean;
}

/** The largest single event, in UTF-8 bytes: what fits in a frame under the protocol's payload limit. */
export const MAX_EVENT_BYTES = DEFAULT_LIMITS.maxPayloadBytes - 4096;

const NON_ASCII = /[^\u0000-\u007f]/;

/** UTF-8 length of a string, without allocating (an all-ASCII string, the usual case, is found by one native scan). */
export function utf8Length(s: string): number {
  if (!NON_ASCII.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A gap marker: an rrweb custom event tagged `CustomTag.GAP`. */
export function gapEvent(payload: GapPayload, timestamp = Date.now()): RecordedEvent {
  return { type: EventType.Custom, timestamp, data: { tag: CustomTag.GAP, payload } };
}

const isSnapshot = (e: RecordedEvent): boolean => e.type === EventType.FullSnapshot || e.type === EventType.Meta;

/** Creates the batcher of one stream. */
export function createBuffer(o: BufferOptions): Buffer {
  const state = o.state;
  let config = o.config;
  const queue: Batch[] = [];
  let queueBytes = 0;
  let pending: RecordedEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = !!state.limited;
  let lost = o.lost;
  const drop = { active: false, count: 0, from: 0, to: 0 };
  const stats = { batches: 0, acked: 0, dropped: 0, gaps: 0 };

  // The batch being cut by `flush()`: serialised events, their bytes and first/last timestamps.
  let cut: string[] = [];
  let cutBytes = 0;
  let cutFirst = 0;
  let cutLast = 0;

  const held = (): number => queueBytes + cutBytes;

  const onTimer = (): void => {
    timer = undefined;
    try {
      flush();
    } catch (err) {
      o.report(RecorderErrorCode.INTERNAL, `flush failed: ${describe(err)}`, err);
    }
  };

  function endCut(): void {
    if (!cut.length) return;
    const body = `[${cut.join(',')}]`;
    const batch: Batch = {
      seq: state.nextSeq++, body, bytes: body.length, count: cut.length, first: cutFirst, last: cutLast,
      sent: false, gen: 0, beaconed: false,
    };
    cut = [];
    cutBytes = 0;
    queue.push(batch);
    queueBytes += batch.bytes;
    stats.batches++;
  }

  function take(json: string, timestamp: number): void {
    if (cut.length && (cutBytes + json.length > config.maxBatchBytes || cut.length >= config.maxEventsPerBatch)) endCut();
    if (!cut.length) cutFirst = timestamp;
    cut.push(json);
    cutBytes += json.length;
    cutLast = timestamp;
  }

  function takeGap(payload: GapPayload): void {
    stats.gaps++;
    const e = gapEvent(payload);
    take(JSON.stringify(e), e.timestamp);
  }

  function endDrop(): void {
    if (!drop.active) return;
    drop.active = false;
    takeGap({ dropped: drop.count, from: drop.from, to: drop.to, reason: GapReason.BUFFER_FULL });
    drop.count = 0;
  }

  function dropOne(ts: number): void {
    if (!drop.active) {
      drop.active = true;
      drop.from = ts;
    }
    drop.count++;
    drop.to = ts;
    stats.dropped++;
  }

  /** Serialises one event into the batch being cut, or drops and counts it. */
  function place(event: RecordedEvent): void {
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch (err) {
      o.report(RecorderErrorCode.CAPTURE, `an event could not be serialized: ${describe(err)}`, err);
      return;
    }
    const ts = typeof event.timestamp === 'number' ? event.timestamp : Date.now();
    if (json.length * 3 > MAX_EVENT_BYTES && utf8Length(json) > MAX_EVENT_BYTES) {
      stats.dropped++;
      takeGap({ dropped: 1, from: ts, to: ts, reason: GapReason.TOO_LARGE });
      return;
    }
    if (isSnapshot(event)) {
      // A full snapshot is always kept: replay cannot start again without one.
      endDrop();
    } else if (drop.active || held() + json.length > o.maxBufferBytes) {
      dropOne(ts);
      return;
    }
    take(json, ts);
  }

  /** Serialises the pending events into the batch being cut. */
  function drain(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (!pending.length) return;
    const events = pending;
    pending = [];
    for (const e of events) place(e);
  }

  function flush(): void {
    const before = queue.length;
    drain();
    endCut();
    if (queue.length > before) o.onBatch();
  }

  function maybeRecover(): void {
    if (!drop.active || closed || held() > o.maxBufferBytes / 2) return;
    // Events that came while the buffer was full are dropped first, so the gap marker follows them.
    drain();
    const recovering = drop.active;
    endDrop();
    endCut();
    o.onBatch();
    if (recovering) o.onRecover();
  }

  function remove(index: number): Batch {
    const [b] = queue.splice(index, 1);
    queueBytes -= b.bytes;
    return b;
  }

  return {
    add(event) {
      if (closed) {
        if (state.limited) stats.dropped++;
        return;
      }
      pending.push(event);
      if (pending.length >= config.maxEventsPerBatch) flush();
      else if (!timer) timer = setTimeout(onTimer, config.flushIntervalMs);
    },
    flush,
    batches: queue,
    get ackedThrough() {
      return (queue.length ? queue[0].seq : state.nextSeq) - 1;
    },
    get limited() {
      return !!state.limited;
    },
    ack(seq) {
      const i = queue.findIndex((b) => b.seq === seq);
      if (i < 0) return false;
      remove(i);
      stats.acked++;
      maybeRecover();
      return true;
    },
    welcome(ackedSeq) {
      // The relay holds seqs this window never sent (its counter was lost): renumber what is unsent.
      const unsent = queue.filter((b) => !b.sent);
      if (unsent.length && unsent[0].seq <= ackedSeq) {
        let seq = Math.max(ackedSeq, ...queue.filter((b) => b.sent).map((b) => b.seq)) + 1;
        for (const b of unsent) b.seq = seq++;
        state.nextSeq = seq;
        queue.sort((a, b) => a.seq - b.seq);
      } else if (state.nextSeq <= ackedSeq && !queue.length) {
        state.nextSeq = ackedSeq + 1;
      }
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i].seq > ackedSeq) continue;
        remove(i);
        stats.acked++;
      }
      const floor = queue.length ? queue[0].seq : state.nextSeq;
      const lostFrom = Math.max(ackedSeq, state.gapThrough) + 1;
      const lostTo = floor - 1;
      if (lostFrom <= lostTo) {
        const known = lost && lost.seqFrom <= lostTo && lost.seqTo >= lostFrom ? lost : undefined;
        const now = Date.now();
        drain();
        takeGap({
          dropped: known ? known.count : 0, from: known ? known.first : now, to: known ? known.last : now,
          reason: GapReason.BATCHES_LOST, seqFrom: lostFrom, seqTo: lostTo,
        });
        endCut();
        state.gapThrough = lostTo;
      }
      lost = undefined;
      maybeRecover();
    },
    reject(seq) {
      const b = queue.find((x) => x.seq === seq);
      if (!b) return;
      stats.dropped += b.count;
      stats.gaps++;
      const body = `[${JSON.stringify(gapEvent({ dropped: b.count, from: b.first, to: b.last, reason: GapReason.REJECTED, seqFrom: seq, seqTo: seq }))}]`;
      queueBytes += body.length - b.bytes;
      Object.assign(b, { body, bytes: body.length, count: 1, gen: 0, beaconed: false });
      state.gapThrough = Math.max(state.gapThrough, seq);
    },
    preload(batches) {
      for (const s of batches) {
        if (queue.some((b) => b.seq === s.seq)) continue;
        queue.push({ ...s, bytes: s.body.length, sent: true, gen: 0, beaconed: false });
        queueBytes += s.body.length;
        if (s.seq >= state.nextSeq) state.nextSeq = s.seq + 1;
      }
      queue.sort((a, b) => a.seq - b.seq);
    },
    setConfig(c) {
      config = c;
    },
    stats() {
      return { ...stats, bufferedBytes: held(), queued: queue.length, pending: pending.length, nextSeq: state.nextSeq };
    },
    close() {
      if (closed) return;
      drain();
      endDrop();
      endCut();
      closed = true;
    },
    limit() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      let dropped = drop.active ? drop.count : 0;
      let from = drop.active ? drop.from : Infinity;
      let to = drop.active ? drop.to : -Infinity;
      drop.active = false;
      const span = (first: number, last: number, count: number): void => {
        dropped += count;
        from = Math.min(from, first);
        to = Math.max(to, last);
      };
      for (const e of pending) span(e.timestamp, e.timestamp, 1);
      for (const b of queue) span(b.first, b.last, b.count);
      pending = [];
      const seqs = queue.length ? { seqFrom: queue[0].seq, seqTo: queue[queue.length - 1].seq } : undefined;
      const now = Date.now();
      const payload: GapPayload = { dropped, from: Number.isFinite(from) ? from : now, to: Number.isFinite(to) ? to : now, reason: GapReason.SESSION_LIMIT, ...seqs };
      stats.dropped += dropped;
      stats.gaps++;
      const body = `[${JSON.stringify(gapEvent(payload, now))}]`;
      const seq = seqs ? seqs.seqFrom : state.nextSeq;
      queue.length = 0;
      queue.push({ seq, body, bytes: body.length, count: 1, first: now, last: now, sent: false, gen: 0, beaconed: false });
      queueBytes = body.length;
      state.nextSeq = seq + 1;
      state.limited = true;
      closed = true;
      return payload;
    },
  };
}
