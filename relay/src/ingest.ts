/**
 * Ingest: recorders' batches over the WebSocket (`<base>/ingest`) and the HTTP fallback.
 * Validate, store durably, acknowledge, then hand the batch to the live side.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import {
  ErrorCode, PROTOCOL_VERSION, type IngestServerMessage, type RecordedEvent, type SessionMeta, closeCodeFor, parseJson,
  validateIngestClientMessage,
} from '@sentiero/protocol';
import type { Store } from '@sentiero/storage';
import { digestBatch } from './digest.ts';
import { type Hub, eventsFrame } from './hub.ts';
import type { ResolvedOptions } from './options.ts';
import { TokenBucket } from './rate-limit.ts';
import type { ErrorTracker } from './tracker.ts';

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
}

/** One batch to ingest, from either transport. */
export interface IngestItem {
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
  meta: SessionMeta | undefined;
}

/**
 * Stores a batch and, when it is new, publishes it live and records its errors (a re-sent
 * batch records nothing again). Resolves once it is durable and its errors are recorded.
 */
export async function ingestBatch(ctx: IngestContext, item: IngestItem): Promise<void> {
  const { store, hub } = ctx;
  const errors = await ctx.errors.prepareBatch(item.sessionId, item.windowId, item.events, item.meta?.url).catch((err: unknown) => {
    ctx.options.logger.error(`reading the errors of batch ${item.seq} of ${item.sessionId}/${item.windowId} failed`, err);
    return [];
  });
  const write = store.append({
    sessionId: item.sessionId, windowId: item.windowId, seq: item.seq, events: item.events,
    receivedAt: Date.now(), meta: item.meta, digest: digestBatch(item.events),
  });
  ctx.inflight.add(write);
  try {
    const result = await write;
    if (!result.stored) return;
    const frame = hub.hasListeners(item.sessionId) ? eventsFrame(item.sessionId, item.windowId, item.seq, JSON.stringify(item.events)) : '';
    hub.publish({ sessionId: item.sessionId, windowId: item.windowId, seq: item.seq, frame });
    for (const occ of errors) {
      // The events are durable; an occurrence that cannot be recorded is logged, not a reason to refuse the batch.
      await ctx.errors.record(occ).catch((err: unknown) => ctx.options.logger.error(`recording an error of ${item.sessionId} failed`, err));
    }
    ctx.changed(item.sessionId);
  } finally {
    ctx.inflight.delete(write);
  }
}

/** A meta for batches that arrive over HTTP from a window that never said `hello`. */
export function metaFromRequest(req: IncomingMessage, events: readonly RecordedEvent[]): SessionMeta {
  return {
    url: String(req.headers.referer ?? '').slice(0, 4096),
    userAgent: String(req.headers['user-agent'] ?? '').slice(0, 1024),
    startedAt: events[0]?.timestamp ?? Date.now(),
  };
}

/** Serves one ingest socket: `hello` → `welcome`, then `batch` → `ack` per stored batch. */
export function serveIngest(ws: WebSocket, ctx: IngestContext): void {
  const { options, store, hub } = ctx;
  const limits = options.limits;
  const bucket = new TokenBucket(limits.maxMessagesPerSecond, limits.rateWindowMs);
  let hello: { sessionId: string; windowId: string; meta: SessionMeta } | undefined;
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
    send({ t: 'error', code, message });
    ws.close(closeCodeFor(code), code);
    setTimeout(() => ws.terminate(), 2000).unref?.();
  };

  ws.on('message', (data, isBinary) => {
    if (failed) return;
    if (!bucket.take()) return fail(ErrorCode.RATE_LIMITED, `more than ${limits.maxMessagesPerSecond} messages per second`);
    const parsed = parseJson(isBinary ? '' : String(data));
    if (!parsed.ok) return fail(parsed.code, parsed.message);
    const checked = validateIngestClientMessage(parsed.value, limits);
    if (!checked.ok) return fail(checked.code, checked.message);
    const m = checked.value;
    if (m.t === 'hello') {
      if (hello) return fail(ErrorCode.HELLO_TWICE, 'a socket says "hello" once');
      if (m.v !== PROTOCOL_VERSION) return fail(ErrorCode.UNSUPPORTED_VERSION, `this relay speaks protocol v${PROTOCOL_VERSION}, not v${m.v}`);
      const h = { sessionId: m.sessionId, windowId: m.windowId, meta: m.meta };
      hello = h;
      ready = store.ackedSeq(h.sessionId, h.windowId).then(
        (ackedSeq) => {
          if (ws.readyState !== ws.OPEN) return false;
          hub.connect(h.sessionId, h.windowId, ackedSeq + 1);
          connected = true;
          send({ t: 'welcome', ackedSeq, config: options.recorder });
          return true;
        },
        (err: unknown) => {
          options.logger.error('reading the acknowledged seq failed', err);
          fail(ErrorCode.STORE_FAILED, 'the store is not available');
          return false;
        },
      );
      return;
    }
    if (!hello || !ready) return fail(ErrorCode.HELLO_REQUIRED, 'send "hello" before any "batch"');
    const h = hello;
    const batch = m;
    void ready.then((ok) => {
      if (!ok || failed) return;
      return ingestBatch(ctx, { sessionId: h.sessionId, windowId: h.windowId, seq: batch.seq, events: batch.events, meta: h.meta }).then(
        () => send({ t: 'ack', seq: batch.seq }),
        (err: unknown) => {
          options.logger.error(`storing batch ${batch.seq} of ${h.sessionId}/${h.windowId} failed`, err);
          fail(ErrorCode.STORE_FAILED, 'the batch could not be stored; send it again after reconnecting');
        },
      );
    });
  });

  ws.on('close', () => {
    if (connected && hello) hub.disconnect(hello.sessionId);
  });
  ws.on('error', (err) => {
    // `ws` closes the socket itself (1009 for an oversized frame, 1002 for a protocol error).
    options.logger.info(`ingest socket error: ${err.message}`);
  });
}
