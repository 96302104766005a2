/**
 * Named tokens and roles, the dashboard's sign-in cookie and request token, and the audit
 * log, through a real relay on 127.0.0.1 with its LevelDB on disk.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CloseCode, ErrorCode, createId } from '@sentiero/protocol';
import { createRelay } from '@sentiero/relay';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const ADMIN = 'test-viewer-token-0123456789';
const VIEWER = 'access-viewer-token-0123456789';
const HASHED = 'access-hashed-token-0123456789';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const batch = (sessionId: string) => JSON.stringify({
  sessionId, windowId: 'w-access', seq: 1, events: [{ type: 4, timestamp: 1_700_000_000_000, data: { href: 'http://x.test/', width: 1, height: 1 } }],
  meta: { url: 'http://x.test/', userAgent: 'access', startedAt: 1_700_000_000_000 },
});

async function code(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code;
}

/** Signs in with a token; the cookies (as a `Cookie` header) and the request token. */
async function signIn(t: TestRelay, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.base}/api/login`, { method: 'POST', body: JSON.stringify({ token }), headers });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { name: string; role: string; csrf: string };
  const setCookies = res.headers.getSetCookie();
  const cookie = setCookies.map((c) => c.split(';')[0]).join('; ');
  return { body, setCookies, cookie };
}

describe('access: tokens, roles, sign-in and audit', function () {
  this.timeout(60_000);
  let t: TestRelay;
  const logged: string[] = [];

  beforeEach(async () => {
    logged.length = 0;
    const line = (m: string, err?: unknown) => { logged.push(`${m} ${String(err ?? '')}`); };
    t = await startRelay({
      tokens: [{ name: 'reader', role: 'viewer', token: VIEWER }, { name: 'ops', role: 'admin', hash: sha256(HASHED) }],
      logger: { info: line, warn: line, error: line },
    });
  });
  afterEach(() => t?.close());

  it('gives each token its role: a viewer reads, an admin also erases; a token given only as a hash works', async () => {
    const id = createId();
    assert.equal((await fetch(`${t.base}/ingest`, { method: 'POST', body: batch(id) })).status, 200);
    assert.equal((await t.api('/api/sessions', { token: VIEWER })).status, 200);
    const denied = await t.api(`/api/sessions/${id}`, { method: 'DELETE', token: VIEWER });
    assert.equal(denied.status, 403);
    assert.equal(await code(denied), ErrorCode.ROLE_REQUIRED);
    assert.equal((await t.api(`/api/sessions/${id}`, { method: 'DELETE', token: HASHED })).status, 204);
    assert.deepEqual(await (await t.api('/api/me', { token: HASHED })).json(), { name: 'ops', role: 'admin', via: 'bearer' });
  });

  it('creates a token shown once, keeps only its hash, lists it without it, and revokes it', async () => {
    const created = await t.api('/api/tokens', { method: 'POST', body: JSON.stringify({ name: 'ci', role: 'viewer' }) });
    assert.equal(created.status, 201);
    const { token } = (await created.json()) as { token: string };
    assert.ok(token.length >= 32);
    assert.equal((await t.api('/api/sessions', { token })).status, 200);
    const stored = await t.relay.store.listTokens();
    assert.deepEqual(stored.map((s) => [s.name, s.role, s.hash]), [['ci', 'viewer', sha256(token)]]);
    const listed = JSON.stringify(await (await t.api('/api/tokens')).json());
    assert.ok(!listed.includes(token) && !listed.includes(sha256(token)), 'the list shows neither the token nor its hash');
    assert.deepEqual(((await (await t.api('/api/tokens')).json()) as { tokens: { name: string; source: string }[] }).tokens.map((x) => `${x.name}:${x.source}`),
      ['default:options', 'reader:options', 'ops:options', 'ci:api']);
    const again = await t.api('/api/tokens', { method: 'POST', body: JSON.stringify({ name: 'reader' }) });
    assert.equal(again.status, 409);
    assert.equal(await code(again), ErrorCode.CONFLICT);
    assert.equal((await t.api('/api/tokens/reader', { method: 'DELETE' })).status, 409, 'a token of the options is revoked by removing it there');

    const watcher = new Inbox(await t.socket('/watch'));
    watcher.send({ t: 'auth', token });
    await watcher.next((m) => m.t === 'ready');
    assert.equal((await t.api('/api/tokens/ci', { method: 'DELETE' })).status, 204);
    assert.equal((await watcher.closedWith()).code, CloseCode.UNAUTHORIZED, 'the revoked token\'s watch socket is closed');
    assert.equal(await code(await t.api('/api/sessions', { token })), ErrorCode.UNAUTHORIZED);
    assert.equal((await t.api('/api/tokens/ci', { method: 'DELETE' })).status, 404);
    assert.ok(!logged.join('\n').includes(token), 'no token in the log');
  });

  it('signs the dashboard in with an HttpOnly, SameSite=Strict cookie under the base path; the cookie alone reads nothing', async () => {
    const { body, setCookies, cookie } = await signIn(t, VIEWER);
    assert.equal(body.name, 'reader');
    assert.equal(body.role, 'viewer');
    const session = setCookies.find((c) => c.startsWith('sentiero_session='))!;
    assert.match(session, /; HttpOnly/);
    assert.match(session, /; SameSite=Strict/);
    assert.match(session, /; Path=\/sentiero;/);
    assert.doesNotMatch(session, /Secure/, 'no Secure over plain http');
    assert.ok(!session.includes(VIEWER), 'the cookie is a session id, not the token');
    const secure = await signIn(t, VIEWER, { 'x-forwarded-proto': 'https' });
    assert.ok(secure.setCookies.every((c) => c.includes('; Secure')), 'Secure behind https');

    const cookieOnly = await fetch(`${t.base}/api/sessions`, { headers: { cookie } });
    assert.equal(cookieOnly.status, 403);
    assert.equal(await code(cookieOnly), ErrorCode.CSRF_REQUIRED);
    const withRequestToken = await fetch(`${t.base}/api/me`, { headers: { cookie, authorization: `Bearer ${body.csrf}` } });
    assert.deepEqual(await withRequestToken.json(), { name: 'reader', role: 'viewer', via: 'cookie' });
    const forged = await fetch(`${t.base}/api/sessions`, { headers: { cookie, authorization: `Bearer ${'x'.repeat(43)}` } });
    assert.equal(forged.status, 401);
    const requestTokenAlone = await fetch(`${t.base}/api/sessions`, { headers: { authorization: `Bearer ${body.csrf}` } });
    assert.equal(requestTokenAlone.status, 401, 'the request token without the cookie is nothing');

    const watcher = new Inbox(await t.socket('/watch', { cookie }));
    watcher.send({ t: 'auth', token: body.csrf });
    await watcher.next((m) => m.t === 'ready');
    const logout = await fetch(`${t.base}/api/logout`, { method: 'POST', headers: { cookie, authorization: `Bearer ${body.csrf}` } });
    assert.equal(logout.status, 204);
    assert.ok(logout.headers.getSetCookie().every((c) => c.includes('Max-Age=0')));
    assert.equal((await watcher.closedWith()).code, CloseCode.UNAUTHORIZED, 'signing out closes the session\'s watch socket');
    assert.equal((await fetch(`${t.base}/api/me`, { headers: { cookie, authorization: `Bearer ${body.csrf}` } })).status, 401);
  });

  it('refuses a sign-in from another site and a wrong token, and writes both to the audit log', async () => {
    const cross = await fetch(`${t.base}/api/login`, { method: 'POST', body: JSON.stringify({ token: ADMIN }), headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(cross.status, 403);
    assert.equal(cross.headers.getSetCookie().length, 0);
    const wrong = await fetch(`${t.base}/api/login`, { method: 'POST', body: JSON.stringify({ token: 'nope-nope-nope-nope' }) });
    assert.equal(wrong.status, 401);
    await signIn(t, ADMIN);
    const { entries } = (await (await t.api('/api/audit')).json()) as { entries: { action: string; target: string; token: string; address: string }[] };
    const actions = entries.map((e) => `${e.action}:${e.token}`);
    assert.deepEqual(actions.slice(0, 3), ['audit.read:default', 'token.use:default', 'login:default']);
    assert.ok(actions.includes('login.failure:-'));
    assert.ok(entries.every((e) => e.address === '127.0.0.1'));
  });

  it('writes every read, erasure and status change with the token name, newest first, in pages', async () => {
    const id = createId();
    await fetch(`${t.base}/ingest`, { method: 'POST', body: batch(id) });
    await t.api('/api/sessions', { token: VIEWER });
    await (await t.api(`/api/sessions/${id}/events`, { token: VIEWER })).text();
    const watcher = new Inbox(await t.socket('/watch'));
    watcher.send({ t: 'auth', token: VIEWER });
    await watcher.next((m) => m.t === 'ready');
    watcher.send({ t: 'subscribe', sessionId: id });
    await watcher.next((m) => m.t === 'live');
    await t.api(`/api/sessions/${id}`, { method: 'DELETE' });
    const all: string[] = [];
    let next: string | undefined;
    do {
      const page = (await (await t.api(`/api/audit?limit=3${next ? `&before=${next}` : ''}`)).json()) as { entries: { action: string; target: string; token: string }[]; next?: string };
      all.push(...page.entries.map((e) => `${e.action} ${e.target} ${e.token}`));
      next = page.next;
    } while (next);
    const expected = ['token.use reader reader', 'session.list * reader', `session.read ${id} reader`, `watch ${id} reader`, 'token.use default default', `erase ${id} default`];
    const chronological = all.reverse().filter((e) => !e.startsWith('audit.read'));
    assert.deepEqual(chronological, expected);
    assert.deepEqual(await t.relay.store.verifyAudit(), { ok: true, entries: (await t.relay.store.readAudit({ limit: 1000 })).entries.length, problems: [] });
    assert.equal(await code(await t.api('/api/audit', { token: VIEWER })), ErrorCode.ROLE_REQUIRED);
  });

  it('ends a sign-in after loginTtlMs, and limits sign-in attempts per address', async () => {
    const short = await startRelay({ loginTtlMs: 300 });
    try {
      const { body, cookie } = await signIn(short, ADMIN);
      const me = () => fetch(`${short.base}/api/me`, { headers: { cookie, authorization: `Bearer ${body.csrf}` } });
      assert.equal((await me()).status, 200);
      await new Promise((r) => setTimeout(r, 400));
      const expired = await me();
      assert.equal(expired.status, 401);
      assert.match(((await expired.json()) as { message: string }).message, /expired or ended/);
    } finally {
      await short.close();
    }
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await fetch(`${t.base}/api/login`, { method: 'POST', body: JSON.stringify({ token: `wrong-${i}-0123456789` }) })).status);
    assert.deepEqual([statuses[0], statuses.at(-1)], [401, 429]);
  });

  it('checks the tokens option', () => {
    const bad: unknown[] = [
      'x', [{ name: 'a b', role: 'viewer', token: VIEWER }], [{ name: 'a', role: 'root', token: VIEWER }], [{ name: 'a', role: 'viewer' }],
      [{ name: 'a', role: 'viewer', token: 'short' }], [{ name: 'a', role: 'viewer', hash: 'abc' }], [{ name: 'default', role: 'viewer', token: VIEWER }],
      [{ name: 'a', role: 'viewer', token: VIEWER, hash: sha256(VIEWER) }],
    ];
    for (const tokens of bad) assert.throws(() => createRelay({ tokens: tokens as never, dashboard: false }), TypeError, JSON.stringify(tokens));
    assert.throws(() => createRelay({ loginTtlMs: 0 }), /loginTtlMs/);
  });
});
