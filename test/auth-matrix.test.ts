/**
 * Authorization matrix: every route of the relay, with the credential it takes, answers 401/403
 * (or closes its socket with 4001/4002) without it or with a wrong one, and works with the right
 * one. The route list is the table below; the probe at the end derives the routes from the relay
 * itself (every path built from the words in relay/src, over HTTP and as a WebSocket upgrade) and
 * fails when the relay answers one that the table does not list.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode, createId } from '@sentiero/protocol';
import { Inbox, type TestRelay, startRelay } from './helpers/relay.ts';

/** Who may use a route: anyone; a page of an allowed origin; the viewer token; the ingest key. */
type Credential = 'none' | 'origin' | 'viewer' | 'ingest-key';

/** One route: `:session`, `:group`, `:project` and `:file` stand for an existing session, error group, Sentry project and asset. */
interface Route {
  method: string;
  path: string;
  credential: Credential;
  /** The status of a right request (for a WebSocket: 101). */
  ok: number;
  /** The body of a right request. */
  body?: () => string;
  /** A WebSocket route. */
  ws?: boolean;
}

const report = () => JSON.stringify({ name: 'TypeError', message: 'matrix' });
const sentryEvent = () => JSON.stringify({ event_id: 'c'.repeat(32), platform: 'node', exception: { values: [{ type: 'Error', value: 'matrix' }] } });
const batch = (sessionId: string, seq = 1) => JSON.stringify({
  sessionId, windowId: 'w-matrix', seq, events: [{ type: 4, timestamp: 1_700_000_000_000, data: { href: 'http://x.test/', width: 1, height: 1 } }],
  meta: { url: 'http://x.test/', userAgent: 'matrix', startedAt: 1_700_000_000_000 },
});
let seqs = 100;

/** Every route of the relay under its base path. */
const ROUTES: Route[] = [
  { method: 'GET', path: '', credential: 'none', ok: 301 },
  { method: 'GET', path: '/', credential: 'none', ok: 200 },
  { method: 'GET', path: '/assets/:file', credential: 'none', ok: 200 },
  { method: 'GET', path: '/health', credential: 'none', ok: 200 },
  { method: 'GET', path: '/recorder.js', credential: 'none', ok: 200 },
  { method: 'GET', path: '/recorder.js.map', credential: 'none', ok: 200 },
  { method: 'OPTIONS', path: '/ingest', credential: 'none', ok: 204 },
  { method: 'POST', path: '/ingest', credential: 'origin', ok: 200, body: () => batch('s-matrix-post', ++seqs) },
  { method: 'GET', path: '/ingest', credential: 'origin', ok: 101, ws: true },
  { method: 'GET', path: '/watch', credential: 'viewer', ok: 101, ws: true },
  { method: 'OPTIONS', path: '/api/sessions', credential: 'none', ok: 204 },
  { method: 'GET', path: '/api/sessions', credential: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/sessions/:session', credential: 'viewer', ok: 200 },
  { method: 'DELETE', path: '/api/sessions/:session', credential: 'viewer', ok: 204 },
  { method: 'GET', path: '/api/sessions/:session/events', credential: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/sessions/:session/errors', credential: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/errors', credential: 'viewer', ok: 200 },
  { method: 'GET', path: '/api/errors/:group', credential: 'viewer', ok: 200 },
  { method: 'PATCH', path: '/api/errors/:group', credential: 'viewer', ok: 200, body: () => JSON.stringify({ status: 'resolved' }) },
  // Analytics: the probe finds /api/segments; every /api/analytics/* route is checked in relay/test/analytics.test.ts.
  { method: 'GET', path: '/api/segments', credential: 'viewer', ok: 200 },
  { method: 'POST', path: '/api/segments', credential: 'viewer', ok: 201, body: () => JSON.stringify({ name: 'matrix', filter: {} }) },
  { method: 'POST', path: '/api/errors', credential: 'ingest-key', ok: 200, body: report },
  { method: 'POST', path: '/api/sourcemaps', credential: 'ingest-key', ok: 201, body: () => JSON.stringify({ file: '/a.js', map: { version: 3, sources: [], names: [], mappings: '' } }) },
  { method: 'POST', path: '/api/:project/envelope/', credential: 'ingest-key', ok: 200, body: () => `{}\n{"type":"event"}\n${sentryEvent()}\n` },
  { method: 'POST', path: '/api/:project/store/', credential: 'ingest-key', ok: 200, body: sentryEvent },
];

const TOKEN = 'test-viewer-token-0123456789';
const KEY = 'test_ingest_key_0123456789';
const WRONG = 'wrong_secret_0123456789abcdef';
const FOREIGN = 'http://evil.test';

describe('authorization matrix: every route with and without its credential', function () {
  this.timeout(120_000);
  let t: TestRelay;
  const ids = { session: '', deletable: '', group: '', project: '1', file: 'dashboard.js' };

  before(async () => {
    t = await startRelay({ limits: { maxErrorsPerSecond: 100_000, maxMessagesPerSecond: 100_000, authTimeoutMs: 300 } });
    ids.session = createId();
    ids.deletable = createId();
    for (const id of [ids.session, ids.deletable]) {
      assert.equal((await fetch(`${t.base}/ingest`, { method: 'POST', body: batch(id) })).status, 200);
    }
    const ack = await fetch(`${t.base}/api/errors`, { method: 'POST', headers: { 'x-sentiero-key': KEY }, body: report() });
    ids.group = ((await ack.json()) as { groupId: string }).groupId;
  });
  after(() => t?.close());

  const fill = (r: Route) => r.path
    .replace(':session', r.method === 'DELETE' ? ids.deletable : ids.session)
    .replace(':group', ids.group).replace(':project', ids.project).replace(':file', ids.file);

  /** A request to a route with the given headers; the body of a right request. */
  const request = (r: Route, headers: Record<string, string>) =>
    fetch(`${t.base}${fill(r)}`, { method: r.method, headers, body: r.body?.(), redirect: 'manual' });

  /** Opens a WebSocket on a route; resolves to the HTTP status of a refused upgrade, or the open socket. */
  const upgrade = (r: Route, headers: Record<string, string>): Promise<number | WebSocket> => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}${t.relay.basePath}${fill(r)}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume(); });
    ws.once('error', reject);
  });

  /** Asserts a refused request: the status and the coded body. */
  async function refused(res: Response, status: number, code: string, what: string) {
    assert.equal(res.status, status, `${what}: ${res.status} ${await res.clone().text()}`);
    assert.equal(((await res.json()) as { code: string }).code, code, what);
  }

  // Deletion goes last, so that the other routes find the session.
  for (const r of [...ROUTES].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))) {
    it(`${r.method} ${r.path || '(base)'} takes ${r.credential}`, async () => {
      const name = `${r.method} ${r.path}`;
      if (r.ws && r.credential === 'origin') {
        assert.equal(await upgrade(r, { origin: FOREIGN }), 403, `${name} from a foreign origin`);
        const ws = await upgrade(r, { origin: t.origin });
        assert.ok(ws instanceof WebSocket, `${name} from the relay's own origin opens`);
        ws.close();
        return;
      }
      if (r.ws) {
        for (const [first, code] of [[undefined, CloseCode.AUTH_REQUIRED], [{ t: 'auth', token: WRONG }, CloseCode.UNAUTHORIZED], [{ t: 'subscribe', feed: 'sessions' }, CloseCode.AUTH_REQUIRED]] as const) {
          const inbox = new Inbox(await upgrade(r, {}) as WebSocket);
          if (first) inbox.send(first);
          assert.equal((await inbox.closedWith()).code, code, `${name} with ${JSON.stringify(first)}`);
        }
        const inbox = new Inbox(await upgrade(r, {}) as WebSocket);
        inbox.send({ t: 'auth', token: TOKEN });
        await inbox.next((m) => m.t === 'ready');
        inbox.ws.close();
        return;
      }
      if (r.credential === 'origin') {
        await refused(await request(r, { origin: FOREIGN }), 403, ErrorCode.ORIGIN_NOT_ALLOWED, `${name} from a foreign origin`);
        assert.equal((await request(r, { origin: t.origin })).status, r.ok, `${name} from the relay's own origin`);
        return;
      }
      if (r.credential === 'viewer') {
        await refused(await request(r, {}), 401, ErrorCode.UNAUTHORIZED, `${name} without a token`);
        await refused(await request(r, { authorization: `Bearer ${WRONG}` }), 401, ErrorCode.UNAUTHORIZED, `${name} with a wrong token`);
        await refused(await request(r, { authorization: `Bearer ${KEY}` }), 401, ErrorCode.UNAUTHORIZED, `${name} with the ingest key`);
        assert.equal((await request(r, { authorization: `Bearer ${TOKEN}` })).status, r.ok, `${name} with the viewer token`);
        return;
      }
      if (r.credential === 'ingest-key') {
        await refused(await request(r, {}), 401, ErrorCode.UNAUTHORIZED, `${name} without a key`);
        await refused(await request(r, { 'x-sentiero-key': WRONG }), 403, ErrorCode.FORBIDDEN, `${name} with a wrong key`);
        await refused(await request(r, { authorization: `Bearer ${TOKEN}` }), 403, ErrorCode.FORBIDDEN, `${name} with the viewer token`);
        assert.equal((await request(r, { 'x-sentiero-key': KEY })).status, r.ok, `${name} with the ingest key`);
        return;
      }
      assert.equal((await request(r, {})).status, r.ok, `${name} needs no credential`);
    });
  }

  it('lists every route the relay answers (probed with every word of relay/src as a path segment)', async () => {
    const words = vocabulary();
    const found = new Set<string>();
    // A path's shape: any id in it as `:id` (the relay tells a session id from a group id only by looking it up).
    const template = (p: string) => p
      .replace(ids.session, ':id').replace(ids.group, ':id')
      .replace(/^\/api\/1\/([^/]+)\/?$/, '/api/:project/$1/').replace(/^\/assets\/[^/]+$/, '/assets/:file');
    // With both credentials, so that only a path the relay does not know answers 404 (a known path with another method: 405).
    const headers = { authorization: `Bearer ${TOKEN}`, 'x-sentiero-key': KEY };
    const answers = async (p: string) => {
      // POST too under /api/, where routes may take only POST (elsewhere a POST-only route answers GET with 405).
      for (const method of p.startsWith('/api/') ? ['GET', 'POST'] : ['GET']) {
        if ((await status(t, method, p, headers)) !== 404) return true;
      }
      return false;
    };
    const candidates = ['', '/', ...words.flatMap((w) => [
      `/${w}`, `/${w}/${ids.file}`, `/api/${w}`, `/api/${w}/${ids.session}`, `/api/1/${w}`,
    ])];
    for (let i = 0; i < candidates.length; i += 64) {
      await Promise.all(candidates.slice(i, i + 64).map(async (p) => { if (await answers(p)) found.add(template(p)); }));
    }
    // One level deeper under every resource that answered.
    const parents = [...found].filter((p) => p.endsWith(':id')).flatMap((p) => [p.replace(':id', ids.session), p.replace(':id', ids.group)]);
    const deeper = [...new Set(parents)].flatMap((p) => words.map((w) => `${p}/${w}`));
    for (let i = 0; i < deeper.length; i += 64) {
      await Promise.all(deeper.slice(i, i + 64).map(async (p) => { if (await answers(p)) found.add(template(p)); }));
    }
    // WebSocket routes: the relay says itself which upgrades it takes.
    for (const w of words) {
      const sink = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
      const req = { url: `${t.relay.basePath}/${w}`, method: 'GET', headers: { origin: FOREIGN, host: `127.0.0.1:${t.port}` }, socket: sink } as unknown as IncomingMessage;
      if (t.relay.handleUpgrade(req, sink, Buffer.alloc(0))) found.add(`ws /${w}`);
      sink.destroy();
    }
    const listed = new Set(ROUTES.map((r) => (r.ws ? `ws ${r.path}` : r.path.replace(/:session|:group/, ':id'))));
    const unlisted = [...found].filter((p) => !listed.has(p));
    assert.deepEqual(unlisted, [], 'routes the relay answers that the matrix does not list: add them to ROUTES with their credential');
    const unseen = [...listed].filter((p) => !found.has(p));
    assert.deepEqual(unseen, [], 'routes the matrix lists that the probe did not find (the probe has lost its way)');
  });
});

/**
 * The status the relay's own request handler answers with (in process, without a network hop:
 * the probe sends thousands of requests). The body, if any, is empty.
 */
function status(t: TestRelay, method: string, pathname: string, headers: Record<string, string>): Promise<number> {
  const req = new IncomingMessage(new Socket());
  Object.assign(req, { method, url: `${t.relay.basePath}${pathname}`, headers: { host: `127.0.0.1:${t.port}`, ...headers } });
  req.push(null);
  const res = new ServerResponse(req);
  // Answered once the head is written; then the response is closed (a body would wait for a socket that is not there).
  return new Promise((resolve) => {
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((code: number, ...rest: unknown[]) => {
      resolve(code);
      setImmediate(() => res.emit('close'));
      return (writeHead as (...a: unknown[]) => ServerResponse)(code, ...rest);
    }) as typeof res.writeHead;
    const destroy = res.destroy.bind(res);
    res.destroy = ((err?: Error) => {
      resolve(res.statusCode);
      return destroy(err);
    }) as typeof res.destroy;
    t.relay.handler(req, res);
  });
}

/** Every word that could be a path segment in the relay's source: the parts of its string literals. */
function vocabulary(): string[] {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../relay/src');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const words = new Set<string>();
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/'([^'\n]*)'|"([^"\n]*)"|`([^`]*)`/g)) {
      for (const part of (m[1] ?? m[2] ?? m[3]!).split(/[/\s]/)) if (/^[A-Za-z0-9._-]{1,40}$/.test(part) && !/^\.+$/.test(part)) words.add(part);
    }
  }
  return [...words];
}
