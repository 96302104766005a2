/**
 * Error tracking through a real relay on 127.0.0.1 with a real LevelDB: reports with the
 * ingest key, grouping and status, the errors feed, source maps, the framework middleware,
 * and bad input (keys, envelopes, sizes, compression, rate limits).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import {
  ErrorCode, SESSION_HEADER, createClient, type ErrorGroup, type ErrorGroupDetail, type ErrorOccurrence,
} from '@sentiero/protocol';
import { listen, waitFor } from '../../test/helpers/net.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const KEY = 'test_ingest_key_0123456789';
const meta = { url: 'http://127.0.0.1/page', userAgent: 'Mozilla/5.0 test', startedAt: 1_700_000_000_000 };

/** POSTs under the base with the ingest key (or `key: null` for none), raw bytes or JSON. */
async function post(t: TestRelay, pathname: string, body: unknown, { key = KEY as string | null, headers = {} as Record<string, string>, raw = false } = {}) {
  const h: Record<string, string> = { ...headers };
  if (key !== null) h.authorization = `Bearer ${key}`;
  const data = raw ? (typeof body === 'string' ? body : new Uint8Array(body as Buffer)) : JSON.stringify(body);
  if (!raw) h['content-type'] ??= 'application/json';
  return fetch(`${t.base}${pathname}`, { method: 'POST', headers: h, body: data });
}

/** An envelope as Sentry SDKs frame it. */
function envelope(header: object, items: Array<[object, string | Buffer]>, withLength = true): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`)];
  for (const [h, payload] of items) {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    parts.push(Buffer.from(`${JSON.stringify(withLength ? { ...h, length: bytes.length } : h)}\n`), bytes, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

const sentryEvent = (message = 'Sentry says boom', extra: object = {}) => ({
  event_id: 'a'.repeat(32), timestamp: 1_700_000_100.5, platform: 'node', sdk: { name: 'sentry.javascript.node', version: '11.0.0' },
  exception: { values: [{ type: 'RangeError', value: message, stacktrace: { frames: [
    { filename: '/srv/app/node_modules/lib/index.js', function: 'lib', lineno: 3, colno: 9, in_app: false },
    { filename: '/srv/app/src/billing.js', function: 'charge', lineno: 42, colno: 7, in_app: true },
  ] } }] },
  tags: { plan: 'pro' }, user: { id: 'u-1', ip_address: '10.1.2.3' }, release: 'shop@1.2.3', environment: 'production',
  ...extra,
});

async function groups(t: TestRelay, qs = ''): Promise<ErrorGroup[]> {
  const res = await t.api(`/api/errors${qs}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { groups: ErrorGroup[] }).groups;
}

async function group(t: TestRelay, id: string): Promise<ErrorGroupDetail> {
  const res = await t.api(`/api/errors/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as ErrorGroupDetail;
}

async function code(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code;
}

/** Throws `message` from a named function, so that every call has the same stack. */
function failInCheckout(message: string): Error {
  return (function checkout() { return new TypeError(message); })();
}

describe('relay: error tracking', function () {
  this.timeout(60_000);
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay(); });
  afterEach(async () => { await t.close(); });

  it('groups reports by type and in-app stack, not by the numbers in the message; counts, first and last seen', async () => {
    const stack = (n: number) => `TypeError: order ${n} has no total\n    at computeTotal (/srv/app/src/cart.js:10:5)\n    at handle (/srv/app/src/routes.js:${20 + n}:3)\n    at next (/srv/app/node_modules/router/index.js:1:1)`;
    const a = await post(t, '/api/errors', { name: 'TypeError', message: 'order 17 has no total', stack: stack(1), timestamp: 1_000 });
    assert.equal(a.status, 200);
    const ackA = (await a.json()) as { id: string; groupId: string };
    const b = await post(t, '/api/errors', { name: 'TypeError', message: 'order 99 has no total', stack: stack(2), timestamp: 3_000 });
    const ackB = (await b.json()) as { id: string; groupId: string };
    assert.equal(ackB.groupId, ackA.groupId, 'same type and in-app functions: one group (line numbers and ids do not count)');
    assert.notEqual(ackB.id, ackA.id);
    const other = (await (await post(t, '/api/errors', { name: 'RangeError', message: 'order 17 has no total', stack: stack(1) })).json()) as { groupId: string };
    assert.notEqual(other.groupId, ackA.groupId, 'another type: another group');

    const list = await groups(t);
    assert.equal(list.length, 2);
    const g = await group(t, ackA.groupId);
    assert.equal(g.count, 2);
    assert.equal(g.firstSeen, 1_000);
    assert.equal(g.lastSeen, 3_000);
    assert.equal(g.status, 'unresolved');
    assert.equal(g.origin, 'server');
    assert.deepEqual({ fn: g.culprit?.function, file: g.culprit?.file, line: g.culprit?.line }, { fn: 'computeTotal', file: '/srv/app/src/cart.js', line: 10 });
    assert.deepEqual(g.occurrences.map((o) => o.message), ['order 99 has no total', 'order 17 has no total']);
    assert.deepEqual(g.occurrences[0]!.frames.map((f) => f.inApp), [true, true, false]);
  });

  it('without the ingest key answers 401, with a wrong key 403 (also the viewer token), and stores nothing', async () => {
    const report = { message: 'nope' };
    const none = await post(t, '/api/errors', report, { key: null });
    assert.equal(none.status, 401);
    assert.equal(await code(none), ErrorCode.UNAUTHORIZED);
    const wrong = await post(t, '/api/errors', report, { key: 'not_the_key_0123456789' });
    assert.equal(wrong.status, 403);
    assert.equal(await code(wrong), ErrorCode.FORBIDDEN);
    const viewer = await post(t, '/api/errors', report, { key: t.relay.token });
    assert.equal(viewer.status, 403);
    const viaHeader = await post(t, '/api/errors', report, { key: null, headers: { 'x-sentiero-key': 'wrong_wrong_wrong_0123' } });
    assert.equal(viaHeader.status, 403);
    const env = envelope({ event_id: 'b'.repeat(32) }, [[{ type: 'event' }, JSON.stringify(sentryEvent())]]);
    const sentryNone = await post(t, '/api/1/envelope/', env, { key: null, raw: true });
    assert.equal(sentryNone.status, 401);
    const sentryWrong = await fetch(`${t.base}/api/1/envelope/?sentry_key=nope_nope_nope_nope&sentry_version=7`, { method: 'POST', body: new Uint8Array(env) });
    assert.equal(sentryWrong.status, 403);
    const sentryHeader = await post(t, '/api/1/envelope/', env, { key: null, raw: true, headers: { 'x-sentry-auth': 'Sentry sentry_version=7, sentry_key=nope_nope_nope_nope' } });
    assert.equal(sentryHeader.status, 403);
    const upload = await post(t, '/api/sourcemaps', { file: '/a.js', map: { version: 3, sources: [], names: [], mappings: '' } }, { key: null });
    assert.equal(upload.status, 401);
    assert.deepEqual(await groups(t), []);
    assert.equal(await t.relay.store.getSourceMap('/a.js'), undefined);
    // And the ingest key is no viewer token.
    assert.equal((await t.api('/api/errors', { token: KEY })).status, 401);
  });

  it('accepts the key in X-Sentiero-Key, and validates reports (400 with the field named)', async () => {
    const ok = await post(t, '/api/errors', { message: 'header key' }, { key: null, headers: { 'x-sentiero-key': KEY } });
    assert.equal(ok.status, 200);
    const bad = await post(t, '/api/errors', { name: 'E' });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { code: string; message: string };
    assert.equal(body.code, ErrorCode.INVALID_MESSAGE);
    assert.match(body.message, /body\.message/);
    const badJson = await post(t, '/api/errors', '{"message":', { raw: true });
    assert.equal(badJson.status, 400);
    assert.equal(await code(badJson), ErrorCode.BAD_JSON);
    const badSession = await post(t, '/api/errors', { message: 'x', sessionId: '../etc' });
    assert.equal(badSession.status, 400);
    assert.equal((await groups(t)).length, 1);
  });

  it('links a report to a session: the session counts it, lists it, and the group lists the session with its time', async () => {
    const inbox = new Inbox(await t.socket('/ingest'));
    inbox.send({ t: 'hello', v: 1, sessionId: 'sess-err', windowId: 'win-1', lastSeq: 0, meta });
    await inbox.next((m) => m.t === 'welcome');
    inbox.send({ t: 'batch', seq: 1, events: [{ type: 4, timestamp: 5_000, data: { href: meta.url } }] });
    await inbox.next((m) => m.t === 'ack');
    const ack = (await (await post(t, '/api/errors', { message: 'linked', sessionId: 'sess-err', timestamp: 5_500 })).json()) as { groupId: string };
    const session = (await (await t.api('/api/sessions/sess-err')).json()) as { errorCount: number };
    assert.equal(session.errorCount, 1);
    const errors = (await (await t.api('/api/sessions/sess-err/errors')).json()) as { errors: Array<{ group: ErrorGroup; count: number; firstSeen: number }> };
    assert.deepEqual(errors.errors.map((e) => [e.group.id, e.count, e.firstSeen]), [[ack.groupId, 1, 5_500]]);
    const g = await group(t, ack.groupId);
    assert.deepEqual(g.sessions, [{ sessionId: 'sess-err', count: 1, firstSeen: 5_500, lastSeen: 5_500 }]);
    assert.deepEqual((await groups(t, '?sessionId=sess-err')).map((x) => x.id), [ack.groupId]);
    assert.deepEqual(await groups(t, '?sessionId=someone-else'), []);
    assert.equal((await t.api('/api/sessions/nobody/errors')).status, 404);
  });

  it('changes status (viewer token), turns a resolved group regressed on a new occurrence, and announces it on the errors feed', async () => {
    const client = createClient({ baseUrl: t.base, token: t.relay.token, WebSocket: WebSocket as never });
    const watch = client.watch();
    const seen: Array<{ kind: string; status: string; count: number }> = [];
    const occurrences: ErrorOccurrence[] = [];
    watch.onErrors({
      onGroup: (g) => seen.push({ kind: 'group', status: g.status, count: g.count }),
      onOccurrence: (o, g) => { occurrences.push(o); seen.push({ kind: 'occurrence', status: g.status, count: g.count }); },
    });
    await waitFor(() => watch.state === 'open', { what: 'the watch socket' });
    await waitFor(() => t.relay.stats().watchSockets === 1, { what: 'the relay to count the watcher' });
    // The subscription is sent right after `ready`; give the relay a report only once it has surely been read.
    await new Promise((r) => setTimeout(r, 200));
    const first = await t.relay.captureException(failInCheckout('total is NaN'));
    assert.ok(first);
    await waitFor(() => seen.length >= 2, { what: 'the new group and its occurrence on the feed' });
    assert.deepEqual(seen.slice(0, 2), [{ kind: 'group', status: 'unresolved', count: 1 }, { kind: 'occurrence', status: 'unresolved', count: 1 }]);

    const unauth = await t.api(`/api/errors/${first.groupId}`, { method: 'PATCH', token: null, body: JSON.stringify({ status: 'resolved' }) });
    assert.equal(unauth.status, 401);
    const badStatus = await t.api(`/api/errors/${first.groupId}`, { method: 'PATCH', body: JSON.stringify({ status: 'regressed' }) });
    assert.equal(badStatus.status, 400);
    const resolved = await client.setErrorStatus(first.groupId, 'resolved');
    assert.equal(resolved.status, 'resolved');
    await waitFor(() => seen.some((s) => s.kind === 'group' && s.status === 'resolved'), { what: 'the status change on the feed' });
    await assert.rejects(client.setErrorStatus('unknown-group', 'resolved'), { code: ErrorCode.NOT_FOUND, status: 404 });

    const again = await t.relay.captureException(failInCheckout('total is NaN'));
    assert.equal(again?.groupId, first.groupId);
    await waitFor(() => seen.some((s) => s.kind === 'group' && s.status === 'regressed'), { what: 'the regression on the feed' });
    const g = await client.getErrorGroup(first.groupId);
    assert.equal(g.status, 'regressed');
    assert.equal(g.count, 2);
    assert.ok(g.regressedAt! >= resolved.statusChangedAt!);
    assert.deepEqual((await client.listErrorGroups({ status: 'regressed' })).groups.map((x) => x.id), [first.groupId]);
    assert.deepEqual((await client.listErrorGroups({ status: 'resolved' })).groups, []);
    assert.equal(occurrences.length, 2);
    assert.equal(occurrences[1]!.via, 'capture');
    watch.close();
  });

  it('captureException never rejects, takes anything thrown, and keeps what of the context is usable', async () => {
    const warnings: string[] = [];
    await t.close();
    t = await startRelay({ logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } });
    const ack = await t.relay.captureException('a plain string', { sessionId: 'not an id!', tags: { a: 'b' } });
    assert.ok(ack, 'a bad context is left out, the error is kept');
    assert.match(warnings.join('\n'), /context was left out: body\.sessionId/);
    const g = await group(t, ack.groupId);
    assert.equal(g.message, 'a plain string');
    assert.equal(g.occurrences[0]!.sessionId, undefined);
    const withCtx = await t.relay.captureException(new Error('x'), { sessionId: 's-1', user: { id: 'u' }, tags: { n: 1 as unknown as string }, release: 'r1' });
    const occ = (await group(t, withCtx!.groupId)).occurrences[0]!;
    assert.deepEqual([occ.sessionId, occ.user, occ.tags, occ.release, occ.via, occ.origin], ['s-1', { id: 'u' }, { n: '1' }, 'r1', 'capture', 'server']);
  });

  it('maps browser frames through an uploaded source map and through sourceMapsDir; a bad map is a 400', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sentiero-maps-'));
    try {
      const src = path.join(dir, 'src');
      mkdirSync(src);
      writeFileSync(path.join(src, 'cart.ts'), [
        'export function cartTotal(cart: { items: { price: number }[] } | undefined): number {',
        '  // the next line throws',
        '  return cart!.items.reduce((sum, i) => sum + i.price, 0);',
        '}',
        '(globalThis as any).run = () => cartTotal(undefined);',
      ].join('\n'));
      await build({ entryPoints: [path.join(src, 'cart.ts')], outfile: path.join(dir, 'out', 'assets', 'cart.min.js'), bundle: true, minify: true, sourcemap: true, format: 'iife', logLevel: 'silent' });
      const { readFileSync } = await import('node:fs');
      const code = readFileSync(path.join(dir, 'out', 'assets', 'cart.min.js'), 'utf8');
      const mapText = readFileSync(path.join(dir, 'out', 'assets', 'cart.min.js.map'), 'utf8');
      // Run the minified file as a browser would, under its URL, to get a real minified stack.
      const vm = await import('node:vm');
      const sandbox: Record<string, unknown> = {};
      vm.runInNewContext(code, { globalThis: sandbox, ...sandbox }, { filename: 'http://shop.test/assets/cart.min.js' });
      let stack = '';
      try { (sandbox.run as () => void)(); } catch (err) { stack = (err as Error).stack!; }
      assert.match(stack, /cart\.min\.js:1:\d+/);

      const bad = await post(t, '/api/sourcemaps', { file: 'http://shop.test/assets/cart.min.js', map: { hello: 'world' } });
      assert.equal(bad.status, 400);
      const up = await post(t, '/api/sourcemaps', { file: 'http://shop.test/assets/cart.min.js', map: JSON.parse(mapText) });
      assert.equal(up.status, 201);
      assert.deepEqual(await up.json(), { file: '/assets/cart.min.js' });
      const ack = (await (await post(t, '/api/errors', { name: 'TypeError', message: 'cart is undefined', stack, origin: 'browser' })).json()) as { groupId: string };
      const top = (await group(t, ack.groupId)).culprit!;
      assert.equal(top.file, 'http://shop.test/assets/cart.min.js');
      assert.equal(top.line, 1);
      assert.deepEqual([top.original?.file, top.original?.line], ['src/cart.ts', 3]);
      // The minified function is named as the source names it, from its caller's call site (`run` calls `cartTotal`).
      assert.notEqual(top.function, 'cartTotal', `minified: ${top.function}`);
      assert.equal(top.original?.function, 'cartTotal');

      // The same through a build folder, with a relay that has no upload.
      const t2 = await startRelay({ sourceMapsDir: path.join(dir, 'out') });
      try {
        const ack2 = (await (await post(t2, '/api/errors', { name: 'TypeError', message: 'cart is undefined', stack, origin: 'browser' })).json()) as { groupId: string };
        const top2 = (await group(t2, ack2.groupId)).culprit!;
        assert.deepEqual([top2.original?.file, top2.original?.line], ['src/cart.ts', 3]);
        assert.equal(ack2.groupId, ack.groupId, 'the fingerprint of mapped frames is the same wherever the map came from');
      } finally {
        await t2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns sentiero/error@1 events of ingested batches into occurrences, completing the stored event with frames and groupId', async () => {
    const inbox = new Inbox(await t.socket('/ingest'));
    inbox.send({ t: 'hello', v: 1, sessionId: 'sess-b', windowId: 'win-b', lastSeq: 0, meta });
    await inbox.next((m) => m.t === 'welcome');
    const stack = 'TypeError: boom\n    at pay (http://127.0.0.1/assets/app.js:1:50)\n    at HTMLButtonElement.<anonymous> (http://127.0.0.1/assets/app.js:1:90)';
    const errorEvent = (ts: number) => ({ type: 5, timestamp: ts, data: { tag: 'sentiero/error@1', payload: { name: 'TypeError', message: 'boom', stack } } });
    inbox.send({ t: 'batch', seq: 1, events: [{ type: 4, timestamp: 10_000, data: { href: 'http://127.0.0.1/cart' } }, errorEvent(10_100), errorEvent(10_200)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 1);
    // A re-sent batch is stored once and counted once.
    inbox.send({ t: 'batch', seq: 1, events: [errorEvent(10_100)] });
    inbox.send({ t: 'batch', seq: 2, events: [{ type: 5, timestamp: 10_300, data: { tag: 'sentiero/error@1', payload: 'not an error' } }] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 2);
    const list = await groups(t);
    assert.equal(list.length, 1);
    assert.equal(list[0]!.count, 2);
    assert.equal(list[0]!.origin, 'browser');
    const g = await group(t, list[0]!.id);
    assert.deepEqual(g.sessions, [{ sessionId: 'sess-b', count: 2, firstSeen: 10_100, lastSeen: 10_200 }]);
    assert.equal(g.occurrences[0]!.url, 'http://127.0.0.1/cart');
    assert.equal(g.occurrences[0]!.windowId, 'win-b');
    assert.equal(((await (await t.api('/api/sessions/sess-b')).json()) as { errorCount: number }).errorCount, 2);
    const lines = (await (await t.api('/api/sessions/sess-b/events')).text()).trim().split('\n').map((l) => JSON.parse(l));
    const stored = lines[0].events[1].data.payload;
    assert.equal(stored.groupId, list[0]!.id);
    assert.deepEqual(stored.frames.map((f: { function: string }) => f.function), ['pay', 'HTMLButtonElement.<anonymous>']);
  });

  it('reads gzip, deflate and br bodies; answers 413 to a gzip bomb, 400 to a corrupt body, 415 to an unknown encoding, storing nothing', async () => {
    const report = Buffer.from(JSON.stringify({ message: 'compressed' }));
    for (const [encoding, body] of [['gzip', gzipSync(report)], ['deflate', deflateSync(report)], ['br', brotliCompressSync(report)]] as const) {
      const res = await post(t, '/api/errors', body, { raw: true, headers: { 'content-encoding': encoding, 'content-type': 'application/json' } });
      assert.equal(res.status, 200, encoding);
    }
    assert.equal((await groups(t))[0]!.count, 3);
    const t2 = await startRelay({ limits: { maxErrorBodyBytes: 64 * 1024 } });
    try {
      // 64 MiB of zeros in a JSON string, gzipped to ~64 KiB... kept under the raw limit by compressing well.
      const bomb = gzipSync(Buffer.concat([Buffer.from('{"message":"'), Buffer.alloc(32 * 1024 * 1024, 0x61), Buffer.from('"}')]), { level: 9 });
      assert.ok(bomb.length < 64 * 1024, `the bomb is small (${bomb.length} bytes)`);
      const boom = await post(t2, '/api/errors', bomb, { raw: true, headers: { 'content-encoding': 'gzip' } });
      assert.equal(boom.status, 413);
      assert.equal(await code(boom), ErrorCode.PAYLOAD_TOO_LARGE);
      const envBomb = gzipSync(envelope({}, [[{ type: 'event' }, JSON.stringify(sentryEvent('x'.repeat(8 * 1024 * 1024)))]]), { level: 9 });
      const boomEnv = await post(t2, '/api/1/envelope/', envBomb, { raw: true, headers: { 'content-encoding': 'gzip' } });
      assert.equal(boomEnv.status, 413);
      const huge = await post(t2, '/api/errors', { message: 'y'.repeat(100 * 1024) });
      assert.equal(huge.status, 413);
      const corrupt = await post(t2, '/api/errors', Buffer.from('this is not gzip at all'), { raw: true, headers: { 'content-encoding': 'gzip' } });
      assert.equal(corrupt.status, 400);
      assert.equal(await code(corrupt), ErrorCode.BAD_ENCODING);
      const unknown = await post(t2, '/api/errors', report, { raw: true, headers: { 'content-encoding': 'compress' } });
      assert.equal(unknown.status, 415);
      assert.equal(await code(unknown), ErrorCode.UNSUPPORTED_ENCODING);
      assert.deepEqual(await groups(t2), []);
    } finally {
      await t2.close();
    }
  });

  it('answers 429 with Retry-After and X-Sentry-Rate-Limits past maxErrorsPerSecond', async () => {
    const t2 = await startRelay({ limits: { maxErrorsPerSecond: 1, rateWindowMs: 3000 } });
    try {
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 6 && !limited; i++) {
        const res = await post(t2, '/api/1/envelope/', envelope({}, [[{ type: 'event' }, JSON.stringify(sentryEvent(`n${i}`))]]), { raw: true });
        statuses.push(res.status);
        if (res.status === 429) limited = res;
        else await res.arrayBuffer();
      }
      assert.ok(limited, `no 429 in ${statuses.join(', ')}`);
      assert.equal(await code(limited), ErrorCode.RATE_LIMITED);
      assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(limited.headers.get('x-sentry-rate-limits') ?? '', /^\d+::key$/);
      const plain = await post(t2, '/api/errors', { message: 'also limited' });
      assert.equal(plain.status, 429);
      assert.ok(plain.headers.get('retry-after'));
      const stored = (await groups(t2)).reduce((n, g) => n + g.count, 0);
      assert.equal(stored, statuses.filter((s) => s === 200).length, 'only accepted envelopes were stored');
    } finally {
      await t2.close();
    }
  });

  describe('Sentry envelopes (hand-framed)', () => {
    it('records an event item, links it by the sentiero.session tag, and answers {id} with CORS', async () => {
      const ev = sentryEvent('card declined', { tags: { plan: 'pro', 'sentiero.session': 'sess-s' } });
      const res = await post(t, '/api/7/envelope/', envelope({ event_id: ev.event_id, sdk: ev.sdk }, [[{ type: 'event' }, JSON.stringify(ev)]]), { raw: true, headers: { origin: 'http://elsewhere.test' } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { id: ev.event_id });
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const [g] = await groups(t);
      assert.equal(g!.name, 'RangeError');
      assert.equal(g!.message, 'card declined');
      assert.deepEqual([g!.culprit?.function, g!.culprit?.file, g!.culprit?.line], ['charge', '/srv/app/src/billing.js', 42]);
      const occ = (await group(t, g!.id)).occurrences[0]!;
      assert.equal(occ.via, 'sentry');
      assert.equal(occ.sessionId, 'sess-s');
      assert.equal(occ.timestamp, 1_700_000_100_500);
      assert.deepEqual(occ.user, { id: 'u-1' }, 'no IP address is kept');
      assert.deepEqual([occ.release, occ.environment, occ.tags?.plan], ['shop@1.2.3', 'production', 'pro']);
      assert.deepEqual(occ.frames.map((f) => f.function), ['charge', 'lib'], 'innermost first');
    });

    it('reads items without length, the legacy /store/ endpoint, and accepts and drops items it does not use', async () => {
      const ev = sentryEvent('no length');
      const noLength = await post(t, '/api/1/envelope/', envelope({}, [[{ type: 'session' }, '{"sid":"x"}'], [{ type: 'event' }, JSON.stringify(ev)]], false), { raw: true });
      assert.equal(noLength.status, 200);
      const store = await post(t, '/api/1/store/', sentryEvent('via store'));
      assert.equal(store.status, 200);
      const dropped = await post(t, '/api/1/envelope/', envelope({}, [
        [{ type: 'transaction' }, '{"type":"transaction","spans":[]}'], [{ type: 'client_report' }, '{"discarded_events":[]}'],
        [{ type: 'attachment', filename: 'a.txt' }, Buffer.from([0, 1, 2, 10, 13])], [{ type: 'made_up_type' }, 'anything at all'],
        [{ type: 'replay_recording' }, 'without its replay_event'],
      ]), { raw: true });
      assert.equal(dropped.status, 200);
      const list = await groups(t);
      assert.equal(list.reduce((n, g) => n + g.count, 0), 2);
      assert.equal((await t.relay.store.listSessions()).sessions.length, 0, 'no session from dropped items');
    });

    it('rejects malformed envelopes with 400 SENTIERO_BAD_ENVELOPE and stores nothing of them', async () => {
      const good = JSON.stringify(sentryEvent());
      const cases: Array<[string, Buffer | string]> = [
        ['empty', ''],
        ['header not JSON', `nope\n{"type":"event"}\n${good}\n`],
        ['item header not JSON', `{}\n{type: event}\n${good}\n`],
        ['item without type', `{}\n{"length":2}\n{}\n`],
        ['length past the end', `{}\n{"type":"event","length":99999}\n${good}\n`],
        ['negative length', `{}\n{"type":"event","length":-1}\n${good}\n`],
        ['event not JSON', `{}\n{"type":"event"}\n{not json}\n`],
        ['good event, then a bad one', `{}\n{"type":"event"}\n${good}\n{"type":"event"}\n[1,2]\n`],
      ];
      for (const [label, body] of cases) {
        const res = await post(t, '/api/1/envelope/', body, { raw: true });
        assert.equal(res.status, 400, label);
        assert.equal(await code(res), ErrorCode.BAD_ENVELOPE, label);
      }
      assert.deepEqual(await groups(t), [], 'nothing of a rejected envelope is stored');
      assert.equal((await post(t, '/api/1/envelope/', 'x', { raw: true, headers: {} }).then((r) => r.status)), 400);
      const get = await fetch(`${t.base}/api/1/envelope/?sentry_key=${KEY}`);
      assert.equal(get.status, 405);
      assert.equal((await fetch(`${t.base}/api/not-a-number/envelope/?sentry_key=${KEY}`, { method: 'POST', body: good })).status, 401, 'not a Sentry route: the viewer guard answers');
    });

    it('stores a Sentry replay segment carrying rrweb events as a session, compressed or not, and links the replay\'s errors to it', async () => {
      const replayId = 'c'.repeat(32);
      const replayEvent = (segment: number) => JSON.stringify({
        type: 'replay_event', replay_id: replayId, segment_id: segment, replay_start_timestamp: 1_700_000_000, timestamp: 1_700_000_001,
        urls: ['http://shop.test/checkout'], request: { url: 'http://shop.test/checkout', headers: { 'User-Agent': 'Mozilla/5.0 (Sentry replay)' } },
      });
      const rrweb = (ts: number) => [{ type: 4, timestamp: ts, data: { href: 'http://shop.test/checkout', width: 800, height: 600 } }, { type: 3, timestamp: ts + 5, data: { source: 2, type: 2, id: 1 } }];
      const plain = Buffer.concat([Buffer.from('{"segment_id":0}\n'), Buffer.from(JSON.stringify(rrweb(1_700_000_000_000)))]);
      const zipped = Buffer.concat([Buffer.from('{"segment_id":1}\n'), deflateSync(Buffer.from(JSON.stringify(rrweb(1_700_000_002_000))))]);
      for (const [segment, recording] of [[0, plain], [1, zipped]] as const) {
        const res = await post(t, '/api/1/envelope/', envelope({ event_id: replayId }, [[{ type: 'replay_event' }, replayEvent(segment)], [{ type: 'replay_recording' }, recording]]), { raw: true });
        assert.equal(res.status, 200);
      }
      const session = (await (await t.api(`/api/sessions/${replayId}`)).json()) as { eventCount: number; url: string; userAgent: string; windows: string[] };
      assert.equal(session.eventCount, 4);
      assert.equal(session.url, 'http://shop.test/checkout');
      assert.equal(session.userAgent, 'Mozilla/5.0 (Sentry replay)');
      const lines = (await (await t.api(`/api/sessions/${replayId}/events`)).text()).trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.seq), [1, 2]);
      const ev = sentryEvent('during the replay', { contexts: { replay: { replay_id: replayId } }, platform: 'javascript', sdk: { name: 'sentry.javascript.browser' } });
      await post(t, '/api/1/envelope/', envelope({}, [[{ type: 'event' }, JSON.stringify(ev)]]), { raw: true });
      const errors = (await (await t.api(`/api/sessions/${replayId}/errors`)).json()) as { errors: Array<{ group: ErrorGroup }> };
      assert.equal(errors.errors[0]!.group.origin, 'browser');
      const notRrweb = await post(t, '/api/1/envelope/', envelope({}, [[{ type: 'replay_event' }, replayEvent(2)], [{ type: 'replay_recording' }, '{"segment_id":2}\n[]']]), { raw: true });
      assert.equal(notRrweb.status, 200);
      assert.equal(((await (await t.api(`/api/sessions/${replayId}`)).json()) as { eventCount: number }).eventCount, 4, 'a segment without events stores nothing');
    });
  });

  describe('framework middleware: a server error is linked to the session in X-Sentiero-Session', () => {
    async function callApp(port: number, pathname: string, session?: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: pathname, headers: session ? { [SESSION_HEADER]: session } : {} }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    }

    async function linkedTo(sessionId: string): Promise<ErrorOccurrence[]> {
      return waitFor(async () => {
        const list = await groups(t, `?sessionId=${sessionId}`);
        if (!list.length) return undefined;
        return (await group(t, list[0]!.id)).occurrences;
      }, { what: `an error linked to ${sessionId}` });
    }

    it('express: relay.expressErrorHandler() reports 5xx errors, not 4xx, and hands the error on', async () => {
      const app = express();
      app.get('/boom', () => { throw new Error('express route failed'); });
      app.get('/teapot', () => { throw Object.assign(new Error('client error'), { status: 418 }); });
      app.use(t.relay.expressErrorHandler());
      app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(err.status ?? 500).send('handled by the app');
      });
      const server = createServer(app);
      const port = await listen(server);
      try {
        assert.equal(await callApp(port, '/teapot?x=1', 'sess-express'), 418);
        assert.equal(await callApp(port, '/boom?token=secret', 'sess-express'), 500);
        const [occ] = await linkedTo('sess-express');
        assert.equal(occ!.message, 'express route failed');
        assert.equal(occ!.via, 'middleware');
        assert.equal(occ!.url, '/boom', 'no query string');
        assert.equal(occ!.tags?.['http.method'], 'GET');
        assert.equal((await groups(t)).length, 1, 'the 418 was not reported');
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    it('fastify: relay.fastifyPlugin reports errors of every route', async () => {
      const app = Fastify();
      await app.register(t.relay.fastifyPlugin);
      app.get('/boom', async () => { throw new Error('fastify route failed'); });
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const port = (app.server.address() as { port: number }).port;
        assert.equal(await callApp(port, '/boom', 'sess-fastify'), 500);
        const [occ] = await linkedTo('sess-fastify');
        assert.equal(occ!.message, 'fastify route failed');
      } finally {
        await app.close();
      }
    });

    it('koa: relay.koaMiddleware() reports and throws on to Koa', async () => {
      const app = new Koa();
      app.silent = true;
      app.use(t.relay.koaMiddleware());
      app.use(async (ctx) => {
        if (ctx.path === '/boom') throw new Error('koa route failed');
        ctx.body = 'ok';
      });
      const server = createServer(app.callback());
      const port = await listen(server);
      try {
        assert.equal(await callApp(port, '/boom', 'sess-koa'), 500);
        const [occ] = await linkedTo('sess-koa');
        assert.equal(occ!.message, 'koa route failed');
        assert.equal(await callApp(port, '/fine'), 200);
        assert.equal(await callApp(port, '/boom'), 500);
        await waitFor(async () => (await groups(t))[0]?.count === 2, { what: 'the unlinked occurrence' });
        assert.equal((await groups(t))[0]!.sessionCount, 1);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });
});
