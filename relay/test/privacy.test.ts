/**
 * Erasure, retention and the disk quota through a real relay on a real LevelDB. Each test
 * that removes data closes the relay afterwards and reads every raw key and value of the
 * LevelDB folder, to prove that nothing of the removed sessions (or users) is left.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CustomTag, ErrorCode, EventType, type ErasureReport, type PruneReport, type RecordedEvent, type StorageStatus } from '@sentiero/protocol';
import { createRelay } from '@sentiero/relay';
import { Level } from 'level';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const DAY = 86_400_000;

/** Every key and value of a closed LevelDB folder, as text. */
async function rawDump(dir: string): Promise<string[]> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const out: string[] = [];
  try {
    for await (const [k, v] of db.iterator()) out.push(`${k.toString('latin1')} ${v.toString('latin1')}`);
  } finally {
    await db.close();
  }
  return out;
}

/**
 * Asserts that no raw key or value holds any of `gone` (text, or a pattern), and that each of
 * `kept` is still there. Session ids are allowed in audit entries only (`inAudit`): the log
 * names the sessions read and erased, and never holds anything of their content.
 */
async function assertRaw(t: TestRelay, gone: Array<string | RegExp>, kept: string[] = [], inAudit: string[] = []): Promise<void> {
  await t.relay.close();
  const dump = await rawDump(t.dataDir);
  for (const needle of gone) {
    const allowed = typeof needle === 'string' && inAudit.includes(needle);
    const hits = dump.filter((line) => !(allowed && line.startsWith('!audit!')) && (typeof needle === 'string' ? line.includes(needle) : needle.test(line)));
    assert.deepEqual(hits.map((h) => h.slice(0, 120)), [], `nothing of ${String(needle)} is left`);
  }
  for (const needle of kept) assert.ok(dump.some((line) => line.includes(needle)), `${needle} is kept`);
}

const identify = (userId: string, ts: number): RecordedEvent => ({ type: EventType.Custom, timestamp: ts, data: { tag: CustomTag.IDENTIFY, payload: { userId } } });
const errorEvent = (ts: number): RecordedEvent => ({
  type: EventType.Custom, timestamp: ts, data: { tag: CustomTag.ERROR, payload: { name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (http://127.0.0.1/app.js:1:2)' } },
});
const plain = (ts: number): RecordedEvent => ({ type: 3, timestamp: ts, data: { source: 2, type: 2, id: 1 } });

/** Records a session over the WebSocket, as a recorder would, and waits for its acks. */
async function record(t: TestRelay, sessionId: string, batches: RecordedEvent[][]): Promise<void> {
  const inbox = new Inbox(await t.socket('/ingest'));
  inbox.send({ t: 'hello', v: 1, sessionId, windowId: 'win-1', lastSeq: 0, meta: { url: 'http://127.0.0.1/app', userAgent: 'UA', startedAt: 1 } });
  await inbox.next((m) => m.t === 'welcome');
  batches.forEach((events, i) => inbox.send({ t: 'batch', seq: i + 1, events }));
  await inbox.next((m) => m.t === 'ack' && m.seq === batches.length);
  inbox.ws.close();
}

async function post<T>(t: TestRelay, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await t.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

describe('privacy: erasure, retention and quota', () => {
  let t: TestRelay;
  afterEach(async () => { await t?.close(); });

  describe('erasure', () => {
    beforeEach(async () => { t = await startRelay(); });

    it('erases one session with its batches and error occurrences; other sessions stay', async () => {
      await record(t, 'sess-gone', [[plain(10), errorEvent(11)], [plain(12)]]);
      await record(t, 'sess-kept', [[plain(20), errorEvent(21)]]);
      const { status, body } = await post<ErasureReport>(t, '/api/erase', { sessionId: 'sess-gone' });
      assert.equal(status, 200);
      assert.deepEqual(body, { sessions: 1, sessionIds: ['sess-gone'], batches: 2, events: 3, errorOccurrences: 1, groupsScrubbed: 1 });
      assert.equal((await t.api('/api/sessions/sess-gone')).status, 404);
      const again = await post<ErasureReport>(t, '/api/erase', { sessionId: 'sess-gone' });
      assert.equal(again.body.sessions, 0);
      await assertRaw(t, ['sess-gone'], ['sess-kept'], ['sess-gone']);
    });

    it('erases a user: every session it was identified in, and its error reports, in any group', async () => {
      await record(t, 'sess-u1-a', [[plain(10), identify('user-1@shop.test', 11)], [errorEvent(12)]]);
      await record(t, 'sess-u1-b', [[identify('someone-else', 20), plain(21)], [identify('user-1@shop.test', 22)]]);
      await record(t, 'sess-u2', [[identify('user-2', 30), errorEvent(31)]]);
      const filtered = (await (await t.api('/api/sessions?user=user-1%40shop.test')).json()) as { sessions: Array<{ id: string; userId?: string }> };
      assert.deepEqual(filtered.sessions.map((s) => s.id).sort(), ['sess-u1-a', 'sess-u1-b']);
      assert.equal(filtered.sessions.find((s) => s.id === 'sess-u1-b')?.userId, 'user-1@shop.test');
      const report = await fetch(`${t.base}/api/errors`, {
        method: 'POST', headers: { authorization: `Bearer ${t.relay.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ServerError', message: 'payment failed', user: { id: 'user-1@shop.test' } }),
      });
      assert.equal(report.status, 200);
      const { body } = await post<ErasureReport>(t, '/api/erase', { userId: 'user-1@shop.test' });
      assert.equal(body.sessions, 2);
      assert.deepEqual([...body.sessionIds].sort(), ['sess-u1-a', 'sess-u1-b']);
      assert.equal(body.errorOccurrences, 2, 'the session\'s occurrence and the server report');
      assert.equal(body.groupsScrubbed, 2);
      const left = (await (await t.api('/api/sessions')).json()) as { sessions: Array<{ id: string }> };
      assert.deepEqual(left.sessions.map((s) => s.id), ['sess-u2']);
      await assertRaw(t, ['sess-u1-a', 'sess-u1-b', 'user-1@shop.test', 'someone-else'], ['sess-u2', 'user-2'], ['sess-u1-a', 'sess-u1-b']);
    });

    it('erases the sessions active in a time range', async () => {
      await record(t, 'sess-early', [[plain(1_000), plain(2_000)]]);
      await record(t, 'sess-middle', [[plain(5_000), plain(6_000)]]);
      await record(t, 'sess-late', [[plain(9_000)]]);
      const { body } = await post<ErasureReport>(t, '/api/erase', { from: 4_000, to: 7_000 });
      assert.deepEqual(body.sessionIds, ['sess-middle']);
      await assertRaw(t, ['sess-middle'], ['sess-early', 'sess-late']);
    });

    it('refuses a malformed request with a coded 400, and answers 401 without the token', async () => {
      for (const bad of [{}, { sessionId: 'a b' }, { userId: '' }, { from: 5, to: 1 }, { sessionId: 's', userId: 'u' }, [1], { from: 1 }]) {
        const { status, body } = await post<{ code: string }>(t, '/api/erase', bad);
        assert.equal(status, 400, JSON.stringify(bad));
        assert.equal(body.code, ErrorCode.INVALID_MESSAGE);
      }
      const bare = await fetch(`${t.base}/api/erase`, { method: 'POST', body: '{"sessionId":"s"}' });
      assert.equal(bare.status, 401);
      assert.equal((await fetch(`${t.base}/api/prune`, { method: 'POST' })).status, 401);
      assert.equal((await t.api('/api/erase')).status, 405);
    });
  });

  describe('retention and quota', () => {
    it('prunes sessions not received for retentionDays (by the relay\'s clock, not the events\'), and error occurrences as old', async () => {
      t = await startRelay({ retentionDays: 7 });
      const store = t.relay.store;
      const now = Date.now();
      await store.append({ sessionId: 'sess-old', windowId: 'w', seq: 1, events: [plain(now)], receivedAt: now - 8 * DAY });
      await store.append({ sessionId: 'sess-old-import', windowId: 'w', seq: 1, events: [plain(1_000)], receivedAt: now - DAY });
      await store.append({ sessionId: 'sess-new', windowId: 'w', seq: 1, events: [plain(now)], receivedAt: now });
      await store.recordError({ id: 'occ-old', groupId: 'grp-1', timestamp: 1, receivedAt: now - 9 * DAY, origin: 'server', via: 'api', name: 'E', message: 'old-message', frames: [] });
      await store.recordError({ id: 'occ-new', groupId: 'grp-1', timestamp: 2, receivedAt: now, origin: 'server', via: 'api', name: 'E', message: 'new-message', frames: [] });
      const { status, body } = await post<PruneReport>(t, '/api/prune');
      assert.equal(status, 200);
      assert.deepEqual(body.retention.sessionIds, ['sess-old']);
      assert.equal(body.retention.errorOccurrences, 1);
      assert.equal(body.quota.sessions, 0);
      assert.equal(body.retentionDays, 7);
      const storage = (await (await t.api('/api/storage')).json()) as StorageStatus;
      assert.equal(storage.lastPrune?.at, body.at);
      await assertRaw(t, [/sess-old(?!-import)/, 'occ-old'], ['sess-old-import', 'sess-new', 'occ-new']);
    });

    it('prunes audit entries older than auditRetentionDays; the chain still verifies, and the prune itself is audited', async () => {
      t = await startRelay({ auditRetentionDays: 30 });
      const store = t.relay.store;
      const now = Date.now();
      for (const [i, age] of [40, 35, 31, 29, 1].entries()) {
        await store.appendAudit({ at: now - age * DAY, action: 'session.read', target: `aged-${i}`, token: 'default', address: '127.0.0.1' });
      }
      const { status, body } = await post<PruneReport>(t, '/api/prune');
      assert.equal(status, 200);
      assert.equal(body.auditEntries, 3, 'the entries 40, 35 and 31 days old');
      assert.equal(body.auditRetentionDays, 30);
      const targets = (await store.readAudit({ limit: 1000 })).entries.map((e) => e.target);
      assert.ok(!targets.some((x) => ['aged-0', 'aged-1', 'aged-2'].includes(x)), targets.join());
      assert.ok(targets.includes('aged-3') && targets.includes('aged-4'), targets.join());
      assert.ok(targets.includes('*'), 'the prune request itself is in the log');
      assert.deepEqual((await store.verifyAudit()).problems, []);
      await assertRaw(t, ['aged-0', 'aged-1', 'aged-2'], ['aged-3', 'aged-4']);
    });

    it('prunes the oldest sessions until the store is under maxDiskBytes, and the folder shrinks', async () => {
      const maxDiskBytes = 1_500_000;
      t = await startRelay({ maxDiskBytes });
      const store = t.relay.store;
      // Incompressible events, so that each session takes about 200 KB on disk.
      for (let i = 0; i < 16; i++) {
        const id = `sess-${String(i).padStart(2, '0')}`;
        const events = Array.from({ length: 4 }, (_, j) => ({ type: 3, timestamp: 1_000 * i + j, data: { blob: randomBytes(37_500).toString('base64') } }));
        await store.append({ sessionId: id, windowId: 'w', seq: 1, events, receivedAt: Date.now() });
      }
      const before = (await (await t.api('/api/storage')).json()) as StorageStatus;
      assert.equal(before.maxDiskBytes, maxDiskBytes);
      assert.ok(before.diskBytes > maxDiskBytes, `the store (${before.diskBytes} bytes) starts over the quota`);
      const { body } = await post<PruneReport>(t, '/api/prune');
      assert.ok(body.diskBytesAfter <= maxDiskBytes, `after: ${body.diskBytesAfter} bytes`);
      assert.ok(body.quota.sessions > 0 && body.quota.sessions < 16);
      const removed = body.quota.sessionIds;
      const expected = Array.from({ length: removed.length }, (_, i) => `sess-${String(i).padStart(2, '0')}`);
      assert.deepEqual(removed, expected, 'the oldest first');
      await assertRaw(t, removed, ['sess-15']);
    });

    it('prunes on its own on a timer', async () => {
      t = await startRelay({ retentionDays: 1, pruneIntervalMs: 50 });
      await t.relay.store.append({ sessionId: 'sess-stale', windowId: 'w', seq: 1, events: [plain(1)], receivedAt: Date.now() - 2 * DAY });
      for (let i = 0; i < 200 && await t.relay.store.getSession('sess-stale'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await t.relay.store.getSession('sess-stale'), undefined);
    });

    it('defaults to 30 days and a quota measured with fs.statfs, never unbounded', async () => {
      t = await startRelay();
      const s = (await (await t.api('/api/storage')).json()) as StorageStatus;
      assert.equal(s.retentionDays, 30);
      assert.ok(Number.isSafeInteger(s.maxDiskBytes) && s.maxDiskBytes > s.diskBytes, JSON.stringify(s));
    });

    it('checks its options', () => {
      assert.throws(() => createRelay({ retentionDays: 0 }), { name: 'TypeError', message: /retentionDays/ });
      assert.throws(() => createRelay({ retentionDays: Number.NaN }), { name: 'TypeError', message: /retentionDays/ });
      assert.throws(() => createRelay({ maxDiskBytes: -5 }), { name: 'TypeError', message: /maxDiskBytes/ });
      assert.throws(() => createRelay({ pruneIntervalMs: 0.5 }), { name: 'TypeError', message: /pruneIntervalMs/ });
    });
  });
});
