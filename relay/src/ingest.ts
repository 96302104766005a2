/**
 * Ingest: recorders' batches over the WebSocket (`<base>/ingest`) and the HTTP fallback. Each
 * batch goes through the same steps: validate → limits (seq window, per-session caps) → sanitize → store,
 * then acknowledge → fan-out (live watchers, error occurrences, the sessions feed). Bytes a
 * socket sent and the relay has not acknowledged yet count against its budget (backpressure.ts);
 * large batches take turns in the relay's large-batch lane (ingest-lane.ts).
 */
import type { IncomingMessage } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RawData, WebSocket } from 'ws';
import {
  CustomTag, ErrorCode, EventType, PROTOCOL_VERSION, type ErrorOccurrence, type IngestServerMessage, type RecordedEvent, type SessionMeta,
  closeCodeFor, parseJson, validateIngestClientMessage,
} from '@sentiero/protocol';
import type { AppendResult, Store } from '@sentiero/storage';
import type { Analytics } from './analytics/service.ts';
import type { AssetCapture } from './assets.ts';
import type { IngestBudget } from './backpressure.ts';
import type { BatchLane } from './ingest-lane.ts';
import { digestBatch } from './digest.ts';
import { RelayError } from './errors.ts';
import { parseBatchFrame } from './frame-text.ts';
import { type Hub, eventsFrame } from './hub.ts';
import type { SessionBounds, SessionCounts } from './ingest-limits.ts';
import type { ResolvedOptions } from './options.ts';
import { TokenBucket } from './rate-limit.ts';
import type { SanitizerChain } from './sanitize.ts';
import type { ErrorTracker } from './tracker.ts';

/** How long a closed socket's peer has to answer the close before the connection is dropped. */
const CLOSE_TIMEOUT_MS = 2000;

/** What ingest needs of the relay. */
export interface IngestContext {
  options: ResolvedOptions;
  store: Store;
  hub: Hub;
  /** Called after a batch is newly stored (for the sessions feed). */
  changed(sessionId: string): void;
  /** Appends in flight, so that `close()` can wait for them. */
  inflight: Set<Promise<unknown>>;
  /** Turns the batch's error events into occurrences. */
  errors: ErrorTracker;
  /** Per-session caps and the seq window. */
  bounds: SessionBounds;
  /** Unacknowledged bytes of ingest sockets. */
  budget: IngestBudget;
  /** Where large batches wait for their turn. */
  lane: BatchLane;
  /** The sanitizers every batch goes through before it is stored or shown. */
  sanitize: SanitizerChain;
  /** Session digests, derived after each newly stored batch (undefined when analytics is off). */
  analytics: Analytics | undefined;
  /** Captured assets: each newly stored batch is handed over after the ack (undefined when capture is off). */
  assets: AssetCapture | undefined;
}

/** One validated batch to ingest, from either transport. */
export interface IngestItem {
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
  meta: SessionMeta | undefined;
  /** Its size as received, counted against `maxBytesPerSession`. */
  bytes: number;
  /** The events' text as received (`parseBatchFrame`), stored as it is when nothing changes the events before they are stored. */
  eventsJson?: string;
}

/**
 * Ingests a batch of a session whose counts are held: admits it against the limits, stores it
 * and, when it is new, publishes it live and records its errors (a re-sent batch records
 * nothing again). Resolves once it is durable and its errors are recorded; rejects with a
 * `RelayError` (a limit, input the store cannot take, or `SENTIERO_STORE_FAILED`).
 */
export async function ingestBatch(ctx: IngestContext, counts: SessionCounts, sent: IngestItem): Promise<void> {
  const admitted = ctx.bounds.admit(counts, sent.windowId, sent.seq, sent.events, sent.bytes);
  let result: AppendResult | undefined;
  let occurrences: ErrorOccurrence[];
  // Sanitized after the limits (which count what was sent) and before anything is kept or shown; a batch left with no
  // events is still stored, empty, so that its seq is acknowledged and resume goes on.
  const item = sanitizeItem(ctx, sent);
  try {
    // A large batch is encoded in a later turn of the event loop than it was sanitized in (ingest-lane.ts).
    if (ctx.lane.isLarge(sent.bytes)) await nextTurn();
    occurrences = await prepareErrors(ctx, item);
    result = await storeBatch(ctx, item);
  } finally {
    ctx.bounds.settle(admitted, item.windowId, result);
  }
  if (result.stored) await fanOut(ctx, item, occurrences);
  // Scaled out, a re-sent batch may have been stored by a process that died before it published it: publish it again (watchers drop what they have).
  else if (ctx.hub.scaledOut) publish(ctx.hub, item);
}

/**
 * The batch as the sanitizers leave it: its events and its meta (the `bytes` counted stay those
 * sent). The events' text as received goes with it only while it still says what the events
 * are: no sanitizer changed them, and no error event is in it (`prepareErrors` completes those
 * in place).
 */
function sanitizeItem(ctx: IngestContext, item: IngestItem): IngestItem {
  let eventsJson = item.eventsJson;
  if (eventsJson !== undefined && item.events.some(isErrorEvent)) eventsJson = undefined;
  if (!ctx.sanitize.active) return eventsJson === item.eventsJson ? item : { ...item, eventsJson };
  const where = { sessionId: item.sessionId, windowId: item.windowId, seq: item.seq };
  const { events, unchanged } = ctx.sanitize.eventsAsSent(item.events, { ...where, kind: 'event' });
  return {
    ...item,
    events,
    meta: item.meta && ctx.sanitize.meta(item.meta, where),
    eventsJson: unchanged ? eventsJson : undefined,
  };
}

function isErrorEvent(e: RecordedEvent): boolean {
  return e.type === EventType.Custom && (e.data as { tag?: unknown } | undefined)?.tag === CustomTag.ERROR;
}

/** Ingests a batch that came alone (`POST <base>/ingest`): holds its session's counts around `ingestBatch`, a large batch in its turn in the lane. */
export function ingestOne(ctx: IngestContext, item: IngestItem): Promise<void> {
  return ctx.lane.isLarge(item.bytes) ? ctx.lane.run(() => ingestHeld(ctx, item)) : ingestHeld(ctx, item);
}

async function ingestHeld(ctx: IngestContext, item: IngestItem): Promise<void> {
  const counts = await ctx.bounds.hold(item.sessionId).catch((err: unknown) => { throw storeFailure(ctx, item, err); });
  try {
    await ctx.bounds.ackedSeq(counts, item.windowId).catch((err: unknown) => { throw storeFailure(ctx, item, err); });
    await ingestBatch(ctx, counts, item);
  } finally {
    ctx.bounds.release(counts);
  }
}

/** Completes the batch's error events (groups, mapped frames) before it is stored; their occurrences are recorded after. */
function prepareErrors(ctx: IngestContext, item: IngestItem): Promise<ErrorOccurrence[]> {
  return ctx.errors.prepareBatch(item.sessionId, item.windowId, item.events, item.meta?.url).catch((err: unknown) => {
    ctx.options.logger.error(`reading the errors of batch ${item.seq} of ${item.sessionId}/${item.windowId} failed: ${describe(err)}`);
    return [];
  });
}

async function storeBatch(ctx: IngestContext, item: IngestItem): Promise<AppendResult> {
  const write = ctx.store.append({
    sessionId: item.sessionId, windowId: item.windowId, seq: item.seq, events: item.events,
    receivedAt: Date.now(), meta: item.meta, digest: digestBatch(item.events), bytes: item.bytes,
    ...(item.eventsJson !== undefined ? { eventsJson: item.eventsJson } : {}),
  });
  ctx.inflight.add(write);
  try {
    return await write;
  } catch (err) {
    throw storeFailure(ctx, item, err);
  } finally {
    ctx.inflight.delete(write);
  }
}

/**
 * What a store failure is answered with. Input the store cannot serialize (a stack overflow
 * on nesting the validator let through) is the sender's fault, never "send it again"; any
 * other failure is logged in one line and answered `SENTIERO_STORE_FAILED`.
 */
function storeFailure(ctx: IngestContext, item: IngestItem, err: unknown): RelayError {
  if (err instanceof RangeError || (err as { cause?: unknown }).cause instanceof RangeError) {
    return new RelayError(ErrorCode.INVALID_MESSAGE, 'the batch cannot be stored: its events nest too deeply');
  }
  ctx.options.logger.error(`storing batch ${item.seq} of ${item.sessionId}/${item.windowId} failed: ${describe(err)}`);
  return new RelayError(ErrorCode.STORE_FAILED, 'the batch could not be stored; send it again after reconnecting');
}

function publish(hub: Hub, { sessionId, windowId, seq, events, eventsJson }: IngestItem): void {
  hub.publish({ sessionId, windowId, seq, encode: () => eventsFrame(sessionId, windowId, seq, eventsJson ?? JSON.stringify(events)) });
}

async function fanOut(ctx: IngestContext, item: IngestItem, occurrences: readonly ErrorOccurrence[]): Promise<void> {
  publish(ctx.hub, item);
  ctx.analytics?.observe({ sessionId: item.sessionId, windowId: item.windowId, events: item.events, userAgent: item.meta?.userAgent });
  ctx.assets?.observe(item.sessionId, item.windowId, item.events);
  for (const occ of occurrences) {
    // The events are durable; an occurrence that cannot be recorded is logged, not a reason to refuse the batch.
    await ctx.errors.record(occ).catch((err: unknown) => ctx.options.logger.error(`recording an error of ${item.sessionId} failed: ${describe(err)}`));
  }
  ctx.changed(item.sessionId);
}

/** An error in one log line: its code when it has one, and its message. */
function describe(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** A meta for batches that arrive over HTTP from a window that never said `hello`. */
export function metaFromRequest(req: IncomingMessage, events: readonly RecordedEvent[]): SessionMeta {
  return {
    url: String(req.headers.referer ?? '').slice(0, 4096),
    userAgent: String(req.headers['user-agent'] ?? '').slice(0, 1024),
    startedAt: events[0]?.timestamp ?? Date.now(),
  };
}

/** A frame as received, waiting to be handled. */
interface Frame {
  data: RawData;
  isBinary: boolean;
  size: number;
}

function sizeOf(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
}

/** Serves one ingest socket: `hello` (within `helloTimeoutMs`) → `welcome`, then `batch` → `ack` per stored batch. */
export function serveIngest(ws: WebSocket, ctx: IngestContext): void {
  const { options, store, hub, bounds } = ctx;
  const limits = options.limits;
  const bucket = new TokenBucket(limits.maxMessagesPerSecond, limits.rateWindowMs);
  const budget = ctx.budget.join(ws);
  let hello: { sessionId: string; windowId: string; meta: SessionMeta } | undefined;
  let counts: SessionCounts | undefined;
  // Batches wait for the welcome; after it they are appended in arrival order without waiting for each other.
  let ready: Promise<boolean> | undefined;
  let failed = false;
  let connected = false;

  const send = (m: IngestServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const fail = (code: ErrorCode, message: string) => {
    if (failed) return;
    failed = true;
    budget.close();
    send({ t: 'error', code, message });
    ws.close(closeCodeFor(code), code);
    setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS).unref?.();
  };
  const refuse = (err: unknown) => {
    if (err instanceof RelayError) return fail(err.code, err.message);
    options.logger.error(`ingest failed: ${describe(err)}`);
    fail(ErrorCode.INTERNAL, 'the relay failed; see its log');
  };

  // Timers run before I/O in each turn of the event loop: after a stall, a hello already received is read first (setImmediate).
  const helloTimer = setTimeout(() => setImmediate(() => {
    if (!hello) fail(ErrorCode.HELLO_TIMEOUT, `no "hello" within ${limits.helloTimeoutMs} ms`);
  }), limits.helloTimeoutMs);
  helloTimer.unref?.();

  // This socket's frames waiting behind a large one for the relay's large-batch lane, in arrival order.
  const waiting: Frame[] = [];
  let draining = false;

  ws.on('message', (data, isBinary) => {
    if (failed) return;
    const size = sizeOf(data);
    if (!budget.take(size)) {
      budget.give(size);
      return fail(ErrorCode.RATE_LIMITED, 'the socket kept sending after the relay stopped reading it, far past "maxUnackedBytesPerSocket"');
    }
    if (!bucket.take()) {
      budget.give(size);
      return fail(ErrorCode.RATE_LIMITED, `more than ${limits.maxMessagesPerSecond} messages per second`);
    }
    const frame: Frame = { data, isBinary, size };
    if (!draining && waiting.length === 0 && !ctx.lane.isLarge(size)) return void handle(frame);
    waiting.push(frame);
    drain();
  });

  /** Hands the waiting frames on in order: a small one at once, a large one when the lane has a place for it (kept until it is acknowledged or refused). */
  const drain = () => {
    if (draining) return;
    draining = true;
    while (waiting.length > 0 && !ctx.lane.isLarge(waiting[0]!.size)) void handle(waiting.shift()!);
    const large = waiting.shift();
    if (!large) {
      draining = false;
      return;
    }
    // The frame's text, its parse and its storing each in their own turn of the event loop: the I/O waiting meanwhile (a small batch) runs between them.
    void ctx.lane.run(async () => {
      const text = large.isBinary ? '' : String(large.data);
      await nextTurn();
      return handle(large, text);
    }).finally(() => {
      draining = false;
      drain();
    });
  };

  /** Parses (`text`, when already decoded), checks and ingests one frame; the promise settles once its batch is acknowledged or refused (undefined for anything else). */
  const handle = ({ data, isBinary, size }: Frame, text?: string): Promise<void> | void => {
    let holding: Promise<void> | undefined;
    try {
      if (failed) return;
      const frameText = text ?? (isBinary ? '' : String(data));
      // A batch as the recorder writes it is parsed by its events' text, which is then stored as it is if nothing changes them.
      const batchFrame = parseBatchFrame(frameText);
      const parsed = batchFrame ? { ok: true as const, value: batchFrame.message } : parseJson(frameText);
      if (!parsed.ok) return fail(parsed.code, parsed.message);
      const checked = validateIngestClientMessage(parsed.value, limits);
      if (!checked.ok) return fail(checked.code, checked.message);
      const m = checked.value;
      if (m.t === 'hello') {
        if (hello) return fail(ErrorCode.HELLO_TWICE, 'a socket says "hello" once');
        if (m.v !== PROTOCOL_VERSION) return fail(ErrorCode.UNSUPPORTED_VERSION, `this relay speaks protocol v${PROTOCOL_VERSION}, not v${m.v}`);
        clearTimeout(helloTimer);
        const h = { sessionId: m.sessionId, windowId: m.windowId, meta: m.meta };
        hello = h;
        ready = Promise.all([store.ackedSeq(h.sessionId, h.windowId), bounds.hold(h.sessionId)]).then(
          ([ackedSeq, held]) => {
            if (ws.readyState !== ws.OPEN) {
              bounds.release(held);
              return false;
            }
            counts = held;
            bounds.advance(held, h.windowId, ackedSeq);
            try {
              bounds.checkWindow(held, h.windowId);
            } catch (err) {
              refuse(err);
              return false;
            }
            hub.connect(h.sessionId, h.windowId, ackedSeq + 1);
            connected = true;
            send({ t: 'welcome', ackedSeq, config: options.recorder });
            return true;
          },
          (err: unknown) => {
            options.logger.error(`reading session ${h.sessionId} for its hello failed: ${describe(err)}`);
            fail(ErrorCode.STORE_FAILED, 'the store is not available');
            return false;
          },
        );
        return;
      }
      if (!hello || !ready) return fail(ErrorCode.HELLO_REQUIRED, 'send "hello" before any "batch"');
      const h = hello;
      const batch = m;
      holding = ready.then((ok) => {
        if (!ok || failed || !counts) return;
        const eventsJson = batchFrame?.eventsJson;
        return ingestBatch(ctx, counts, { sessionId: h.sessionId, windowId: h.windowId, seq: batch.seq, events: batch.events, meta: h.meta, bytes: size, eventsJson })
          .then(() => send({ t: 'ack', seq: batch.seq }), refuse);
      }).finally(() => budget.give(size));
      return holding;
    } finally {
      if (!holding) budget.give(size);
    }
  };

  ws.on('close', () => {
    clearTimeout(helloTimer);
    // Frames still waiting for the lane are dropped unread (never acknowledged: the recorder sends them again); their bytes go with the socket's.
    waiting.length = 0;
    budget.close();
    if (counts) bounds.release(counts);
    if (connected && hello) hub.disconnect(hello.sessionId);
  });
  ws.on('error', (err) => {
    // `ws` closes the socket itself (1009 for an oversized frame, 1002 for a protocol error).
    options.logger.info(`ingest socket error: ${err.message}`);
  });
}
