/**
 * A fake relay for the recorder's browser tests: one HTTP server on 127.0.0.1 that serves
 * test pages and the built IIFE at `/sentiero/recorder.js`, answers `POST /sentiero/ingest`,
 * and plays the relay's ingest socket with a real `ws` server. Every message is checked with
 * the protocol's validators; behaviour (acks, refusals, failures) is switched per test.
 */
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  DEFAULT_RECORDER_CONFIG, EventType, validateIngestClientMessage, validateIngestPost,
  type HelloMessage, type IngestPost, type RecordedEvent, type RecorderConfig,
} from '@sentiero/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser.ts';
import { listen } from '../../test/helpers/net.ts';

const recorderDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const iifePath = path.join(recorderDir, 'dist', 'recorder.iife.js');

/** Builds `dist/recorder.iife.js` from `build.config.js`, as `node scripts/build.js recorder` does. */
export async function buildRecorder(): Promise<void> {
  const { default: targets } = (await import(path.join(recorderDir, 'build.config.js'))) as { default: Record<string, unknown>[] };
  await Promise.all(targets.map((t) => build({ logLevel: 'warning', absWorkingDir: recorderDir, ...t })));
}

/** One ingest socket as the fake relay saw it. */
export interface Connection {
  socket: WebSocket;
  hello?: HelloMessage;
  /** Seqs of the batches received on this socket, in arrival order. */
  seqs: number[];
  closed: boolean;
  /** The close code, once closed (as the relay's side saw it). */
  closeCode?: number;
}

/** A stored batch. */
export interface StoredBatch {
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
  via: 'ws' | 'http';
}

/** What the fake relay does; tests change it on the fly. */
export interface Behaviour {
  /** Acknowledge batches on sockets (default true). */
  ack: boolean;
  /** Answer upgrades with 403 (default false). */
  refuseUpgrade: boolean;
  /** Accept the upgrade, then close before `welcome` (default false). */
  closeBeforeWelcome: boolean;
  /** Status of `POST /ingest` answers (default 200). */
  httpStatus: number;
  /** Batching advice in `welcome`. */
  config: RecorderConfig;
  /** A batch whose text contains this is answered with `error` + close 4413 and not stored. */
  poison?: string;
  /** Once a window has this many batches stored, further batches are refused as the relay does at a session cap: `error` + close 4410 on the socket, 413 `SENTIERO_SESSION_LIMIT` over HTTP. */
  sessionLimit?: number;
  /** Close every socket with this code right after its `hello`, before `welcome`. */
  closeAfterHello?: number;
}

/** A request the page made to the harness, other than the relay's own endpoints. */
export interface PageRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The default test page: inputs, blocked and masked content, the recorder and a start call configured by the query string. */
export const TEST_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Sentiero test page</title></head>
<body>
  <h1>Hello Sentiero</h1>
  <p id="visible">VISIBLE-CONTENT-7781</p>
  <input id="text" type="text"> <input id="pw" type="password">
  <div data-rr-block id="blocked">BLOCKED-CONTENT-5521</div>
  <div class="rr-block">CLASS-BLOCKED-3312</div>
  <div data-rr-mask id="masked">MASKED-CONTENT-9043</div>
  <a id="next" href="/page2">next</a>
  <div id="grow"></div>
  <script src="/sentiero/recorder.js"></script>
  <script>
    var q = new URLSearchParams(location.search);
    var opts = JSON.parse(q.get('opts') || '{}');
    window.__errors = [];
    opts.onError = q.get('onError') === 'throw'
      ? function (e) { window.__errors.push(e.code); throw new Error('onError throws'); }
      : function (e) { window.__errors.push(e.code + ' ' + e.message); };
    if (q.get('start') !== 'no') window.__started = Sentiero.start(opts);
  </script>
</body></html>`;

/** The fake relay and page server. */
export interface Harness {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `http://127.0.0.1:<port>/sentiero`. */
  readonly relay: string;
  readonly behaviour: Behaviour;
  readonly connections: Connection[];
  /** Upgrade requests on `/sentiero/ingest`, accepted or not. */
  readonly upgrades: number[];
  /** `POST /sentiero/ingest` bodies, as received (parsed), with their time, their size on the wire, whether they were gzip and, if so, the header's compression flag (`xfl`: 2 at zlib's best level). */
  readonly posts: (IngestPost & { at: number; wireBytes: number; gzip: boolean; xfl?: number })[];
  /** App routes by path (answered before pages; also seen in `requests`). */
  readonly routes: Map<string, AppRoute>;
  /** Messages received on the app's own echo socket (`/app-socket`). */
  readonly appSocketMessages: string[];
  /** Raw text of everything the recorder sent (frames and bodies), for privacy checks. */
  readonly raw: string[];
  readonly stored: StoredBatch[];
  /** Extra pages by path. */
  readonly pages: Map<string, string>;
  /** Every other request the pages made (page loads, the app's own fetch and XHR), with its headers. */
  readonly requests: PageRequest[];
  /** The highest contiguous stored seq of a window. */
  ackedSeq(sessionId: string, windowId: string): number;
  /** Stored batches of a window in seq order (duplicates removed). */
  batches(sessionId: string, windowId: string): StoredBatch[];
  /** Every stored event of a window, in seq order. */
  events(sessionId: string, windowId: string): RecordedEvent[];
  /** Sends `ack` for every batch received on open sockets and not acknowledged yet. */
  ackAll(): void;
  /** Forgets stored batches with seq > `keep` of a window (as if they never arrived). */
  forgetAfter(sessionId: string, windowId: string, keep: number): void;
  close(): Promise<void>;
}

const key = (s: string, w: string): string => `${s}/${w}`;

function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An app route of a test page: answers the request itself. */
export type AppRoute = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** Starts the fake relay on a free port. */
export async function startHarness(): Promise<Harness> {
  const iife = await readFile(iifePath, 'utf8');
  const behaviour: Behaviour = {
    ack: true, refuseUpgrade: false, closeBeforeWelcome: false, httpStatus: 200, config: { ...DEFAULT_RECORDER_CONFIG, flushIntervalMs: 200 },
  };
  const connections: Connection[] = [];
  const upgrades: number[] = [];
  const posts: (IngestPost & { at: number; wireBytes: number; gzip: boolean; xfl?: number })[] = [];
  const routes = new Map<string, AppRoute>();
  const appSocketMessages: string[] = [];
  const appWss = new WebSocketServer({ noServer: true });
  appWss.on('connection', (socket: WebSocket) => socket.on('message', (data) => {
    appSocketMessages.push(String(data));
    socket.send(String(data));
  }));
  const raw: string[] = [];
  const stored: StoredBatch[] = [];
  const pages = new Map<string, string>();
  const requests: PageRequest[] = [];
  const unacked = new Map<Connection, number[]>();
  const store = new Map<string, Map<number, StoredBatch>>();

  const put = (b: StoredBatch): void => {
    stored.push(b);
    const k = key(b.sessionId, b.windowId);
    if (!store.has(k)) store.set(k, new Map());
    const m = store.get(k)!;
    if (!m.has(b.seq)) m.set(b.seq, b);
  };
  const ackedSeq = (s: string, w: string): number => {
    const m = store.get(key(s, w));
    let n = 0;
    while (m?.has(n + 1)) n++;
    return n;
  };

  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (socket: WebSocket) => {
    const conn: Connection = { socket, seqs: [], closed: false };
    connections.push(conn);
    unacked.set(conn, []);
    socket.on('close', (code: number) => {
      conn.closed = true;
      conn.closeCode = code;
    });
    if (behaviour.closeBeforeWelcome) {
      socket.close(1011, 'test: closing before welcome');
      return;
    }
    socket.on('message', (data) => {
      const text = String(data);
      raw.push(text);
      const checked = validateIngestClientMessage(JSON.parse(text));
      if (!checked.ok) {
        socket.send(JSON.stringify({ t: 'error', code: checked.code, message: checked.message }));
        socket.close(4401, 'invalid');
        return;
      }
      const m = checked.value;
      if (m.t === 'hello') {
        conn.hello = m;
        if (behaviour.closeAfterHello) {
          socket.close(behaviour.closeAfterHello, 'test: closing after hello');
          return;
        }
        socket.send(JSON.stringify({ t: 'welcome', ackedSeq: ackedSeq(m.sessionId, m.windowId), config: behaviour.config }));
        return;
      }
      if (!conn.hello) throw new Error('batch before hello');
      if (behaviour.poison && text.includes(behaviour.poison)) {
        socket.send(JSON.stringify({ t: 'error', code: 'SENTIERO_PAYLOAD_TOO_LARGE', message: 'test: poison batch' }));
        socket.close(4413, 'poison');
        return;
      }
      if (behaviour.sessionLimit !== undefined && batches(conn.hello.sessionId, conn.hello.windowId).length >= behaviour.sessionLimit) {
        socket.send(JSON.stringify({ t: 'error', code: 'SENTIERO_SESSION_LIMIT', message: 'test: session cap' }));
        socket.close(4410, 'session limit');
        return;
      }
      conn.seqs.push(m.seq);
      put({ sessionId: conn.hello.sessionId, windowId: conn.hello.windowId, seq: m.seq, events: m.events, via: 'ws' });
      if (behaviour.ack) socket.send(JSON.stringify({ t: 'ack', seq: m.seq }));
      else unacked.get(conn)!.push(m.seq);
    });
  });

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/sentiero/recorder.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        res.end(iife);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/sentiero/ingest') {
        const bytes = await readBodyBytes(req);
        const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
        const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
        raw.push(text);
        const checked = validateIngestPost(JSON.parse(text));
        if (!checked.ok) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ t: 'error', code: checked.code, message: checked.message }));
          return;
        }
        posts.push({ ...checked.value, at: Date.now(), wireBytes: bytes.length, gzip, ...(gzip ? { xfl: bytes[8] } : {}) });
        if (behaviour.sessionLimit !== undefined && batches(checked.value.sessionId, checked.value.windowId).length >= behaviour.sessionLimit) {
          res.writeHead(413, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ t: 'error', code: 'SENTIERO_SESSION_LIMIT', message: 'test: session cap' }));
          return;
        }
        if (behaviour.httpStatus !== 200) {
          res.writeHead(behaviour.httpStatus, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ t: 'error', code: 'SENTIERO_STORE_FAILED', message: 'test: failing' }));
          return;
        }
        put({ sessionId: checked.value.sessionId, windowId: checked.value.windowId, seq: checked.value.seq, events: checked.value.events, via: 'http' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ack: checked.value.seq }));
        return;
      }
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers });
      const route = routes.get(url.pathname);
      if (route) {
        route(req, res, await readBodyBytes(req));
        return;
      }
      const page = pages.get(url.pathname) ?? (url.pathname === '/page' || url.pathname === '/page2' ? TEST_PAGE : undefined);
      if (req.method === 'GET' && page) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(page);
        return;
      }
      res.writeHead(404).end();
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/app-socket') {
      appWss.handleUpgrade(req, socket, head, (ws) => appWss.emit('connection', ws, req));
      return;
    }
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/sentiero/ingest') {
      socket.destroy();
      return;
    }
    upgrades.push(Date.now());
    if (behaviour.refuseUpgrade) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const batches = (s: string, w: string): StoredBatch[] => [...(store.get(key(s, w))?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;

  return {
    port, origin, relay: `${origin}/sentiero`, behaviour, connections, upgrades, posts, raw, stored, pages, requests, routes, appSocketMessages,
    ackedSeq,
    batches,
    events(s, w) {
      return batches(s, w).flatMap((b) => b.events);
    },
    ackAll() {
      for (const [conn, seqs] of unacked) {
        if (!conn.closed) for (const seq of seqs) conn.socket.send(JSON.stringify({ t: 'ack', seq }));
        seqs.length = 0;
      }
    },
    forgetAfter(s, w, keep) {
      const m = store.get(key(s, w));
      for (const seq of [...(m?.keys() ?? [])]) if (seq > keep) m!.delete(seq);
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const c of appWss.clients) c.terminate();
      appWss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether an event is a full snapshot. */
export const isFullSnapshot = (e: RecordedEvent): boolean => e.type === EventType.FullSnapshot;

/** The custom events with `tag` among `events`. */
export function customEvents(events: RecordedEvent[], tag: string): { payload: Record<string, unknown>; index: number }[] {
  const out: { payload: Record<string, unknown>; index: number }[] = [];
  events.forEach((e, index) => {
    const d = e.data as { tag?: string; payload?: Record<string, unknown> } | undefined;
    if (e.type === EventType.Custom && d?.tag === tag) out.push({ payload: d.payload ?? {}, index });
  });
  return out;
}

let built: Promise<void> | undefined;

/** Builds the IIFE once per test run. */
export function ensureBuilt(): Promise<void> {
  built ??= buildRecorder();
  return built;
}

/** The query string of the test page for these options. */
export function pageQuery(opts: Record<string, unknown> = {}, extra: Record<string, string> = {}): string {
  return `?${new URLSearchParams({ opts: JSON.stringify(opts), ...extra }).toString()}`;
}

/** What the page publishes while recording. */
export interface PageGlobal { sessionId: string; windowId: string; relay: string }

/** What `usePage` gives each test: a fresh fake relay, browser context and page. */
export interface PageEnv {
  h: Harness;
  context: BrowserContext;
  page: Page;
  /** Errors thrown in the test's pages (the recorder must never throw into a page). */
  pageErrors: Error[];
}

/**
 * Registers the hooks every recorder browser test shares: the bundle built and Chromium up
 * once, a fresh fake relay, context and page per test, and (unless `allowPageErrors`) a
 * check after each test that no error reached any of its pages.
 */
export function usePage(options: { allowPageErrors?: boolean } = {}): PageEnv {
  let browser: Browser;
  const env = {} as PageEnv;
  before(async () => {
    await ensureBuilt();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    env.h = await startHarness();
    env.context = await browser.newContext();
    env.pageErrors = [];
    env.context.on('page', (p) => p.on('pageerror', (err) => env.pageErrors.push(err)));
    env.page = await env.context.newPage();
  });
  afterEach(async () => {
    await env.context?.close();
    await env.h?.close();
    if (!options.allowPageErrors) assert.deepEqual(env.pageErrors.map(String), [], 'no error reached the page');
  });
  return env;
}
