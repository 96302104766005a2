/**
 * A small typed client for a relay's REST and watch APIs. It runs in Node (pass `WebSocket`
 * from `ws` on Node 20) and in browsers, and is the only way the viewer and the extensions
 * talk to a relay.
 */
import type { AssetPolicy } from './asset-policy.ts';
import type {
  ErrorGroup, ErrorGroupDetail, ErrorGroupListResponse, ErrorOccurrence, SessionErrorsResponse, SettableErrorStatus,
} from './error-groups.ts';
import { ErrorCode, SentieroError } from './errors.ts';
import type {
  EventsMessage, ResumePoint, SessionListResponse, SessionSummary, StoredBatchLine, WatchClientMessage,
  WatchServerMessage,
} from './messages.ts';
import type { EraseRequest, ErasureReport, PruneReport, StorageStatus } from './privacy.ts';
import { parseJson, validateWatchServerMessage } from './validate.ts';

/** The part of the WebSocket API the client uses (browsers' `WebSocket` and `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

/** A constructor of `WebSocketLike`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of `createClient`. */
export interface ClientOptions {
  /** The relay's base URL, e.g. `http://localhost:3000/sentiero`. */
  baseUrl: string;
  /** The viewer token. */
  token: string;
  /** `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** `WebSocket` to use; defaults to the global one. */
  WebSocket?: WebSocketConstructor;
  /** First reconnect delay of the watch socket in ms (default 500), doubled up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay in ms (default 10000). */
  maxReconnectDelayMs?: number;
}

/** Filters of `listSessions`. */
export interface SessionFilters {
  /** Sessions whose last event is at or after this time (ms). */
  from?: number;
  /** Sessions that started at or before this time (ms). */
  to?: number;
  /** Only sessions whose pages contain this text. */
  url?: string;
  /** Only sessions with (true) or without (false) errors. */
  hasErrors?: boolean;
  /** Only sessions being recorded now. */
  live?: boolean;
  /** Only sessions at least this long (ms). */
  minDuration?: number;
  /** Only sessions in which the page identified this user. */
  user?: string;
  /** Page size (default 50, at most 500). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** Filters of `listErrorGroups`. */
export interface ErrorGroupFilters {
  /** Only groups with this status. */
  status?: ErrorGroup['status'];
  /** Only groups that happened in this session. */
  sessionId?: string;
  /** Only groups whose type, message or culprit contains this text (case-insensitive). */
  q?: string;
  /** Page size (default 50, at most 500). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** Callbacks of the errors feed. */
export interface ErrorFeedHandlers {
  /** A group appeared, or its status changed (by a person, or by a regression). */
  onGroup?(group: ErrorGroup): void;
  /** A new occurrence, with its group as it is after it. */
  onOccurrence?(occurrence: ErrorOccurrence, group: ErrorGroup): void;
}

/** Callbacks of a session subscription. */
export interface SessionHandlers {
  /** A stored batch, from the backlog or live, each exactly once and in seq order per window. */
  onEvents(message: EventsMessage): void;
  /** The backlog has been delivered; what follows is live. */
  onLive?(active: boolean): void;
  /** The session ended. */
  onEnd?(): void;
}

/** The state of the watch connection. */
export type WatchState = 'connecting' | 'open' | 'closed' | 'unauthorized';

/** A live connection to `<base>/watch` that re-subscribes (with resume points) after reconnecting. */
export interface Watch {
  /** Follows one session; returns a function that stops following it. */
  /**
   * Follows one session; returns a function that stops following it. `from` is where to resume
   * (window id → last seq already held, e.g. after reading the events over REST): batches up to
   * it are not sent again.
   */
  subscribe(sessionId: string, handlers: SessionHandlers, from?: ResumePoint): () => void;
  /** Follows the sessions feed; returns a function that stops following it. */
  onSession(fn: (session: SessionSummary) => void, onDeleted?: (sessionId: string) => void): () => void;
  /** Follows the errors feed (new groups, status changes, new occurrences); returns a function that stops following it. */
  onErrors(handlers: ErrorFeedHandlers): () => void;
  /** Called whenever the connection's state changes. */
  onState(fn: (state: WatchState, detail?: { code: number; reason: string }) => void): () => void;
  /** The current state. */
  readonly state: WatchState;
  /** Closes the connection for good. */
  close(): void;
}

/** The client's API. */
export interface Client {
  /** `GET <base>/api/sessions` with filters, newest first. */
  listSessions(filters?: SessionFilters): Promise<SessionListResponse>;
  /** `GET <base>/api/sessions/:id`. Throws `SENTIERO_NOT_FOUND` when unknown. */
  getSession(id: string): Promise<SessionSummary>;
  /** `GET <base>/api/sessions/:id/events`, yielded one stored batch at a time as it streams in. */
  getEvents(id: string): AsyncGenerator<StoredBatchLine>;
  /** `DELETE <base>/api/sessions/:id`. */
  deleteSession(id: string): Promise<void>;
  /** `GET <base>/api/sessions/:id/errors`: the session's error groups, in the order they first happened. */
  getSessionErrors(id: string): Promise<SessionErrorsResponse>;
  /** `GET <base>/api/errors` with filters, most recently seen first. */
  listErrorGroups(filters?: ErrorGroupFilters): Promise<ErrorGroupListResponse>;
  /** `GET <base>/api/errors/:id`: the group, its sessions and its recent occurrences (`occurrences`: how many, default 20, at most 100). Throws `SENTIERO_NOT_FOUND` when unknown. */
  getErrorGroup(id: string, options?: { occurrences?: number }): Promise<ErrorGroupDetail>;
  /** `PATCH <base>/api/errors/:id`: sets the status; resolves to the group as it is after. */
  setErrorStatus(id: string, status: SettableErrorStatus): Promise<ErrorGroup>;
  /** `POST <base>/api/erase`: erases a session, a user's sessions and errors, or the sessions of a time range; resolves to what went. */
  erase(request: EraseRequest): Promise<ErasureReport>;
  /** `POST <base>/api/prune`: applies retention and the disk quota now; resolves to what went. */
  prune(): Promise<PruneReport>;
  /** `GET <base>/api/storage`: the store's size and its bounds. */
  storage(): Promise<StorageStatus>;
  /** `GET <base>/api/assets/policy`: how the viewer loads a recording's remote assets. A relay without the route answers `block`. */
  getAssetPolicy(): Promise<AssetPolicy>;
  /** `GET <base>/api/sessions/:id/export.html`: the session as one self-contained HTML file, streamed, with the file name the relay suggests. */
  exportHtml(id: string): Promise<HtmlExport>;
  /** Opens the watch socket. */
  watch(): Watch;
}

/** A session's HTML export as it streams in. */
export interface HtmlExport {
  /** The file name from `Content-Disposition`, e.g. `sentiero-<id>.html`. */
  filename: string;
  body: ReadableStream<Uint8Array>;
}

function trimSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s;
}

const NEWLINE = 0x0a;

/**
 * The lines of an NDJSON body, parsed. Lines are cut on the bytes (a newline byte is never part
 * of a multi-byte UTF-8 character) and each is decoded on its own: a line is ready without
 * decoding the rest of its chunk, and lines of plain ASCII keep the decoder's fast path (a
 * whole chunk decoded at once takes the slow one as soon as it holds one other character).
 */
async function* ndjson(body: ReadableStream<Uint8Array>): AsyncGenerator<StoredBatchLine> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parse = (bytes: Uint8Array): StoredBatchLine | undefined => {
    const text = decoder.decode(bytes);
    return text.trim() ? (JSON.parse(text) as StoredBatchLine) : undefined;
  };
  // The start of a line that has not ended yet, in pieces.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const takePending = (tail: Uint8Array): Uint8Array => {
    const line = new Uint8Array(pendingBytes + tail.length);
    let at = 0;
    for (const part of pending) {
      line.set(part, at);
      at += part.length;
    }
    line.set(tail, at);
    pending = [];
    pendingBytes = 0;
    return line;
  };
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      let from = 0;
      for (let nl = value.indexOf(NEWLINE); nl >= 0; nl = value.indexOf(NEWLINE, from)) {
        const line = pendingBytes ? takePending(value.subarray(from, nl)) : value.subarray(from, nl);
        from = nl + 1;
        const parsed = parse(line);
        if (parsed) yield parsed;
      }
      if (from < value.length) {
        pending.push(value.subarray(from));
        pendingBytes += value.length - from;
      }
    }
    const last = pendingBytes ? parse(takePending(new Uint8Array(0))) : undefined;
    if (last) yield last;
  } finally {
    // A consumer that stops early (a viewer closed mid-load) ends the download too.
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A REST call to one relay with the viewer token: `request('/api/…', init)` resolves to the response, or throws a `SentieroError` with the relay's code and the HTTP status. */
export type RelayRequest = (path: string, init?: RequestInit) => Promise<Response>;

/** The REST calls of `createClient` (and of the viewer's analytics calls), for a base URL and token. */
export function createRelayRequest(baseUrl: string, token: string, fetchImpl?: typeof fetch): RelayRequest {
  const base = trimSlash(baseUrl);
  const doFetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
  const headers = { authorization: `Bearer ${token}` };
  return async (path, init = {}) => {
    const res = await doFetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    if (!res.ok) {
      let code: ErrorCode = ErrorCode.INTERNAL;
      let message = `${res.status} ${res.statusText}`;
      try {
        const body = (await res.json()) as { code?: ErrorCode; message?: string };
        if (body.code) code = body.code;
        if (body.message) message = body.message;
      } catch { /* not a JSON error body */ }
      throw new SentieroError(code, message, { status: res.status });
    }
    return res;
  };
}

/** Creates a client for one relay. */
export function createClient(options: ClientOptions): Client {
  const base = trimSlash(options.baseUrl);
  const request = createRelayRequest(base, options.token, options.fetch);

  return {
    async listSessions(filters = {}) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filters)) if (v !== undefined) q.set(k, String(v));
      const qs = q.toString();
      return (await (await request(`/api/sessions${qs ? `?${qs}` : ''}`)).json()) as SessionListResponse;
    },
    async getSession(id) {
      return (await (await request(`/api/sessions/${encodeURIComponent(id)}`)).json()) as SessionSummary;
    },
    async *getEvents(id) {
      const res = await request(`/api/sessions/${encodeURIComponent(id)}/events`);
      if (!res.body) return;
      yield* ndjson(res.body);
    },
    async deleteSession(id) {
      await request(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
    },
    async getSessionErrors(id) {
      return (await (await request(`/api/sessions/${encodeURIComponent(id)}/errors`)).json()) as SessionErrorsResponse;
    },
    async listErrorGroups(filters = {}) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filters)) if (v !== undefined) q.set(k, String(v));
      const qs = q.toString();
      return (await (await request(`/api/errors${qs ? `?${qs}` : ''}`)).json()) as ErrorGroupListResponse;
    },
    async getErrorGroup(id, options = {}) {
      const qs = options.occurrences === undefined ? '' : `?occurrences=${options.occurrences}`;
      return (await (await request(`/api/errors/${encodeURIComponent(id)}${qs}`)).json()) as ErrorGroupDetail;
    },
    async setErrorStatus(id, status) {
      const res = await request(`/api/errors/${encodeURIComponent(id)}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status }),
      });
      return (await res.json()) as ErrorGroup;
    },
    async erase(body) {
      const res = await request('/api/erase', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as ErasureReport;
    },
    async prune() {
      return (await (await request('/api/prune', { method: 'POST' })).json()) as PruneReport;
    },
    async storage() {
      return (await (await request('/api/storage')).json()) as StorageStatus;
    },
    async getAssetPolicy() {
      try {
        const body = (await (await request('/api/assets/policy')).json()) as Partial<AssetPolicy>;
        if (typeof body.key !== 'string') return { mode: 'block' };
        if (body.mode === 'proxy') return { mode: 'proxy', key: body.key };
        return body.captured === true ? { mode: 'block', key: body.key, captured: true } : { mode: 'block' };
      } catch (err) {
        if (err instanceof SentieroError && err.code === ErrorCode.NOT_FOUND) return { mode: 'block' };
        throw err;
      }
    },
    async exportHtml(id) {
      const res = await request(`/api/sessions/${encodeURIComponent(id)}/export.html`);
      const named = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
      if (!res.body) throw new SentieroError(ErrorCode.INTERNAL, 'the export had no body');
      return { filename: named && /^[\w.-]+$/.test(named) ? named : `sentiero-${id}.html`, body: res.body };
    },
    watch() {
      return createWatch(base, options);
    },
  };
}

interface SessionSub { handlers: Set<SessionHandlers>; resume: ResumePoint }

function createWatch(base: string, options: ClientOptions): Watch {
  const WSImpl = options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WSImpl) throw new TypeError('No WebSocket implementation: pass `WebSocket` (e.g. from the "ws" package) in the options');
  const WS: WebSocketConstructor = WSImpl;
  const url = `${base.replace(/^http/, 'ws')}/watch`;
  const firstDelay = options.reconnectDelayMs ?? 500;
  const maxDelay = options.maxReconnectDelayMs ?? 10_000;

  const sessions = new Map<string, SessionSub>();
  const sessionFeed = new Set<{ fn: (s: SessionSummary) => void; onDeleted?: (id: string) => void }>();
  const errorFeed = new Set<ErrorFeedHandlers>();
  const stateListeners = new Set<(state: WatchState, detail?: { code: number; reason: string }) => void>();
  let state: WatchState = 'connecting';
  let ws: WebSocketLike | undefined;
  let ready = false;
  let closed = false;
  let delay = firstDelay;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setState = (s: WatchState, detail?: { code: number; reason: string }) => {
    state = s;
    for (const fn of stateListeners) fn(s, detail);
  };
  const send = (m: WatchClientMessage) => {
    if (ws && ready) ws.send(JSON.stringify(m));
  };
  const subscribeMessage = (sessionId: string, sub: SessionSub): WatchClientMessage =>
    Object.keys(sub.resume).length ? { t: 'subscribe', sessionId, from: { ...sub.resume } } : { t: 'subscribe', sessionId };

  function connect() {
    if (closed) return;
    setState('connecting');
    ready = false;
    const socket = new WS(url);
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify({ t: 'auth', token: options.token }));
    socket.onmessage = (ev) => {
      const parsed = parseJson(String(ev.data));
      if (!parsed.ok) return;
      const checked = validateWatchServerMessage(parsed.value);
      if (!checked.ok) return;
      handle(checked.value);
    };
    socket.onerror = () => { /* onclose follows */ };
    socket.onclose = (ev) => {
      if (ws !== socket) return;
      ws = undefined;
      ready = false;
      if (closed) return setState('closed', ev);
      if (ev.code === 4001) {
        setState('unauthorized', ev);
        return;
      }
      setState('closed', ev);
      timer = setTimeout(connect, delay * (0.5 + Math.random() * 0.5));
      delay = Math.min(delay * 2, maxDelay);
    };
  }

  function handle(m: WatchServerMessage) {
    switch (m.t) {
      case 'ready':
        ready = true;
        delay = firstDelay;
        setState('open');
        if (sessionFeed.size) send({ t: 'subscribe', feed: 'sessions' });
        if (errorFeed.size) send({ t: 'subscribe', feed: 'errors' });
        for (const [id, sub] of sessions) send(subscribeMessage(id, sub));
        break;
      case 'events': {
        const sub = sessions.get(m.sessionId);
        if (!sub) return;
        if ((sub.resume[m.windowId] ?? 0) >= m.seq) return;
        sub.resume[m.windowId] = m.seq;
        for (const h of sub.handlers) h.onEvents(m);
        break;
      }
      case 'live': for (const h of sessions.get(m.sessionId)?.handlers ?? []) h.onLive?.(m.active); break;
      case 'end': for (const h of sessions.get(m.sessionId)?.handlers ?? []) h.onEnd?.(); break;
      case 'session': for (const f of sessionFeed) f.fn(m.session); break;
      case 'session-deleted': for (const f of sessionFeed) f.onDeleted?.(m.sessionId); break;
      case 'error-group': for (const f of errorFeed) f.onGroup?.(m.group); break;
      case 'error-occurrence': for (const f of errorFeed) f.onOccurrence?.(m.occurrence, m.group); break;
      case 'error': break;
    }
  }

  connect();

  return {
    get state() { return state; },
    subscribe(sessionId, handlers, from) {
      let sub = sessions.get(sessionId);
      if (!sub) {
        sub = { handlers: new Set(), resume: { ...from } };
        sessions.set(sessionId, sub);
        send(subscribeMessage(sessionId, sub));
      }
      sub.handlers.add(handlers);
      return () => {
        const s = sessions.get(sessionId);
        if (!s) return;
        s.handlers.delete(handlers);
        if (!s.handlers.size) {
          sessions.delete(sessionId);
          send({ t: 'unsubscribe', sessionId });
        }
      };
    },
    onSession(fn, onDeleted) {
      const entry = onDeleted ? { fn, onDeleted } : { fn };
      if (!sessionFeed.size) send({ t: 'subscribe', feed: 'sessions' });
      sessionFeed.add(entry);
      return () => {
        sessionFeed.delete(entry);
        if (!sessionFeed.size) send({ t: 'unsubscribe', feed: 'sessions' });
      };
    },
    onErrors(handlers) {
      const entry = { ...handlers };
      if (!errorFeed.size) send({ t: 'subscribe', feed: 'errors' });
      errorFeed.add(entry);
      return () => {
        errorFeed.delete(entry);
        if (!errorFeed.size) send({ t: 'unsubscribe', feed: 'errors' });
      };
    },
    onState(fn) {
      stateListeners.add(fn);
      return () => stateListeners.delete(fn);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      ws?.close(1000);
      setState('closed');
    },
  };
}
