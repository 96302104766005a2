/**
 * Delivers one stream's batches to the relay. WebSocket first: `hello` → `welcome`, then
 * batches pipelined, each removed from the buffer when its `ack` comes. After a drop it
 * reconnects with capped exponential backoff and jitter, and `welcome.ackedSeq` says what to
 * re-send. When sockets keep failing (or do not exist) it posts batches over HTTP one at a
 * time, probing the socket now and then. When the page goes away it hands every
 * unacknowledged batch to `sendBeacon`. It never throws and stops for good on `close()`.
 */
import {
  CloseCode, ErrorCode, PROTOCOL_VERSION, parseJson, validateIngestPostAck, validateIngestServerMessage,
  type HelloMessage, type IngestServerMessage, type RecorderConfig, type SessionMeta,
} from '@sentiero/protocol';
import { utf8Length, type Batch, type Buffer } from './buffer.ts';
import { gzip, gzipBest } from './compress.ts';
import { RecorderErrorCode, describe, type Report } from './errors.ts';
import { openSocket, type IngestSocket } from './socket.ts';

/** Timing and size constants of the transport. */
export const TRANSPORT_LIMITS = {
  /** First reconnect delay, in ms; doubled on each failure. */
  firstDelayMs: 500,
  /** Longest reconnect (and HTTP retry) delay, in ms; also how often the socket is probed while on HTTP. */
  maxDelayMs: 30_000,
  /** Consecutive sockets that close before `welcome` before falling back to HTTP. */
  socketFailuresBeforeHttp: 3,
  /** Largest body handed to `sendBeacon` (and to `fetch` with `keepalive`), in bytes on the wire (gzip when it was). */
  beaconMaxBytes: 64 * 1024,
  /** A batch still unacknowledged this long (ms) is gzipped in the background (zlib's best level, in slices), ready for a beacon if the page goes away. */
  precompressAfterMs: 1000,
} as const;

/** Where the transport is. */
export type TransportState = 'connecting' | 'open' | 'backoff' | 'http' | 'suspended' | 'closed' | 'failed' | 'limited';

/** Options of `createTransport`. */
export interface TransportOptions {
  /** The relay's base URL (http or https, no trailing slash). */
  relay: string;
  sessionId: string;
  windowId: string;
  meta: SessionMeta;
  buffer: Buffer;
  report: Report;
  /** The relay's batching advice from `welcome`. */
  onConfig(config: RecorderConfig): void;
  /** The relay takes no more of this session (called once; the transport has stopped for good). */
  onLimit(): void;
}

/** Counters of a transport. */
export interface TransportStats {
  state: TransportState;
  mode: 'ws' | 'http';
  /** Batch transmissions (socket frames, HTTP posts and beacons, re-sends included). */
  sent: number;
  /** Socket connection attempts. */
  connects: number;
}

/** The delivery of one stream. */
export interface Transport {
  /** Starts connecting. */
  start(): void;
  /** A new batch is queued in the buffer. */
  notify(): void;
  /** The page is going away or hidden: beacon every unacknowledged batch not beaconed yet. */
  unload(): void;
  /** Closes the socket while the page sits in the back/forward cache. */
  suspend(): void;
  /** Reconnects after `suspend()`. */
  resume(): void;
  /** Keeps delivering until the buffer is empty or `deadlineMs` passes, then closes. */
  finish(deadlineMs: number): void;
  /** Stops for good: no more sends, reconnects or retries. */
  close(): void;
  /** Counters. */
  stats(): TransportStats;
}

/** Close codes after which the batches in flight are suspect (the relay found one of them bad). */
const POISON = new Set<number>([
  CloseCode.BAD_JSON, CloseCode.INVALID_MESSAGE, CloseCode.UNKNOWN_MESSAGE, CloseCode.PAYLOAD_TOO_LARGE, CloseCode.MESSAGE_TOO_BIG,
]);

type PostResult =
  | { kind: 'ok'; ack: number }
  | { kind: 'reject'; status: number }
  | { kind: 'forbidden'; status: number }
  | { kind: 'limit' }
  | { kind: 'retry'; afterMs: number; why: string };

const jitter = (ms: number): number => ms * (0.5 + Math.random() * 0.5);

/** The `code` of a relay's JSON error answer, if it has one. */
async function errorCode(res: Response): Promise<unknown> {
  try {
    return ((await res.json()) as { code?: unknown } | null)?.code;
  } catch {
    return undefined;
  }
}

/** Creates the transport of one stream. */
export function createTransport(o: TransportOptions): Transport {
  const { buffer, report } = o;
  const httpUrl = `${o.relay}/ingest`;
  const wsUrl = `${o.relay.replace(/^http/, 'ws')}/ingest`;
  let state: TransportState = 'connecting';
  let mode: 'ws' | 'http' = 'ws';
  let ws: IngestSocket | undefined;
  let gen = 0;
  let welcomed = false;
  let closed = false;
  let suspended = false;
  let finishing = false;
  let attempt = 0;
  let socketFailures = 0;
  let metaNeeded = true;
  let httpBusy = false;
  let lastRelayError = '';
  let saidHttp = false;
  const careful = { active: false, until: 0 };
  const timers = {
    reconnect: undefined as ReturnType<typeof setTimeout> | undefined, probe: undefined as ReturnType<typeof setTimeout> | undefined,
    http: undefined as ReturnType<typeof setTimeout> | undefined, deadline: undefined as ReturnType<typeof setTimeout> | undefined,
    compress: undefined as ReturnType<typeof setTimeout> | undefined,
  };
  const stats = { sent: 0, connects: 0 };
  /** Each batch's HTTP body in gzip, per text; `bytes` undefined where gzip would not gain. */
  const gzipped = new WeakMap<Batch, { text: string; bytes: Uint8Array<ArrayBuffer> | undefined }>();
  const sameOrigin = ((): boolean => {
    try {
      return new URL(httpUrl).origin === location.origin;
    } catch {
      return false;
    }
  })();

  const safe = <A extends unknown[]>(what: string, fn: (...args: A) => void) => (...args: A): void => {
    try {
      fn(...args);
    } catch (err) {
      report(RecorderErrorCode.INTERNAL, `${what} failed: ${describe(err)}`, err);
    }
  };
  const later = (key: keyof typeof timers, ms: number, fn: () => void): void => {
    if (timers[key]) clearTimeout(timers[key]);
    timers[key] = setTimeout(safe(key, () => {
      timers[key] = undefined;
      if (!closed) fn();
    }), ms);
  };
  const clearTimers = (keepDeadline = false): void => {
    for (const key of Object.keys(timers) as (keyof typeof timers)[]) {
      if (keepDeadline && key === 'deadline') continue;
      if (timers[key]) clearTimeout(timers[key]);
      timers[key] = undefined;
    }
  };
  const backoff = (): number => jitter(Math.min(TRANSPORT_LIMITS.maxDelayMs, TRANSPORT_LIMITS.firstDelayMs * 2 ** attempt++));

  function postBody(b: Batch): string {
    const meta = metaNeeded ? `,"meta":${JSON.stringify(o.meta)}` : '';
    return `{"sessionId":${JSON.stringify(o.sessionId)},"windowId":${JSON.stringify(o.windowId)},"seq":${b.seq},"events":${b.body}${meta}}`;
  }

  /**
   * A batch's HTTP body, gzipped where the browser can. The gzip is kept (per text) so that a
   * beacon on unload, which cannot wait for compression, sends the same bytes. No
   * `Content-Encoding` header is set to another origin (it would need a CORS preflight): the
   * relay recognises gzip by its magic bytes.
   */
  async function compressedBody(b: Batch): Promise<{ body: string | Uint8Array<ArrayBuffer>; headers: Record<string, string> }> {
    const text = postBody(b);
    const headers: Record<string, string> = { 'content-type': 'text/plain;charset=UTF-8' };
    const cached = gzipped.get(b);
    const bytes = cached?.text === text ? cached.bytes : await gzip(text);
    // Kept even when gzip would not gain (undefined): the background work then never tries the batch again.
    gzipped.set(b, { text, bytes });
    if (!bytes) return { body: text, headers };
    if (sameOrigin) headers['content-encoding'] = 'gzip';
    return { body: bytes, headers };
  }

  /**
   * Gzips, one after the other, the batches unacknowledged for `precompressAfterMs` (the relay is
   * slow or away): a beacon cannot wait for compression, so this is what lets it send gzip. At
   * zlib's best level, because beacons share a small budget (64 KiB in flight per page): the
   * fewer bytes each takes, the more events survive the page going away. The work runs in
   * slices of a few ms between the page's tasks; a batch acknowledged meanwhile is dropped. While
   * the relay acknowledges promptly nothing is compressed, and nothing costs the page.
   */
  let compressing = false;
  function schedulePrecompress(): void {
    if (closed || compressing || timers.compress || typeof TextEncoder !== 'function' || !buffer.batches.length) return;
    later('compress', TRANSPORT_LIMITS.precompressAfterMs, () => void precompressDue());
  }
  async function precompressDue(): Promise<void> {
    compressing = true;
    try {
      for (;;) {
        const due = Date.now() - TRANSPORT_LIMITS.precompressAfterMs;
        const next = closed ? undefined : buffer.batches.find((b) => b.last <= due && !b.beaconed && !gzipped.has(b));
        if (!next) break;
        const text = postBody(next);
        const bytes = await gzipBest(text, () => closed || next.beaconed === true || !buffer.batches.includes(next));
        // Kept even when gzip would not gain (undefined): the batch is not tried again.
        if (!gzipped.has(next)) gzipped.set(next, { text, bytes });
      }
    } finally {
      compressing = false;
      schedulePrecompress();
    }
  }

  async function post(b: Batch, keepalive: boolean): Promise<PostResult> {
    let res: Response;
    try {
      const { body, headers } = await compressedBody(b);
      res = await fetch(httpUrl, { method: 'POST', body, keepalive, credentials: 'omit', headers });
    } catch (err) {
      return { kind: 'retry', afterMs: 0, why: describe(err) };
    }
    if (res.ok) {
      try {
        const body = validateIngestPostAck(await res.json());
        if (body.ok && body.value.ack === b.seq) return { kind: 'ok', ack: b.seq };
      } catch { /* not the documented answer */ }
      return { kind: 'retry', afterMs: 0, why: 'the relay answered without {ack}' };
    }
    if (res.status === 413 && (await errorCode(res)) === ErrorCode.SESSION_LIMIT) return { kind: 'limit' };
    if (res.status === 400 || res.status === 413) return { kind: 'reject', status: res.status };
    if (res.status === 401 || res.status === 403) return { kind: 'forbidden', status: res.status };
    const retryAfter = Number(res.headers.get('retry-after'));
    return { kind: 'retry', afterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0, why: `HTTP ${res.status}` };
  }

  function setState(s: TransportState): void {
    if (state !== 'failed' && state !== 'closed') state = s;
  }

  function maybeFinished(): void {
    if (finishing && !buffer.batches.length) close();
  }

  function acked(seq: number): void {
    if (buffer.ack(seq) && !buffer.batches.length) attempt = 0;
    if (careful.active && (seq >= careful.until || !buffer.batches.length)) careful.active = false;
    maybeFinished();
  }

  function send(socket: IngestSocket, b: Batch): void {
    socket.send(`{"t":"batch","seq":${b.seq},"events":${b.body}}`);
    b.gen = gen;
    b.sent = true;
    stats.sent++;
  }

  function pump(): void {
    const socket = ws;
    if (!socket || !welcomed || socket.readyState !== 1) return;
    for (const b of buffer.batches) {
      if (b.gen === gen) {
        if (careful.active) return;
        continue;
      }
      send(socket, b);
      if (careful.active) return;
    }
  }

  function onMessage(socket: IngestSocket, data: unknown): void {
    if (socket !== ws || closed) return;
    const parsed = parseJson(typeof data === 'string' ? data : '');
    const checked = parsed.ok ? validateIngestServerMessage(parsed.value) : parsed;
    if (!checked.ok) {
      report(RecorderErrorCode.TRANSPORT, `the relay sent a message this recorder does not understand: ${checked.message}`);
      return;
    }
    const m: IngestServerMessage = checked.value;
    if (m.t === 'welcome') {
      if (welcomed) return;
      welcomed = true;
      socketFailures = 0;
      metaNeeded = false;
      if (mode === 'http') {
        mode = 'ws';
        if (timers.probe) clearTimeout(timers.probe);
        timers.probe = undefined;
      }
      o.onConfig(m.config);
      buffer.welcome(m.ackedSeq);
      setState('open');
      if (!buffer.batches.length) attempt = 0;
      maybeFinished();
      pump();
    } else if (m.t === 'ack') {
      acked(m.seq);
      pump();
    } else {
      lastRelayError = `${m.code}: ${m.message}`;
      // A session limit is reported once, by the close (4410) that follows it.
      if (m.code !== ErrorCode.SESSION_LIMIT) report(RecorderErrorCode.TRANSPORT, `the relay answered with an error (${lastRelayError})`);
    }
  }

  function onClose(socket: IngestSocket, code: number): void {
    if (socket !== ws) return;
    ws = undefined;
    const wasWelcomed = welcomed;
    welcomed = false;
    if (closed || suspended) return;
    if (code === CloseCode.SESSION_LIMIT) {
      limitReached(`close ${code}`);
      return;
    }
    if (!wasWelcomed) socketFailures++;
    if (code === CloseCode.SEQ_OUT_OF_WINDOW) {
      // Too many batches ran ahead of the acknowledged one: after the reconnect, resend from
      // welcome.ackedSeq one batch at a time until what was held is acknowledged.
      const last = buffer.batches[buffer.batches.length - 1];
      if (last) {
        careful.active = true;
        careful.until = last.seq;
      }
    }
    if (POISON.has(code)) {
      const inFlight = buffer.batches.filter((b) => b.gen === gen);
      if (wasWelcomed && inFlight.length === 1) {
        buffer.reject(inFlight[0].seq);
        report(RecorderErrorCode.REJECTED, `the relay rejected batch ${inFlight[0].seq} (close ${code}${lastRelayError ? `, ${lastRelayError}` : ''}); it was replaced by a gap marker`);
        careful.active = false;
      } else if (inFlight.length > 1) {
        careful.active = true;
        careful.until = inFlight[inFlight.length - 1].seq;
      }
    }
    lastRelayError = '';
    if (code === CloseCode.UNSUPPORTED_VERSION) {
      fail(`the relay does not speak protocol v${PROTOCOL_VERSION}`);
      return;
    }
    if (code === CloseCode.RATE_LIMITED) attempt = Math.max(attempt, 4);
    if (mode === 'http') {
      later('probe', jitter(TRANSPORT_LIMITS.maxDelayMs), connect);
    } else if (socketFailures >= TRANSPORT_LIMITS.socketFailuresBeforeHttp) {
      useHttp(`${socketFailures} WebSocket connections to ${wsUrl} failed`);
    } else {
      setState('backoff');
      later('reconnect', backoff(), connect);
    }
  }

  function connect(): void {
    if (closed || suspended || ws) return;
    if (typeof WebSocket !== 'function') {
      useHttp('this browser has no WebSocket');
      return;
    }
    gen++;
    welcomed = false;
    stats.connects++;
    if (mode === 'ws') setState('connecting');
    let socket: IngestSocket;
    try {
      socket = openSocket(wsUrl);
    } catch (err) {
      useHttp(`WebSocket to ${wsUrl} could not be opened: ${describe(err)}`);
      return;
    }
    ws = socket;
    socket.onopen = safe('socket open', () => {
      if (socket !== ws) return;
      const hello: HelloMessage = {
        t: 'hello', v: PROTOCOL_VERSION, sessionId: o.sessionId, windowId: o.windowId, lastSeq: buffer.ackedThrough, meta: o.meta,
      };
      socket.send(JSON.stringify(hello));
    });
    socket.onmessage = safe('socket message', (ev: { data: unknown }) => onMessage(socket, ev.data));
    socket.onclose = safe('socket close', (ev: { code: number }) => onClose(socket, ev.code));
  }

  function useHttp(why: string): void {
    if (closed) return;
    if (typeof fetch !== 'function') {
      fail(`${why}, and this browser has no fetch`);
      return;
    }
    if (!saidHttp) {
      saidHttp = true;
      report(RecorderErrorCode.TRANSPORT, `${why}; sending over HTTP instead`);
    }
    mode = 'http';
    attempt = 0;
    setState('http');
    httpPump();
    later('probe', jitter(TRANSPORT_LIMITS.maxDelayMs), connect);
  }

  function httpPump(): void {
    if (closed || suspended || mode !== 'http' || httpBusy || timers.http) return;
    const b = buffer.batches[0];
    if (!b) return;
    httpBusy = true;
    b.sent = true;
    stats.sent++;
    void post(b, false).then(safe('HTTP post', (r: PostResult) => {
      httpBusy = false;
      if (closed) return;
      if (r.kind === 'ok') {
        metaNeeded = false;
        acked(r.ack);
        httpPump();
      } else if (r.kind === 'reject') {
        buffer.reject(b.seq);
        report(RecorderErrorCode.REJECTED, `the relay rejected batch ${b.seq} (HTTP ${r.status}); it was replaced by a gap marker`);
        httpPump();
      } else if (r.kind === 'forbidden') {
        fail(`the relay refused this page (HTTP ${r.status})`);
      } else if (r.kind === 'limit') {
        limitReached('HTTP 413');
      } else {
        later('http', Math.max(backoff(), r.afterMs), httpPump);
      }
    }));
  }

  function fail(why: string): void {
    report(RecorderErrorCode.TRANSPORT, `${why}; the recorder stops sending`);
    close();
    state = 'failed';
  }

  function limitReached(why: string): void {
    if (closed) return;
    const gap = buffer.limit();
    report(RecorderErrorCode.SESSION_LIMIT, `the relay takes no more of session ${o.sessionId} (${ErrorCode.SESSION_LIMIT}, ${why}): ${gap.dropped} undelivered events were replaced by a ${gap.reason} gap marker, and nothing more is sent for this session`);
    close();
    state = 'limited';
    o.onLimit();
  }

  function close(): void {
    if (closed) return;
    closed = true;
    state = 'closed';
    clearTimers();
    const socket = ws;
    ws = undefined;
    try {
      socket?.close(CloseCode.NORMAL);
    } catch { /* already closing */ }
  }

  return {
    start: safe('transport start', () => {
      if (buffer.limited) {
        close();
        state = 'limited';
      } else {
        connect();
      }
    }),
    notify: safe('transport send', () => {
      if (mode === 'http') httpPump();
      else pump();
      schedulePrecompress();
    }),
    unload: safe('beacon', () => {
      if (closed) return;
      for (const b of buffer.batches) {
        if (b.beaconed) continue;
        b.beaconed = true;
        b.sent = true;
        stats.sent++;
        const text = postBody(b);
        const cached = gzipped.get(b);
        const body: string | Blob = cached?.text === text && cached.bytes ? new Blob([cached.bytes], { type: 'text/plain' }) : text;
        const small = (typeof body === 'string' ? utf8Length(body) : body.size) <= TRANSPORT_LIMITS.beaconMaxBytes;
        let queued = false;
        try {
          queued = small && typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(httpUrl, body);
        } catch { /* fall through to fetch */ }
        if (!queued && typeof fetch === 'function') {
          void post(b, small).then(safe('unload post', (r: PostResult) => {
            if (r.kind === 'ok' && !closed) acked(r.ack);
            else if (r.kind === 'limit') limitReached('HTTP 413');
          }));
        }
      }
    }),
    suspend: safe('transport suspend', () => {
      if (closed || suspended) return;
      suspended = true;
      clearTimers(true);
      setState('suspended');
      const socket = ws;
      ws = undefined;
      welcomed = false;
      // Browsers accept only 1000 and 3000–4999 from a page (1001 throws): 1000, a normal close.
      socket?.close(CloseCode.NORMAL);
    }),
    resume: safe('transport resume', () => {
      if (closed || !suspended) return;
      suspended = false;
      attempt = 0;
      if (mode === 'http') useHttp('resumed');
      else connect();
    }),
    finish: safe('transport finish', (deadlineMs: number) => {
      if (closed) return;
      finishing = true;
      maybeFinished();
      if (closed) return;
      later('deadline', deadlineMs, () => {
        const left = buffer.batches.reduce((n, b) => n + b.count, 0);
        report(RecorderErrorCode.LOST, `${left} events of session ${o.sessionId} were not acknowledged before it ended`);
        close();
      });
    }),
    close: safe('transport close', close),
    stats: () => ({ state, mode, sent: stats.sent, connects: stats.connects }),
  };
}
