/**
 * The conformance suite every `Store` backend runs, in the way abstract-level's suite is run
 * by every level implementation:
 *
 *   runStoreConformance('LevelStore', () => new LevelStore({ location: tempDir() }), { reopen });
 *
 * It registers mocha tests through the globals `describe`, `it` and `afterEach`, so it is
 * imported from a test file that mocha runs. It imports the package by its own name so that
 * its `StoreError` is the one the backend throws, also from the built `dist/`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ErrorOccurrence, RecordedEvent, Segment, SessionDigest, SessionMeta } from '@sentiero/protocol';
import { AUDIT_GENESIS, MAX_LISTED_WINDOWS, MAX_OCCURRENCES_KEPT, StoreError, StoreErrorCode, auditHash } from '@sentiero/storage';
import type { AuditEntry, AuditInput, TokenRecord } from '@sentiero/storage';
import type { BatchInput, ErrorListOptions, ListOptions, ReadOptions, SessionRecord, Store, StoredBatch } from '@sentiero/storage';

/** Options of `runStoreConformance`. */
export interface ConformanceOptions {
  /**
   * Returns a new instance over the data of `old` (which the suite has closed), as a new
   * process would. Given only for backends whose `supports.persistence` is true; it is what
   * registers the persistence tests.
   */
  reopen?: (old: Store) => Store | Promise<Store>;
}

const META: SessionMeta = { url: 'https://shop.test/home', userAgent: 'Mozilla/5.0 (conformance)', startedAt: 1_000, language: 'en' };
const OTHER_META: SessionMeta = { url: 'https://shop.test/other', userAgent: 'Other/1.0', startedAt: 2_000 };

function events(timestamps: number[], tag = ''): RecordedEvent[] {
  return timestamps.map((timestamp, i) => ({ type: 3, timestamp, data: { source: 1, tag, i } }));
}

/** A batch whose events have the given timestamps; received 10 ms after its last event. */
function batch(sessionId: string, windowId: string, seq: number, timestamps: number[], extra: Partial<BatchInput> = {}): BatchInput {
  return { sessionId, windowId, seq, events: events(timestamps, `${windowId}:${seq}`), receivedAt: Math.max(0, ...timestamps) + 10, ...extra };
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of stream) out.push(b);
  return out;
}

const order = (batches: { windowId: string; seq: number }[]): string[] => batches.map((b) => `${b.windowId}:${b.seq}`);

async function rejectsWith(action: Promise<unknown> | (() => Promise<unknown>), code: string, label = ''): Promise<void> {
  await assert.rejects(action, (err: unknown) => {
    assert.ok(err instanceof StoreError, `${label}: expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, `${label}: ${err.message}`);
    return true;
  });
}

/** A deterministic shuffle, so that a failure reproduces. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every public call once, with valid arguments, for the `STORE_NOT_OPEN` tests. */
function everyCall(store: Store): [string, () => Promise<unknown>][] {
  return [
    ['append', () => store.append(batch('s1', 'w1', 1, [1]))],
    ['ackedSeq', () => store.ackedSeq('s1', 'w1')],
    ['getSession', () => store.getSession('s1')],
    ['listSessions', () => store.listSessions({})],
    ['readBatches', () => collect(store.readBatches('s1'))],
    ['readBatchesJson', () => collect(store.readBatchesJson('s1'))],
    ['deleteSession', () => store.deleteSession('s1')],
    ['recordError', () => store.recordError(occurrence('g1', 1))],
    ['listErrorGroups', () => store.listErrorGroups({})],
    ['getErrorGroup', () => store.getErrorGroup('g1')],
    ['setErrorStatus', () => store.setErrorStatus('g1', 'resolved')],
    ['sessionErrors', () => store.sessionErrors('s1')],
    ['putSourceMap', () => store.putSourceMap('/app.js', '{}')],
    ['getSourceMap', () => store.getSourceMap('/app.js')],
    ['eraseSession', () => store.eraseSession('s1')],
    ['eraseOccurrences', () => store.eraseOccurrences({ userId: 'u1' })],
    ['oldestSessions', () => store.oldestSessions(10)],
    ['diskSize', () => store.diskSize()],
    ['compact', () => store.compact()],
  ];
}

let occurrences = 0;

/** An occurrence of group `groupId` at `timestamp`: a vendor frame on top of an in-app frame with its original position. */
function occurrence(groupId: string, timestamp: number, extra: Partial<ErrorOccurrence> = {}): ErrorOccurrence {
  return {
    id: `occ-${(++occurrences).toString(36).padStart(6, '0')}`, groupId, timestamp, receivedAt: timestamp + 5, origin: 'browser', via: 'recorder',
    name: 'TypeError', message: `total of undefined in ${groupId}`,
    frames: [
      { function: 'lib', file: 'https://shop.test/vendor.js', line: 1, column: 5, inApp: false },
      { function: 'checkout', file: 'https://shop.test/app.min.js', line: 1, column: 300, inApp: true, original: { file: 'src/checkout.ts', line: 42, column: 7 } },
    ],
    ...extra,
  };
}

async function groupIds(store: Store, options: ErrorListOptions = {}): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.listErrorGroups({ ...options, cursor });
    ids.push(...page.groups.map((g) => g.id));
    cursor = page.next;
    assert.ok(++pages < 1000, 'the cursor never ends');
  } while (cursor !== undefined);
  return ids;
}

interface SessionSpec {
  id: string;
  start: number;
  end: number;
  url?: string;
  errors?: number;
}

/** Stores one session of two batches spanning `start`…`end`. */
async function seed(store: Store, spec: SessionSpec): Promise<void> {
  const meta = { ...META, url: spec.url ?? META.url, startedAt: spec.start };
  await store.append(batch(spec.id, 'w1', 1, [spec.start], { meta, digest: { pages: [meta.url], errors: spec.errors ?? 0 } }));
  await store.append(batch(spec.id, 'w1', 2, [spec.end]));
}

async function listAll(store: Store, options: ListOptions): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.listSessions({ ...options, cursor });
    pages++;
    assert.ok(page.sessions.length <= (options.limit ?? 50), `page ${pages} has ${page.sessions.length} sessions, more than the limit`);
    ids.push(...page.sessions.map((s) => s.id));
    cursor = page.next;
    assert.ok(pages < 1000, 'the cursor never ends');
  } while (cursor !== undefined);
  return { ids, pages };
}

/** Registers the conformance suite for a backend; `factory` returns a new store that is not open yet. */
export function runStoreConformance(name: string, factory: () => Store | Promise<Store>, options: ConformanceOptions = {}): void {
  describe(`${name}: Store conformance`, () => {
    const created: Store[] = [];
    const fresh = async (): Promise<Store> => {
      const store = await factory();
      created.push(store);
      return store;
    };
    const opened = async (): Promise<Store> => {
      const store = await fresh();
      await store.open();
      return store;
    };

    afterEach(async () => {
      await Promise.allSettled(created.splice(0).map((s) => s.close()));
    });

    describe('lifecycle', () => {
      it('starts closed, opens and closes', async () => {
        const store = await fresh();
        assert.equal(store.status, 'closed', 'the factory must return a store that is not open yet');
        const opening = store.open();
        assert.equal(store.status, 'opening');
        await opening;
        assert.equal(store.status, 'open');
        const closing = store.close();
        assert.equal(store.status, 'closing');
        await closing;
        assert.equal(store.status, 'closed');
      });

      it('open() and close() are idempotent, also when called concurrently', async () => {
        const store = await fresh();
        await Promise.all([store.open(), store.open(), store.open()]);
        assert.equal(store.status, 'open');
        await store.open();
        assert.equal(store.status, 'open');
        await store.append(batch('s1', 'w1', 1, [1]));
        await Promise.all([store.close(), store.close()]);
        assert.equal(store.status, 'closed');
        await store.close();
        assert.equal(store.status, 'closed');
      });

      it('close() during open() and open() during close() end in the state asked for last', async () => {
        const store = await fresh();
        await Promise.all([store.open(), store.close()]);
        assert.equal(store.status, 'closed');
        await store.open();
        await Promise.all([store.close(), store.open()]);
        assert.equal(store.status, 'open');
        assert.deepEqual(await store.append(batch('s1', 'w1', 1, [1])), { stored: true, ackedSeq: 1 });
      });

      it('the same instance opens again after close', async () => {
        const store = await opened();
        await store.close();
        await store.open();
        assert.equal(store.status, 'open');
        assert.deepEqual(await store.append(batch('again', 'w1', 1, [5])), { stored: true, ackedSeq: 1 });
        assert.equal((await store.getSession('again'))?.eventCount, 1);
      });

      it('close() waits for appends in flight', async () => {
        const store = await opened();
        const appends = [1, 2, 3].map((seq) => store.append(batch('s1', 'w1', seq, [seq])));
        const closing = store.close();
        const results = await Promise.all(appends);
        assert.ok(results.every((r) => r.stored), 'an append in flight was not stored');
        assert.equal(Math.max(...results.map((r) => r.ackedSeq)), 3);
        await closing;
        assert.equal(store.status, 'closed');
      });

      it('every call rejects with STORE_NOT_OPEN before open()', async () => {
        const store = await fresh();
        for (const [label, call] of everyCall(store)) await rejectsWith(call, StoreErrorCode.NOT_OPEN, label);
      });

      it('every call rejects with STORE_NOT_OPEN after close()', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [1]));
        await store.close();
        for (const [label, call] of everyCall(store)) await rejectsWith(call, StoreErrorCode.NOT_OPEN, label);
      });

      it('a stream rejects its next step with STORE_NOT_OPEN once the store is closed', async () => {
        const store = await opened();
        for (const seq of [1, 2, 3]) await store.append(batch('s1', 'w1', seq, [seq]));
        const iterator = store.readBatches('s1')[Symbol.asyncIterator]();
        const first = await iterator.next();
        assert.equal(first.done, false);
        await store.close();
        await rejectsWith(iterator.next(), StoreErrorCode.NOT_OPEN);
      });

      it('declares what it supports', async () => {
        const store = await fresh();
        assert.equal(typeof store.supports.persistence, 'boolean');
      });
    });

    describe('append and read back', () => {
      it('reads a window\'s batches back in seq order, as appended', async () => {
        const store = await opened();
        const input = [1, 2, 3, 4, 5].map((seq) => batch('s1', 'w1', seq, [seq * 100, seq * 100 + 1]));
        for (const b of input) assert.deepEqual(await store.append(b), { stored: true, ackedSeq: b.seq });
        const read = await collect(store.readBatches('s1'));
        assert.deepEqual(read, input.map((b) => ({ sessionId: 's1', windowId: 'w1', seq: b.seq, events: b.events, receivedAt: b.receivedAt })));
      });

      it('reads back the events of a batch given with its events\' JSON text (`eventsJson`), empty batches too', async () => {
        const store = await opened();
        const one = batch('s1', 'w1', 1, [100, 101]);
        const empty = batch('s1', 'w1', 2, []);
        await store.append({ ...one, eventsJson: JSON.stringify(one.events, null, 1) });
        await store.append({ ...empty, eventsJson: '[]' });
        const read = await collect(store.readBatches('s1'));
        assert.deepEqual(read, [one, empty].map((b) => ({ sessionId: 's1', windowId: 'w1', seq: b.seq, events: b.events, receivedAt: b.receivedAt })));
        const json = await collect(store.readBatchesJson('s1'));
        assert.deepEqual(json.map((b) => JSON.parse(b.eventsJson) as unknown), [one.events, []]);
        await rejectsWith(store.append({ ...batch('s1', 'w1', 3, [1]), eventsJson: 42 as unknown as string }), StoreErrorCode.INVALID_ARGUMENT, 'eventsJson not a string');
      });

      it('keeps the session record: times, counts, windows in first-seen order, meta', async () => {
        const store = await opened();
        await store.append(batch('s1', 'wB', 1, [2_000, 2_500], { meta: META, receivedAt: 3_000 }));
        await store.append(batch('s1', 'wA', 1, [1_500], { meta: OTHER_META, receivedAt: 2_900 }));
        await store.append(batch('s1', 'wB', 2, [4_000, 4_100, 4_200], { receivedAt: 4_300 }));
        const record = await store.getSession('s1');
        assert.deepEqual(record, {
          id: 's1', startedAt: 1_500, lastEventAt: 4_200, lastReceivedAt: 4_300, eventCount: 6, batchCount: 3,
          windows: ['wB', 'wA'], windowCount: 2, meta: META, pages: [], errorCount: 0, droppedEvents: 0, byteCount: 0,
        } satisfies SessionRecord);
        assert.equal(await store.getSession('nope'), undefined);
      });

      it('takes meta from the first batch that carries one', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [10]));
        const before = await store.getSession('s1');
        assert.equal(before?.meta.url, '');
        assert.equal(before?.meta.userAgent, '');
        await store.append(batch('s1', 'w1', 2, [20], { meta: META }));
        await store.append(batch('s1', 'w2', 1, [30], { meta: OTHER_META }));
        assert.deepEqual((await store.getSession('s1'))?.meta, META);
      });

      it('collects pages from digests: consecutive repeats collapsed, at most 100', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [1], { digest: { pages: ['/a', '/a', '/b'] } }));
        await store.append(batch('s1', 'w1', 2, [2], { digest: { pages: ['/b', '/c', '/a'] } }));
        assert.deepEqual((await store.getSession('s1'))?.pages, ['/a', '/b', '/c', '/a']);
        const many = Array.from({ length: 120 }, (_, i) => `/p${i}`);
        await store.append(batch('s1', 'w1', 3, [3], { digest: { pages: many } }));
        const pages = (await store.getSession('s1'))?.pages ?? [];
        assert.equal(pages.length, 100);
        assert.deepEqual(pages.slice(0, 5), ['/a', '/b', '/c', '/a', '/p0']);
        assert.equal(pages[99], '/p95');
      });

      it('sums errors and dropped events from digests', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [1], { digest: { errors: 2, dropped: 10 } }));
        await store.append(batch('s1', 'w2', 1, [2], { digest: { errors: 1 } }));
        await store.append(batch('s1', 'w2', 2, [3], { digest: { dropped: 5 } }));
        const record = await store.getSession('s1');
        assert.equal(record?.errorCount, 3);
        assert.equal(record?.droppedEvents, 15);
      });

      it('sums the batches\' bytes as received into byteCount, counting a re-send once, across a reopen', async () => {
        const store = await opened();
        await store.append({ ...batch('s1', 'w1', 1, [1]), bytes: 1_000 });
        await store.append({ ...batch('s1', 'w2', 1, [2]), bytes: 250 });
        await store.append({ ...batch('s1', 'w1', 1, [1]), bytes: 1_000 });
        await store.append(batch('s1', 'w1', 2, [3]));
        assert.equal((await store.getSession('s1'))?.byteCount, 1_250);
        assert.equal((await store.listSessions()).sessions[0]?.byteCount, 1_250);
        await store.close();
        if (!options.reopen) return;
        const again = await options.reopen(store);
        created.push(again);
        await again.open();
        assert.equal((await again.getSession('s1'))?.byteCount, 1_250);
      });

      it('stores and counts a batch without events', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [100, 200]));
        assert.deepEqual(await store.append({ sessionId: 's1', windowId: 'w1', seq: 2, events: [], receivedAt: 900 }), { stored: true, ackedSeq: 2 });
        const record = await store.getSession('s1');
        assert.equal(record?.eventCount, 2);
        assert.equal(record?.batchCount, 2);
        assert.equal(record?.startedAt, 100);
        assert.equal(record?.lastEventAt, 200);
        assert.equal(record?.lastReceivedAt, 900);
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w1:1', 'w1:2']);
      });

      it('hands out copies: changing what was appended or returned changes nothing stored', async () => {
        const store = await opened();
        const input = batch('s1', 'w1', 1, [10, 20], { meta: { ...META }, digest: { pages: ['/x'] } });
        await store.append(input);
        input.events[0].timestamp = 999;
        (input.meta as SessionMeta).url = 'changed';
        const record = await store.getSession('s1') as SessionRecord;
        record.windows.push('w9');
        record.pages.push('/y');
        record.meta.url = 'changed';
        const again = await store.getSession('s1');
        assert.deepEqual(again?.windows, ['w1']);
        assert.deepEqual(again?.pages, ['/x']);
        assert.equal(again?.meta.url, META.url);
        const [read] = await collect(store.readBatches('s1'));
        assert.equal(read.events[0].timestamp, 10);
      });
    });

    describe('idempotency', () => {
      it('re-appending a stored batch returns stored:false and changes nothing', async () => {
        const store = await opened();
        const first = batch('s1', 'w1', 1, [10, 20], { meta: META, digest: { pages: ['/a'], errors: 1 } });
        await store.append(first);
        await store.append(batch('s1', 'w1', 2, [30]));
        const before = await store.getSession('s1');
        const resent = batch('s1', 'w1', 1, [5, 6, 7], { receivedAt: 99_999, meta: OTHER_META, digest: { pages: ['/z'], errors: 4, dropped: 3 } });
        assert.deepEqual(await store.append(resent), { stored: false, ackedSeq: 2 });
        assert.deepEqual(await store.append(batch('s1', 'w1', 2, [30])), { stored: false, ackedSeq: 2 });
        assert.deepEqual(await store.getSession('s1'), before);
        const read = await collect(store.readBatches('s1'));
        assert.deepEqual(order(read), ['w1:1', 'w1:2']);
        assert.deepEqual(read[0].events, first.events);
      });

      it('re-appending a batch stored above a hole is also a no-op', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 3, [30]));
        assert.deepEqual(await store.append(batch('s1', 'w1', 3, [31])), { stored: false, ackedSeq: 0 });
        assert.equal((await store.getSession('s1'))?.batchCount, 1);
      });

      it('concurrent appends of the same batch store it once', async () => {
        const store = await opened();
        const results = await Promise.all(Array.from({ length: 6 }, () => store.append(batch('s1', 'w1', 1, [10, 11]))));
        assert.equal(results.filter((r) => r.stored).length, 1);
        assert.ok(results.every((r) => r.ackedSeq === 1));
        const record = await store.getSession('s1');
        assert.equal(record?.batchCount, 1);
        assert.equal(record?.eventCount, 2);
        assert.equal((await collect(store.readBatches('s1'))).length, 1);
      });
    });

    describe('out-of-order seqs and ackedSeq', () => {
      it('accepts seqs out of order; ackedSeq is the contiguous prefix', async () => {
        const store = await opened();
        const acked = async (seq: number) => (await store.append(batch('s1', 'w1', seq, [seq * 10]))).ackedSeq;
        assert.equal(await acked(1), 1);
        assert.equal(await acked(3), 1);
        assert.equal(await acked(5), 1);
        assert.equal(await store.ackedSeq('s1', 'w1'), 1);
        assert.equal(await acked(2), 3);
        assert.equal(await store.ackedSeq('s1', 'w1'), 3);
        assert.equal(await acked(4), 5);
        assert.equal(await store.ackedSeq('s1', 'w1'), 5);
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w1:1', 'w1:2', 'w1:3', 'w1:4', 'w1:5']);
        assert.equal((await store.getSession('s1'))?.batchCount, 5);
      });

      it('keeps a hole: batches above it are stored and read, ackedSeq stays below it', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 2, [20]));
        await store.append(batch('s1', 'w1', 4, [40]));
        assert.equal(await store.ackedSeq('s1', 'w1'), 0);
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w1:2', 'w1:4']);
      });

      it('ackedSeq is 0 for an unknown session or window, and windows are independent', async () => {
        const store = await opened();
        assert.equal(await store.ackedSeq('nobody', 'w1'), 0);
        await store.append(batch('s1', 'w1', 1, [1]));
        await store.append(batch('s1', 'w1', 2, [2]));
        await store.append(batch('s1', 'w2', 1, [3]));
        assert.equal(await store.ackedSeq('s1', 'w1'), 2);
        assert.equal(await store.ackedSeq('s1', 'w2'), 1);
        assert.equal(await store.ackedSeq('s1', 'w3'), 0);
        assert.equal(await store.ackedSeq('s2', 'w1'), 0);
      });
    });

    describe('scale', () => {
      it('keeps 20,000 holes: one-event batches with only even seqs read back in order, and the holes close', async function () {
        this.timeout(600_000);
        const store = await opened();
        const n = 20_000;
        for (let i = 1; i <= n; i += 100) {
          const results = await Promise.all(Array.from({ length: 100 }, (_, k) => store.append(batch('s1', 'w1', 2 * (i + k), [2 * (i + k)]))));
          assert.ok(results.every((r) => r.stored && r.ackedSeq === 0), `appends ${i}…${i + 99}`);
        }
        assert.equal(await store.ackedSeq('s1', 'w1'), 0);
        assert.deepEqual(await store.append(batch('s1', 'w1', 2 * n, [0])), { stored: false, ackedSeq: 0 });
        const read = await collect(store.readBatchesJson('s1'));
        assert.equal(read.length, n);
        read.forEach((b, i) => assert.equal(b.seq, 2 * (i + 1), `batch ${i}`));
        assert.deepEqual(JSON.parse(read[n - 1].eventsJson), events([2 * n], `w1:${2 * n}`));
        assert.deepEqual(order(await collect(store.readBatches('s1', { after: { w1: 2 * n - 3 } }))), [`w1:${2 * n - 2}`, `w1:${2 * n}`]);
        assert.deepEqual(await store.append(batch('s1', 'w1', 1, [1])), { stored: true, ackedSeq: 2 });
        assert.deepEqual(await store.append(batch('s1', 'w1', 3, [3])), { stored: true, ackedSeq: 4 });
        const record = await store.getSession('s1');
        assert.equal(record?.batchCount, n + 2);
        assert.equal(record?.eventCount, n + 2);
      });

      it('keeps thousands of windows: the record lists the first 100 and counts all, every window reads back, and the store closes', async function () {
        this.timeout(600_000);
        const store = await opened();
        const count = 3_000;
        for (let i = 0; i < count; i++) await store.append(batch('s1', `w${i}`, 1, [10_000 + i]));
        const record = await store.getSession('s1') as SessionRecord;
        assert.equal(record.windowCount, count);
        assert.deepEqual(record.windows, Array.from({ length: MAX_LISTED_WINDOWS }, (_, i) => `w${i}`));
        assert.equal(record.batchCount, count);
        assert.deepEqual((await store.listSessions({})).sessions, [record]);
        assert.deepEqual(await store.append(batch('s1', `w${count - 1}`, 1, [0])), { stored: false, ackedSeq: 1 });
        assert.deepEqual(await store.append(batch('s1', `w${count - 1}`, 2, [20_000])), { stored: true, ackedSeq: 2 });
        assert.equal(await store.ackedSeq('s1', `w${count - 1}`), 2);
        const read = order(await collect(store.readBatches('s1')));
        assert.deepEqual(read, [...Array.from({ length: count }, (_, i) => `w${i}:1`), `w${count - 1}:2`]);
        assert.deepEqual(order(await collect(store.readBatches('s1', { windowId: 'w2500' }))), ['w2500:1']);
        await store.close();
        assert.equal(store.status, 'closed');
        if (!options.reopen) return;
        const again = await options.reopen(store);
        created.push(again);
        await again.open();
        assert.deepEqual(order(await collect(again.readBatches('s1'))), read);
        assert.deepEqual(await again.append(batch('s1', 'w7', 2, [30_000])), { stored: true, ackedSeq: 2 });
      });
    });

    describe('concurrency', () => {
      it('concurrent appends across sessions and windows lose no update', async () => {
        const store = await opened();
        const sessions = ['c1', 'c2', 'c3', 'c4'];
        const windows = ['wa', 'wb', 'wc'];
        const seqs = 15;
        const all: BatchInput[] = [];
        for (const s of sessions) for (const w of windows) for (let q = 1; q <= seqs; q++) {
          all.push(batch(s, w, q, [q * 1_000, q * 1_000 + 1], { digest: { errors: 1, dropped: 2, pages: [`/${w}`] } }));
        }
        const results = await Promise.all(shuffle(all, 7).map((b) => store.append(b)));
        assert.ok(results.every((r) => r.stored));
        for (const s of sessions) {
          const record = await store.getSession(s) as SessionRecord;
          assert.equal(record.batchCount, windows.length * seqs, `${s} batchCount`);
          assert.equal(record.eventCount, windows.length * seqs * 2, `${s} eventCount`);
          assert.equal(record.errorCount, windows.length * seqs, `${s} errorCount`);
          assert.equal(record.droppedEvents, windows.length * seqs * 2, `${s} droppedEvents`);
          assert.deepEqual([...record.windows].sort(), windows);
          assert.equal(record.startedAt, 1_000);
          assert.equal(record.lastEventAt, seqs * 1_000 + 1);
          for (const w of windows) assert.equal(await store.ackedSeq(s, w), seqs, `${s}/${w} ackedSeq`);
          const read = await collect(store.readBatches(s));
          assert.equal(read.length, windows.length * seqs);
          for (const w of windows) {
            assert.deepEqual(read.filter((b) => b.windowId === w).map((b) => b.seq), Array.from({ length: seqs }, (_, i) => i + 1));
          }
        }
        const listed = await listAll(store, { limit: 3 });
        assert.deepEqual([...listed.ids].sort(), sessions);
      });
    });

    describe('readBatches', () => {
      async function twoWindows(store: Store): Promise<void> {
        await store.append(batch('s1', 'w1', 1, [100, 110]));
        await store.append(batch('s1', 'w1', 2, [300, 310]));
        await store.append(batch('s1', 'w2', 1, [200, 210]));
        await store.append(batch('s1', 'w2', 2, [400]));
      }

      it('merges windows by each batch\'s first event timestamp', async () => {
        const store = await opened();
        await twoWindows(store);
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w1:1', 'w2:1', 'w1:2', 'w2:2']);
      });

      it('keeps each window in seq order even when its timestamps go back', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [500]));
        await store.append(batch('s1', 'w1', 2, [100]));
        await store.append(batch('s1', 'w2', 1, [300]));
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w2:1', 'w1:1', 'w1:2']);
      });

      it('sorts a batch without events by its receivedAt', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [100]));
        await store.append(batch('s1', 'w1', 2, [200]));
        await store.append({ sessionId: 's1', windowId: 'w2', seq: 1, events: [], receivedAt: 150 });
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w1:1', 'w2:1', 'w1:2']);
      });

      it('`after` skips the seqs up to the given one, per window', async () => {
        const store = await opened();
        await twoWindows(store);
        assert.deepEqual(order(await collect(store.readBatches('s1', { after: { w1: 1 } }))), ['w2:1', 'w1:2', 'w2:2']);
        assert.deepEqual(order(await collect(store.readBatches('s1', { after: { w1: 2, w2: 1 } }))), ['w2:2']);
        assert.deepEqual(order(await collect(store.readBatches('s1', { after: { w1: 9, w2: 9 } }))), []);
        assert.deepEqual(order(await collect(store.readBatches('s1', { after: { other: 5 } }))), ['w1:1', 'w2:1', 'w1:2', 'w2:2']);
      });

      it('`windowId` reads one window, also with `after`', async () => {
        const store = await opened();
        await twoWindows(store);
        assert.deepEqual(order(await collect(store.readBatches('s1', { windowId: 'w2' }))), ['w2:1', 'w2:2']);
        assert.deepEqual(order(await collect(store.readBatches('s1', { windowId: 'w1', after: { w1: 1, w2: 0 } }))), ['w1:2']);
        assert.deepEqual(order(await collect(store.readBatches('s1', { windowId: 'w3' }))), []);
      });

      it('reads nothing for an unknown session', async () => {
        const store = await opened();
        await twoWindows(store);
        assert.deepEqual(await collect(store.readBatches('s2')), []);
      });

      it('reads across many seqs in order (past any one read-ahead chunk)', async () => {
        const store = await opened();
        const seqs = 300;
        await Promise.all(Array.from({ length: seqs }, (_, i) => store.append(batch('long', 'w1', i + 1, [i * 10, i * 10 + 5]))));
        const read = await collect(store.readBatches('long'));
        assert.deepEqual(read.map((b) => b.seq), Array.from({ length: seqs }, (_, i) => i + 1));
        assert.deepEqual(read[seqs - 1].events, events([(seqs - 1) * 10, (seqs - 1) * 10 + 5], `w1:${seqs}`));
      });

      it('readBatchesJson gives the same batches in the same order, each with its events as JSON text', async () => {
        const store = await opened();
        await twoWindows(store);
        await store.append(batch('s1', 'w3', 1, [50]));
        await store.append(batch('s1', 'w3', 2, [20]));
        await store.append({ sessionId: 's1', windowId: 'w4', seq: 1, events: [], receivedAt: 250 });
        for (const options of [undefined, { after: { w1: 1 } }, { windowId: 'w2' }, { windowId: 'w3', after: { w3: 1 } }, { after: { w1: 9, w2: 9, w3: 9, w4: 9 } }] as (ReadOptions | undefined)[]) {
          const batches = await collect(store.readBatches('s1', options));
          const texts = await collect(store.readBatchesJson('s1', options));
          assert.deepEqual(order(texts), order(batches), JSON.stringify(options));
          assert.deepEqual(texts.map((b) => ({ ...b, events: JSON.parse(b.eventsJson) as unknown })), batches.map((b) => ({
            sessionId: b.sessionId, windowId: b.windowId, seq: b.seq, receivedAt: b.receivedAt, events: b.events,
            eventsJson: texts.find((t) => t.windowId === b.windowId && t.seq === b.seq)?.eventsJson, time: b.events[0]?.timestamp ?? b.receivedAt,
          })));
        }
        assert.deepEqual(await collect(store.readBatchesJson('nobody')), []);
      });

      it('a consumer may stop early; the store stays usable and closes', async () => {
        const store = await opened();
        await twoWindows(store);
        for await (const b of store.readBatches('s1')) {
          assert.equal(b.seq, 1);
          break;
        }
        assert.equal((await collect(store.readBatches('s1'))).length, 4);
        await store.close();
        assert.equal(store.status, 'closed');
      });
    });

    describe('listSessions', () => {
      const specs: SessionSpec[] = [
        { id: 'alpha', start: 10_000, end: 70_000, url: 'https://shop.test/Checkout', errors: 2 },
        { id: 'bravo', start: 20_000, end: 21_000, url: 'https://shop.test/home' },
        { id: 'charlie', start: 30_000, end: 200_000, url: 'https://shop.test/cart', errors: 1 },
        { id: 'delta', start: 40_000, end: 40_500, url: 'https://blog.test/post' },
        { id: 'echo', start: 40_000, end: 90_000, url: 'https://shop.test/checkout/pay' },
      ];
      const seeded = async (): Promise<Store> => {
        const store = await opened();
        for (const spec of specs) await seed(store, spec);
        return store;
      };
      const ids = async (store: Store, options: ListOptions = {}): Promise<string[]> => (await store.listSessions(options)).sessions.map((s) => s.id);

      it('lists newest startedAt first, ties by id, with full records', async () => {
        const store = await seeded();
        const page = await store.listSessions({});
        assert.deepEqual(page.sessions.map((s) => s.id), ['delta', 'echo', 'charlie', 'bravo', 'alpha']);
        assert.equal(page.next, undefined);
        assert.deepEqual(page.sessions[4], await store.getSession('alpha'));
      });

      it('lists nothing when empty', async () => {
        const store = await opened();
        assert.deepEqual(await store.listSessions({}), { sessions: [] });
        assert.deepEqual(await store.listSessions(), { sessions: [] });
      });

      it('filters by time: `from` on lastEventAt, `to` on startedAt', async () => {
        const store = await seeded();
        assert.deepEqual(await ids(store, { from: 80_000 }), ['echo', 'charlie']);
        assert.deepEqual(await ids(store, { to: 30_000 }), ['charlie', 'bravo', 'alpha']);
        assert.deepEqual(await ids(store, { from: 21_001, to: 39_999 }), ['charlie', 'alpha']);
        assert.deepEqual(await ids(store, { to: 9_999 }), []);
      });

      it('filters by url text, case-insensitively', async () => {
        const store = await seeded();
        assert.deepEqual(await ids(store, { urlContains: 'CHECKOUT' }), ['echo', 'alpha']);
        assert.deepEqual(await ids(store, { urlContains: 'blog.test' }), ['delta']);
        assert.deepEqual(await ids(store, { urlContains: 'nowhere' }), []);
      });

      it('filters by hasErrors', async () => {
        const store = await seeded();
        assert.deepEqual(await ids(store, { hasErrors: true }), ['charlie', 'alpha']);
        assert.deepEqual(await ids(store, { hasErrors: false }), ['delta', 'echo', 'bravo']);
      });

      it('filters by minDurationMs', async () => {
        const store = await seeded();
        assert.deepEqual(await ids(store, { minDurationMs: 50_000 }), ['echo', 'charlie', 'alpha']);
        assert.deepEqual(await ids(store, { minDurationMs: 60_000 }), ['charlie', 'alpha']);
        assert.deepEqual(await ids(store, { minDurationMs: 1_000, hasErrors: false }), ['echo', 'bravo']);
      });

      it('pages with limit and cursor, with no duplicate and no miss', async () => {
        const store = await opened();
        const all = Array.from({ length: 23 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, start: 1_000 + (i % 7) * 100, end: 5_000 + i, errors: i % 3 === 0 ? 1 : 0 }));
        for (const spec of shuffle(all, 3)) await seed(store, spec);
        const expected = [...all].sort((a, b) => b.start - a.start || (a.id < b.id ? -1 : 1)).map((s) => s.id);
        const paged = await listAll(store, { limit: 5 });
        assert.deepEqual(paged.ids, expected);
        assert.equal(paged.pages, 5);
        const withErrors = await listAll(store, { limit: 2, hasErrors: true });
        assert.deepEqual(withErrors.ids, expected.filter((id) => Number(id.slice(1)) % 3 === 0));
        const one = await listAll(store, { limit: 1, to: 1_300 });
        assert.deepEqual(one.ids, expected.filter((id) => all.find((s) => s.id === id)!.start <= 1_300));
      });

      it('a page is 50 by default and at most 500', async () => {
        const store = await opened();
        await Promise.all(Array.from({ length: 501 }, (_, i) => store.append(batch(`m${i}`, 'w1', 1, [i]))));
        const first = await store.listSessions({});
        assert.equal(first.sessions.length, 50);
        assert.equal(typeof first.next, 'string');
        const big = await store.listSessions({ limit: 10_000 });
        assert.equal(big.sessions.length, 500);
        assert.equal(typeof big.next, 'string');
        const rest = await store.listSessions({ limit: 10_000, cursor: big.next });
        assert.deepEqual(rest.sessions.map((s) => s.id), ['m0']);
        assert.equal(rest.next, undefined);
      });

      it('follows startedAt when an earlier batch arrives later', async () => {
        const store = await opened();
        await store.append(batch('late', 'w1', 2, [50_000]));
        await store.append(batch('mid', 'w1', 1, [30_000]));
        assert.deepEqual(await ids(store), ['late', 'mid']);
        await store.append(batch('late', 'w1', 1, [10_000]));
        assert.equal((await store.getSession('late'))?.startedAt, 10_000);
        assert.deepEqual(await ids(store), ['mid', 'late']);
        assert.deepEqual(await ids(store, { to: 20_000 }), ['late']);
      });
    });

    describe('deleteSession', () => {
      it('removes the session, its batches, its listing and its acked state', async () => {
        const store = await opened();
        for (const seq of [1, 2, 4]) await store.append(batch('gone', 'w1', seq, [seq * 10]));
        await store.append(batch('gone', 'w2', 1, [15]));
        await store.append(batch('kept', 'w1', 1, [5]));
        const kept = await store.getSession('kept');
        assert.equal(await store.deleteSession('gone'), true);
        assert.equal(await store.getSession('gone'), undefined);
        assert.deepEqual(await collect(store.readBatches('gone')), []);
        assert.deepEqual(await collect(store.readBatches('gone', { windowId: 'w1' })), []);
        assert.deepEqual((await store.listSessions({})).sessions.map((s) => s.id), ['kept']);
        assert.equal(await store.ackedSeq('gone', 'w1'), 0);
        assert.equal(await store.ackedSeq('gone', 'w2'), 0);
        assert.deepEqual(await store.getSession('kept'), kept);
        assert.equal((await collect(store.readBatches('kept'))).length, 1);
        assert.equal(await store.deleteSession('gone'), false);
      });

      it('returns false for an unknown session', async () => {
        const store = await opened();
        assert.equal(await store.deleteSession('never'), false);
      });

      it('a deleted session is recorded again from scratch', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [10], { digest: { errors: 3 } }));
        await store.append(batch('s1', 'w1', 2, [20]));
        await store.deleteSession('s1');
        assert.deepEqual(await store.append(batch('s1', 'w1', 2, [500])), { stored: true, ackedSeq: 0 });
        const record = await store.getSession('s1');
        assert.equal(record?.batchCount, 1);
        assert.equal(record?.errorCount, 0);
        assert.equal(record?.startedAt, 500);
        assert.deepEqual(order(await collect(store.readBatches('s1'))), ['w1:2']);
      });

      it('does not touch a session whose id starts with the deleted one\'s', async () => {
        const store = await opened();
        await store.append(batch('ab', 'w1', 1, [1]));
        await store.append(batch('ab-c', 'w1', 1, [2]));
        await store.append(batch('abc', 'w1', 1, [3]));
        await store.deleteSession('ab');
        assert.equal((await collect(store.readBatches('ab-c'))).length, 1);
        assert.equal((await collect(store.readBatches('abc'))).length, 1);
        assert.equal(await store.ackedSeq('abc', 'w1'), 1);
      });
    });

    describe('errors', () => {
      it('starts a group with the first occurrence and reads it back with its session and occurrence', async () => {
        const store = await opened();
        const occ = occurrence('g1', 1_000, { sessionId: 's1', windowId: 'w1', url: 'https://shop.test/cart', user: { id: 'u1' }, tags: { plan: 'pro' }, release: '1.2.3' });
        const result = await store.recordError(occ);
        assert.equal(result.created, true);
        assert.equal(result.regressed, false);
        assert.deepEqual(result.group, {
          id: 'g1', name: 'TypeError', message: 'total of undefined in g1', origin: 'browser', status: 'unresolved', count: 1, sessionCount: 1,
          firstSeen: 1_000, lastSeen: 1_000, culprit: occ.frames[1],
        });
        const detail = await store.getErrorGroup('g1');
        assert.deepEqual(detail, { ...result.group, sessions: [{ sessionId: 's1', count: 1, firstSeen: 1_000, lastSeen: 1_000 }], occurrences: [occ] });
        assert.equal(await store.getErrorGroup('nope'), undefined);
      });

      it('counts occurrences: first and last seen, the culprit of the latest, sessions with the times in each', async () => {
        const store = await opened();
        await store.recordError(occurrence('g1', 2_000, { sessionId: 's1' }));
        await store.recordError(occurrence('g1', 1_000, { sessionId: 's1' }));
        const latest = occurrence('g1', 5_000, { sessionId: 's2', frames: [{ function: 'pay', file: 'https://shop.test/app.min.js', line: 1, column: 9, inApp: true }] });
        await store.recordError(latest);
        const last = await store.recordError(occurrence('g1', 3_000));
        assert.equal(last.created, false);
        const g = last.group;
        assert.equal(g.count, 4);
        assert.equal(g.sessionCount, 2, 'an occurrence without a session counts no session');
        assert.equal(g.firstSeen, 1_000);
        assert.equal(g.lastSeen, 5_000);
        assert.deepEqual(g.culprit, latest.frames[0]);
        const detail = await store.getErrorGroup('g1');
        assert.deepEqual(detail?.sessions, [
          { sessionId: 's2', count: 1, firstSeen: 5_000, lastSeen: 5_000 },
          { sessionId: 's1', count: 2, firstSeen: 1_000, lastSeen: 2_000 },
        ]);
        assert.deepEqual(detail?.occurrences.map((o) => o.timestamp), [5_000, 3_000, 2_000, 1_000], 'newest first');
        assert.deepEqual((await store.getErrorGroup('g1', { occurrences: 2, sessions: 1 }))?.occurrences.map((o) => o.timestamp), [5_000, 3_000]);
        assert.equal((await store.getErrorGroup('g1', { sessions: 1 }))?.sessions.length, 1);
      });

      it('resolved turns regressed on a new occurrence; ignored stays ignored; a status change on an unknown group is undefined', async () => {
        const store = await opened();
        await store.recordError(occurrence('g1', 1_000));
        await store.recordError(occurrence('g2', 1_000));
        const resolved = await store.setErrorStatus('g1', 'resolved', 1_500);
        assert.equal(resolved?.status, 'resolved');
        assert.equal(resolved?.statusChangedAt, 1_500);
        assert.equal((await store.getErrorGroup('g1'))?.status, 'resolved');
        const again = await store.recordError(occurrence('g1', 2_000));
        assert.equal(again.regressed, true);
        assert.equal(again.created, false);
        assert.equal(again.group.status, 'regressed');
        assert.equal(again.group.regressedAt, 2_005);
        assert.equal(again.group.count, 2);
        const still = await store.recordError(occurrence('g1', 3_000));
        assert.equal(still.regressed, false, 'regressed once');
        assert.equal(still.group.status, 'regressed');
        await store.setErrorStatus('g2', 'ignored');
        const ignored = await store.recordError(occurrence('g2', 2_000));
        assert.equal(ignored.group.status, 'ignored');
        assert.equal(ignored.regressed, false);
        assert.equal((await store.setErrorStatus('g1', 'unresolved'))?.status, 'unresolved');
        assert.equal(await store.setErrorStatus('nope', 'resolved'), undefined);
      });

      it('counts linked occurrences in the session\'s errorCount, also those recorded before its first batch', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [100], { meta: META }));
        await store.recordError(occurrence('g1', 150, { sessionId: 's1' }));
        await store.recordError(occurrence('g1', 160, { sessionId: 's1' }));
        await store.recordError(occurrence('g2', 120, { sessionId: 's1' }));
        assert.equal((await store.getSession('s1'))?.errorCount, 3);
        await store.recordError(occurrence('g1', 50, { sessionId: 'early' }));
        assert.equal(await store.getSession('early'), undefined, 'an occurrence creates no session');
        await store.append(batch('early', 'w1', 1, [60]));
        assert.equal((await store.getSession('early'))?.errorCount, 1);
        await store.append(batch('clean', 'w1', 1, [70]));
        assert.deepEqual((await store.listSessions({ hasErrors: true })).sessions.map((s) => s.id).sort(), ['early', 's1']);
        assert.deepEqual(await store.sessionErrors('s1'), [
          { groupId: 'g2', count: 1, firstSeen: 120, lastSeen: 120 },
          { groupId: 'g1', count: 2, firstSeen: 150, lastSeen: 160 },
        ]);
        assert.deepEqual(await store.sessionErrors('clean'), []);
        assert.deepEqual(await store.sessionErrors('unknown'), []);
      });

      it('lists groups most recently seen first, with status, session and text filters and cursor paging', async () => {
        const store = await opened();
        for (let i = 0; i < 12; i++) await store.recordError(occurrence(`g${i}`, 1_000 + i * 10, { sessionId: i % 3 === 0 ? 'sa' : 'sb' }));
        await store.recordError(occurrence('g0', 5_000, { sessionId: 'sa', message: 'Cart total is NaN' }));
        const all = await groupIds(store, { limit: 5 });
        assert.deepEqual(all, ['g0', 'g11', 'g10', 'g9', 'g8', 'g7', 'g6', 'g5', 'g4', 'g3', 'g2', 'g1']);
        assert.deepEqual((await store.listErrorGroups()).groups.length, 12);
        const first = await store.listErrorGroups({ limit: 12 });
        assert.equal(first.next, undefined, 'no next when nothing more matches');
        await store.setErrorStatus('g4', 'resolved');
        await store.setErrorStatus('g7', 'resolved');
        assert.deepEqual(await groupIds(store, { status: 'resolved', limit: 1 }), ['g7', 'g4']);
        assert.deepEqual(await groupIds(store, { status: 'unresolved' }), all.filter((id) => id !== 'g4' && id !== 'g7'));
        assert.deepEqual(await groupIds(store, { sessionId: 'sa', limit: 2 }), ['g0', 'g9', 'g6', 'g3']);
        assert.deepEqual(await groupIds(store, { sessionId: 'sa', status: 'resolved' }), []);
        assert.deepEqual(await groupIds(store, { sessionId: 'nobody' }), []);
        assert.deepEqual(await groupIds(store, { query: 'in g1' }), ['g11', 'g10', 'g1']);
        assert.deepEqual(await groupIds(store, { query: 'CHECKOUT.TS' }), all, 'the culprit\'s original file matches');
        assert.deepEqual(await groupIds(store, { query: 'typeerror', limit: 3 }), all);
      });

      it('keeps the newest occurrences up to the limit while the count goes on', async () => {
        const store = await opened();
        const total = MAX_OCCURRENCES_KEPT + 5;
        for (let i = 0; i < total; i++) await store.recordError(occurrence('g1', 10_000 + (i === 3 ? -5_000 : i)));
        await store.recordError(occurrence('g1', 1));
        const detail = await store.getErrorGroup('g1', { occurrences: 1_000 });
        assert.equal(detail?.count, total + 1);
        assert.equal(detail?.occurrences.length, MAX_OCCURRENCES_KEPT);
        assert.equal(detail?.occurrences[0].timestamp, 10_000 + total - 1);
        assert.ok(detail!.occurrences.every((o) => o.timestamp >= 10_000), 'the oldest are the ones dropped');
        assert.equal(detail?.firstSeen, 1);
      });

      it('concurrent occurrences of one group and one session lose no update', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [1]));
        const n = 40;
        await Promise.all(Array.from({ length: n }, (_, i) => store.recordError(occurrence(i % 2 ? 'g1' : 'g2', 100 + i, { sessionId: i % 4 < 2 ? 's1' : 's2' }))));
        const [g1, g2] = [await store.getErrorGroup('g1'), await store.getErrorGroup('g2')];
        assert.equal((g1?.count ?? 0) + (g2?.count ?? 0), n);
        assert.equal(g1?.sessionCount, 2);
        assert.equal((await store.getSession('s1'))?.errorCount, n / 2);
        const entries = await store.sessionErrors('s1');
        assert.equal(entries.reduce((sum, e) => sum + e.count, 0), n / 2);
      });

      it('deleting a session forgets its error entries and takes it out of its groups, which stay', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [1]));
        await store.recordError(occurrence('g1', 10, { sessionId: 's1' }));
        await store.recordError(occurrence('g1', 20, { sessionId: 's2' }));
        await store.deleteSession('s1');
        assert.deepEqual(await store.sessionErrors('s1'), []);
        const g = await store.getErrorGroup('g1');
        assert.equal(g?.count, 2);
        assert.equal(g?.sessionCount, 1);
        assert.deepEqual(g?.sessions.map((s) => s.sessionId), ['s2']);
        assert.deepEqual(await groupIds(store, { sessionId: 's1' }), []);
        await store.append(batch('s1', 'w1', 1, [30]));
        assert.equal((await store.getSession('s1'))?.errorCount, 0);
      });

      it('stores source maps by file, replacing an earlier one', async () => {
        const store = await opened();
        assert.equal(await store.getSourceMap('/assets/app.min.js'), undefined);
        await store.putSourceMap('/assets/app.min.js', '{"version":3,"mappings":"A"}');
        await store.putSourceMap('/assets/other.js', '{"version":3,"mappings":"B"}');
        await store.putSourceMap('/assets/app.min.js', '{"version":3,"mappings":"C"}');
        assert.equal(await store.getSourceMap('/assets/app.min.js'), '{"version":3,"mappings":"C"}');
        assert.equal(await store.getSourceMap('/assets/other.js'), '{"version":3,"mappings":"B"}');
      });

      it('hands out copies of groups and occurrences', async () => {
        const store = await opened();
        const occ = occurrence('g1', 1, { tags: { a: 'b' } });
        const result = await store.recordError(occ);
        occ.frames[0].function = 'changed';
        occ.tags!.a = 'changed';
        result.group.count = 99;
        const detail = await store.getErrorGroup('g1');
        assert.equal(detail?.count, 1);
        assert.equal(detail?.occurrences[0].frames[0].function, 'lib');
        assert.equal(detail?.occurrences[0].tags?.a, 'b');
      });
    });

    describe('invalid arguments', () => {
      it('every call rejects bad arguments with STORE_INVALID_ARGUMENT and stores nothing', async () => {
        const store = await opened();
        const ok = batch('s1', 'w1', 1, [1]);
        const bad = (v: unknown) => v as never;
        const cases: [string, () => Promise<unknown>][] = [
          ['append(null)', () => store.append(bad(null))],
          ['append: bad sessionId', () => store.append({ ...ok, sessionId: 'a b' })],
          ['append: empty windowId', () => store.append({ ...ok, windowId: '' })],
          ['append: windowId too long', () => store.append({ ...ok, windowId: 'w'.repeat(65) })],
          ['append: seq 0', () => store.append({ ...ok, seq: 0 })],
          ['append: seq 1.5', () => store.append({ ...ok, seq: 1.5 })],
          ['append: events not an array', () => store.append({ ...ok, events: bad({}) })],
          ['append: event without timestamp', () => store.append({ ...ok, events: bad([{ type: 3 }]) })],
          ['append: event with a string type', () => store.append({ ...ok, events: bad([{ type: 'x', timestamp: 1 }]) })],
          ['append: receivedAt NaN', () => store.append({ ...ok, receivedAt: Number.NaN })],
          ['append: meta without userAgent', () => store.append({ ...ok, meta: bad({ url: 'u', startedAt: 1 }) })],
          ['append: digest errors -1', () => store.append({ ...ok, digest: { errors: -1 } })],
          ['append: digest pages not strings', () => store.append({ ...ok, digest: bad({ pages: [1] }) })],
          ['append: bytes -1', () => store.append({ ...ok, bytes: -1 })],
          ['append: bytes 1.5', () => store.append({ ...ok, bytes: 1.5 })],
          ['ackedSeq: bad sessionId', () => store.ackedSeq('../x', 'w1')],
          ['ackedSeq: missing windowId', () => store.ackedSeq('s1', bad(undefined))],
          ['getSession: number', () => store.getSession(bad(5))],
          ['listSessions: not an object', () => store.listSessions(bad('all'))],
          ['listSessions: limit 0', () => store.listSessions({ limit: 0 })],
          ['listSessions: limit 2.5', () => store.listSessions({ limit: 2.5 })],
          ['listSessions: from a string', () => store.listSessions({ from: bad('yesterday') })],
          ['listSessions: hasErrors a string', () => store.listSessions({ hasErrors: bad('yes') })],
          ['listSessions: minDurationMs negative', () => store.listSessions({ minDurationMs: -1 })],
          ['listSessions: cursor garbage', () => store.listSessions({ cursor: '%%not-a-cursor%%' })],
          ['listSessions: empty cursor', () => store.listSessions({ cursor: '' })],
          ['readBatches: bad sessionId', () => collect(store.readBatches('a/b'))],
          ['readBatches: after negative', () => collect(store.readBatches('s1', { after: { w1: -1 } }))],
          ['readBatches: after with a bad window id', () => collect(store.readBatches('s1', { after: { 'a b': 1 } }))],
          ['readBatches: bad windowId', () => collect(store.readBatches('s1', { windowId: 'x y' }))],
          ['deleteSession: bad id', () => store.deleteSession('a b')],
          ['recordError(null)', () => store.recordError(bad(null))],
          ['recordError: bad groupId', () => store.recordError({ ...occurrence('g1', 1), groupId: 'a b' })],
          ['recordError: no frames', () => store.recordError({ ...occurrence('g1', 1), frames: bad(undefined) })],
          ['recordError: bad origin', () => store.recordError({ ...occurrence('g1', 1), origin: bad('mars') })],
          ['recordError: timestamp NaN', () => store.recordError({ ...occurrence('g1', Number.NaN) })],
          ['recordError: bad sessionId', () => store.recordError({ ...occurrence('g1', 1), sessionId: '../x' })],
          ['listErrorGroups: bad status', () => store.listErrorGroups({ status: bad('open') })],
          ['listErrorGroups: limit 0', () => store.listErrorGroups({ limit: 0 })],
          ['listErrorGroups: cursor garbage', () => store.listErrorGroups({ cursor: '%%' })],
          ['listErrorGroups: bad sessionId', () => store.listErrorGroups({ sessionId: 'a b' })],
          ['getErrorGroup: bad id', () => store.getErrorGroup('a/b')],
          ['getErrorGroup: occurrences -1', () => store.getErrorGroup('g1', { occurrences: -1 })],
          ['setErrorStatus: regressed', () => store.setErrorStatus('g1', bad('regressed'))],
          ['setErrorStatus: bad id', () => store.setErrorStatus('', 'resolved')],
          ['sessionErrors: bad id', () => store.sessionErrors(bad(3))],
          ['putSourceMap: empty file', () => store.putSourceMap('', '{}')],
          ['putSourceMap: map not a string', () => store.putSourceMap('/a.js', bad({}))],
          ['getSourceMap: control character', () => store.getSourceMap('/a\n.js')],
        ];
        for (const [label, call] of cases) await rejectsWith(call, StoreErrorCode.INVALID_ARGUMENT, label);
        assert.deepEqual(await store.listSessions({}), { sessions: [] });
        assert.deepEqual(await store.listErrorGroups({}), { groups: [] });
      });

      it('names the wrong argument in the message', async () => {
        const store = await opened();
        await assert.rejects(store.append({ ...batch('s1', 'w1', 1, [1]), seq: -3 }), /batch\.seq/);
        await assert.rejects(store.listSessions({ limit: -1 }), /options\.limit/);
      });

      it('accepts any valid id, `__proto__` included', async () => {
        const store = await opened();
        await store.append(batch('__proto__', '__proto__', 1, [1]));
        await store.append(batch('__proto__', 'constructor', 1, [2]));
        assert.equal(await store.ackedSeq('__proto__', '__proto__'), 1);
        assert.equal(await store.ackedSeq('__proto__', 'toString'), 0);
        const after = JSON.parse('{"__proto__": 1}') as Record<string, number>;
        assert.deepEqual(order(await collect(store.readBatches('__proto__', { after }))), ['constructor:1']);
        assert.equal(await store.deleteSession('__proto__'), true);
      });
    });

    describe('audit log and tokens', () => {
      const input = (i: number): AuditInput => ({ at: 1_000 + i, action: 'session.read', target: `s${i}`, token: 'ci', address: '127.0.0.1' });

      it('chains entries: seq from 1, each carrying the hash of the one before, read back newest first in pages', async () => {
        const store = await opened();
        assert.deepEqual(await store.readAudit(), { entries: [] });
        const written: AuditEntry[] = [];
        for (let i = 1; i <= 5; i++) written.push(await store.appendAudit(input(i)));
        assert.deepEqual(written.map((e) => e.seq), [1, 2, 3, 4, 5]);
        assert.equal(written[0]!.prev, AUDIT_GENESIS);
        for (let i = 1; i < 5; i++) assert.equal(written[i]!.prev, written[i - 1]!.hash);
        for (const e of written) assert.equal(e.hash, auditHash(e));
        const first = await store.readAudit({ limit: 2 });
        assert.deepEqual(first.entries.map((e) => e.seq), [5, 4]);
        assert.equal(first.next, 4);
        const second = await store.readAudit({ limit: 2, before: first.next });
        assert.deepEqual(second.entries.map((e) => e.seq), [3, 2]);
        const last = await store.readAudit({ limit: 2, before: second.next });
        assert.deepEqual(last, { entries: [written[0]] });
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 5, problems: [] });
      });

      it('keeps the chain whole under concurrent appends', async () => {
        const store = await opened();
        const entries = await Promise.all(Array.from({ length: 40 }, (_, i) => store.appendAudit(input(i))));
        assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 40 }, (_, i) => i + 1));
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 40, problems: [] });
      });

      it('refuses entries and options that are not valid', async () => {
        const store = await opened();
        await rejectsWith(store.appendAudit({ ...input(1), action: '' }), StoreErrorCode.INVALID_ARGUMENT, 'empty action');
        await rejectsWith(store.appendAudit({ ...input(1), at: -1 }), StoreErrorCode.INVALID_ARGUMENT, 'negative time');
        await rejectsWith(store.appendAudit({ ...input(1), target: 'x'.repeat(513) }), StoreErrorCode.INVALID_ARGUMENT, 'long target');
        await rejectsWith(store.readAudit({ limit: 0 }), StoreErrorCode.INVALID_ARGUMENT, 'limit 0');
        await rejectsWith(store.readAudit({ before: 0 }), StoreErrorCode.INVALID_ARGUMENT, 'before 0');
        await rejectsWith(store.putToken({ name: 'a b', role: 'viewer', hash: 'f'.repeat(64), createdAt: 1 }), StoreErrorCode.INVALID_ARGUMENT, 'token name');
        await rejectsWith(store.putToken({ name: 'ok', role: 'root' as 'admin', hash: 'f'.repeat(64), createdAt: 1 }), StoreErrorCode.INVALID_ARGUMENT, 'role');
        await rejectsWith(store.putToken({ name: 'ok', role: 'viewer', hash: 'plain-token', createdAt: 1 }), StoreErrorCode.INVALID_ARGUMENT, 'hash');
        assert.deepEqual(await store.readAudit(), { entries: [] });
      });

      it('keeps tokens by name, once each, and forgets them', async () => {
        const store = await opened();
        const ci: TokenRecord = { name: 'ci', role: 'viewer', hash: 'a'.repeat(64), createdAt: 10 };
        const ops: TokenRecord = { name: 'ops', role: 'admin', hash: 'b'.repeat(64), createdAt: 20 };
        assert.equal(await store.putToken(ops), true);
        assert.equal(await store.putToken(ci), true);
        assert.equal(await store.putToken({ ...ci, hash: 'c'.repeat(64) }), false);
        assert.deepEqual(await store.listTokens(), [ci, ops]);
        assert.equal(await store.deleteToken('ci'), true);
        assert.equal(await store.deleteToken('ci'), false);
        assert.deepEqual(await store.listTokens(), [ops]);
      });

      it('retention removes the oldest entries written before a time; the chain still verifies from its base, and chains on', async () => {
        const store = await opened();
        for (let i = 1; i <= 6; i++) await store.appendAudit(input(i * 10));
        assert.equal(await store.pruneAudit(1_000 + 35), 3, 'the entries written at 1010, 1020 and 1030');
        assert.deepEqual((await store.readAudit()).entries.map((e) => e.seq), [6, 5, 4]);
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 3, problems: [] });
        assert.equal(await store.pruneAudit(1_000 + 35), 0, 'nothing more is that old');
        const next = await store.appendAudit(input(70));
        assert.equal(next.seq, 7);
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 4, problems: [] });
        assert.equal(await store.pruneAudit(Number.MAX_SAFE_INTEGER), 4, 'every entry may go');
        assert.deepEqual(await store.readAudit(), { entries: [] });
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 0, problems: [] });
        assert.equal((await store.appendAudit(input(80))).seq, 8, 'the seqs go on after the base');
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 1, problems: [] });
        await rejectsWith(store.pruneAudit(Number.NaN), StoreErrorCode.INVALID_ARGUMENT, 'not a time');
      });

      it('rejects every audit and token call with STORE_NOT_OPEN while closed', async () => {
        const store = await fresh();
        await rejectsWith(store.appendAudit(input(1)), StoreErrorCode.NOT_OPEN, 'appendAudit');
        await rejectsWith(store.readAudit(), StoreErrorCode.NOT_OPEN, 'readAudit');
        await rejectsWith(store.verifyAudit(), StoreErrorCode.NOT_OPEN, 'verifyAudit');
        await rejectsWith(store.listTokens(), StoreErrorCode.NOT_OPEN, 'listTokens');
        await rejectsWith(store.deleteToken('x'), StoreErrorCode.NOT_OPEN, 'deleteToken');
        await rejectsWith(store.pruneAudit(1), StoreErrorCode.NOT_OPEN, 'pruneAudit');
      });

      if (options.reopen) {
        const reopen = options.reopen;
        it('keeps the chain and the tokens across close and reopen, and chains on', async () => {
          const store = await opened();
          await store.appendAudit(input(1));
          await store.appendAudit(input(2));
          await store.putToken({ name: 'ci', role: 'viewer', hash: 'a'.repeat(64), createdAt: 10 });
          const page = await store.readAudit();
          await store.close();
          const again = await reopen(store);
          created.push(again);
          await again.open();
          assert.deepEqual(await again.readAudit(), page);
          const third = await again.appendAudit(input(3));
          assert.equal(third.seq, 3);
          assert.equal(third.prev, page.entries[0]!.hash);
          assert.deepEqual((await again.listTokens()).map((t) => t.name), ['ci']);
          assert.deepEqual(await again.verifyAudit(), { ok: true, entries: 3, problems: [] });
        });
      }
    });

    describe('privacy: users, erasure, oldest sessions and size', () => {
      it('records the identified users of a session and lists sessions by user', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [10], { digest: { userIds: ['alice'] } }));
        await store.append(batch('s1', 'w1', 2, [20], { digest: { userIds: ['bob', 'alice'] } }));
        await store.append(batch('s2', 'w1', 1, [30], { digest: { userIds: ['bob'] } }));
        await store.append(batch('s3', 'w1', 1, [40]));
        const s1 = await store.getSession('s1');
        assert.equal(s1?.userId, 'alice', 'the latest identified user');
        assert.deepEqual(s1?.userIds, ['alice', 'bob']);
        assert.equal((await store.getSession('s3'))?.userId, undefined);
        assert.deepEqual((await store.listSessions({ userId: 'bob' })).sessions.map((r) => r.id), ['s2', 's1']);
        assert.deepEqual((await store.listSessions({ userId: 'alice' })).sessions.map((r) => r.id), ['s1']);
        assert.deepEqual((await store.listSessions({ userId: 'carol' })).sessions, []);
        await rejectsWith(store.listSessions({ userId: '' }), StoreErrorCode.INVALID_ARGUMENT, 'empty userId');
        await rejectsWith(store.append(batch('s4', 'w1', 1, [1], { digest: { userIds: [''] } })), StoreErrorCode.INVALID_ARGUMENT, 'empty user id in a digest');
      });

      it('keeps at most 16 user ids per session, and always the latest as userId', async () => {
        const store = await opened();
        const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
        await store.append(batch('s1', 'w1', 1, [10], { digest: { userIds: users } }));
        const r = await store.getSession('s1');
        assert.equal(r?.userIds?.length, 16);
        assert.equal(r?.userId, 'user-19');
        assert.deepEqual((await store.listSessions({ userId: 'user-19' })).sessions.map((x) => x.id), ['s1']);
      });

      it('eraseSession removes the session and its occurrences, reports them, and leaves other sessions\' occurrences', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [10, 11]));
        await store.append(batch('s1', 'w2', 1, [12]));
        await store.append(batch('s2', 'w1', 1, [20]));
        await store.recordError(occurrence('g1', 15, { sessionId: 's1', user: { email: 'a@shop.test' } }));
        await store.recordError(occurrence('g1', 16, { sessionId: 's1' }));
        await store.recordError(occurrence('g2', 17, { sessionId: 's1' }));
        await store.recordError(occurrence('g1', 25, { sessionId: 's2' }));
        const report = await store.eraseSession('s1');
        assert.deepEqual({ ...report, groups: [...(report?.groups ?? [])].sort() }, { batches: 2, events: 3, occurrences: 3, groups: ['g1', 'g2'] });
        assert.equal(await store.getSession('s1'), undefined);
        const g1 = await store.getErrorGroup('g1');
        assert.equal(g1?.count, 3, 'the counts stay');
        assert.deepEqual(g1?.occurrences.map((o) => o.sessionId), ['s2']);
        assert.deepEqual((await store.getErrorGroup('g2'))?.occurrences, []);
        assert.equal(await store.eraseSession('s1'), undefined);
        assert.equal(await store.eraseSession('never'), undefined);
      });

      it('deleteSession removes the session\'s occurrences too', async () => {
        const store = await opened();
        await store.append(batch('s1', 'w1', 1, [10]));
        await store.recordError(occurrence('g1', 15, { sessionId: 's1' }));
        assert.equal(await store.deleteSession('s1'), true);
        assert.deepEqual((await store.getErrorGroup('g1'))?.occurrences, []);
      });

      it('eraseOccurrences by user removes the occurrences whose user id, e-mail or username is that user, in every group', async () => {
        const store = await opened();
        await store.recordError(occurrence('g1', 10, { user: { id: 'u1' } }));
        await store.recordError(occurrence('g1', 11, { user: { id: 'u2' } }));
        await store.recordError(occurrence('g2', 12, { user: { email: 'u1' } }));
        await store.recordError(occurrence('g3', 13, { user: { username: 'u1' } }));
        await store.recordError(occurrence('g3', 14));
        const report = await store.eraseOccurrences({ userId: 'u1' });
        assert.equal(report.occurrences, 3);
        assert.deepEqual([...report.groups].sort(), ['g1', 'g2', 'g3']);
        assert.deepEqual((await store.getErrorGroup('g1'))?.occurrences.map((o) => o.user?.id), ['u2']);
        assert.equal((await store.getErrorGroup('g3'))?.occurrences.length, 1);
        assert.deepEqual(await store.eraseOccurrences({ userId: 'u1' }), { occurrences: 0, groups: [] });
        await rejectsWith(store.eraseOccurrences({} as never), StoreErrorCode.INVALID_ARGUMENT, 'no filter');
        await rejectsWith(store.eraseOccurrences({ sessionId: 'a b' }), StoreErrorCode.INVALID_ARGUMENT, 'bad session id');
      });

      it('eraseOccurrences by age removes the occurrences received before a time', async () => {
        const store = await opened();
        await store.recordError(occurrence('g1', 10, { receivedAt: 100 }));
        await store.recordError(occurrence('g1', 20, { receivedAt: 200, sessionId: 's1' }));
        await store.recordError(occurrence('g2', 30, { receivedAt: 300 }));
        assert.deepEqual(await store.eraseOccurrences({ receivedBefore: 250 }), { occurrences: 2, groups: ['g1'] });
        assert.deepEqual((await store.getErrorGroup('g1'))?.occurrences, []);
        assert.equal((await store.getErrorGroup('g2'))?.occurrences.length, 1);
      });

      it('oldestSessions lists the sessions that started first, oldest first', async () => {
        const store = await opened();
        for (const [id, t] of [['s1', 300], ['s2', 100], ['s3', 200], ['s4', 400]] as const) await store.append(batch(id, 'w1', 1, [t]));
        assert.deepEqual((await store.oldestSessions(3)).map((r) => r.id), ['s2', 's3', 's1']);
        assert.deepEqual((await store.oldestSessions(500)).map((r) => r.id), ['s2', 's3', 's1', 's4']);
        await rejectsWith(store.oldestSessions(0), StoreErrorCode.INVALID_ARGUMENT, 'limit 0');
      });

      it('diskSize is a byte count that grows as batches are stored, and compact resolves', async () => {
        const store = await opened();
        const before = await store.diskSize();
        assert.ok(Number.isSafeInteger(before) && before >= 0);
        const big = Array.from({ length: 200 }, (_, i) => ({ type: 3, timestamp: i, data: { text: `${i} ${'lorem ipsum '.repeat(20)}` } }));
        for (let seq = 1; seq <= 20; seq++) await store.append({ sessionId: 's1', windowId: 'w1', seq, events: big, receivedAt: seq });
        await store.compact();
        assert.ok((await store.diskSize()) > before, 'the store grew');
      });

      if (options.reopen) {
        const again = options.reopen;
        it('keeps the identified users across close and reopen', async () => {
          const store = await opened();
          await store.append(batch('s1', 'w1', 1, [10], { digest: { userIds: ['alice', 'bob'] } }));
          await store.close();
          const next = await again(store);
          created.push(next);
          await next.open();
          const r = await next.getSession('s1');
          assert.equal(r?.userId, 'bob');
          assert.deepEqual(r?.userIds, ['alice', 'bob']);
        });
      }
    });

    const reopen = options.reopen;
    if (reopen) {
      describe('persistence', () => {
        it('keeps sessions, batches, holes and the listing across close and reopen', async () => {
          const store = await opened();
          assert.equal(store.supports.persistence, true, 'a reopen option was given, so supports.persistence must be true');
          await store.append(batch('p1', 'w1', 1, [100, 110], { meta: META, digest: { pages: ['/a'], errors: 1 } }));
          await store.append(batch('p1', 'w1', 3, [300]));
          await store.append(batch('p1', 'w2', 1, [200]));
          await store.append(batch('p2', 'w1', 1, [50]));
          const records = [await store.getSession('p1'), await store.getSession('p2')];
          const list = await store.listSessions({});
          const read = await collect(store.readBatches('p1'));
          await store.close();
          const again = await reopen(store);
          created.push(again);
          await again.open();
          assert.deepEqual([await again.getSession('p1'), await again.getSession('p2')], records);
          assert.deepEqual(await again.listSessions({}), list);
          assert.deepEqual(await collect(again.readBatches('p1')), read);
          assert.equal(await again.ackedSeq('p1', 'w1'), 1);
          assert.deepEqual(await again.append(batch('p1', 'w1', 3, [999])), { stored: false, ackedSeq: 1 });
          assert.deepEqual(await again.append(batch('p1', 'w1', 2, [250])), { stored: true, ackedSeq: 3 });
          assert.equal((await again.getSession('p1'))?.batchCount, 4);
          assert.equal(await again.deleteSession('p2'), true);
          assert.deepEqual((await again.listSessions({})).sessions.map((s) => s.id), ['p1']);
        });

        it('keeps error groups, their sessions, occurrences, statuses and source maps across close and reopen', async () => {
          const store = await opened();
          await store.append(batch('p1', 'w1', 1, [100]));
          await store.recordError(occurrence('g1', 150, { sessionId: 'p1' }));
          await store.recordError(occurrence('g1', 170, { sessionId: 'p1' }));
          await store.recordError(occurrence('g2', 160));
          await store.setErrorStatus('g1', 'resolved', 200);
          await store.putSourceMap('/app.min.js', '{"version":3}');
          const detail = await store.getErrorGroup('g1');
          const list = await store.listErrorGroups({});
          const record = await store.getSession('p1');
          await store.close();
          const again = await reopen(store);
          created.push(again);
          await again.open();
          assert.deepEqual(await again.getErrorGroup('g1'), detail);
          assert.deepEqual(await again.listErrorGroups({}), list);
          assert.deepEqual(await again.getSession('p1'), record);
          assert.equal(record?.errorCount, 2);
          assert.equal(await again.getSourceMap('/app.min.js'), '{"version":3}');
          const regressed = await again.recordError(occurrence('g1', 300, { sessionId: 'p1' }));
          assert.equal(regressed.group.status, 'regressed');
          assert.equal(regressed.group.count, 3);
          assert.equal((await again.getSession('p1'))?.errorCount, 3);
        });
      });
    } else {
      it('persistence tests not registered (no reopen option): the backend must declare supports.persistence false', async () => {
        const store = await fresh();
        assert.equal(store.supports.persistence, false);
      });
    }
    // ───── Analytics: per-session digests and saved segments ─────
    describe('analytics digests and segments', () => {
      const digest = (sessionId: string, startedAt: number, extra: Partial<SessionDigest> = {}): SessionDigest => ({
        v: 1, sessionId, startedAt, endedAt: startedAt + 5_000, durationMs: 5_000, browser: 'Chrome', os: 'Linux', device: 'desktop',
        pages: [{ url: 'https://shop.test/home', windowId: 'w1', at: startedAt, durationMs: 5_000, scrollDepth: 0.5, vitals: { LCP: 1200 } }],
        clicks: [], rageClicks: [], deadClicks: [], errorClicks: [], fields: [], events: [{ name: 'signup', at: startedAt + 1, url: 'https://shop.test/home', props: { plan: 'pro' } }],
        counts: { events: 10, pages: 1, clicks: 0, rageClicks: 0, deadClicks: 0, errorClicks: 0, errors: 0, customEvents: 1 }, engagement: 12, ...extra,
      });
      const segment = (id: string, createdAt: number): Segment => ({ id, name: `segment ${id}`, filter: { browser: 'Chrome', hasErrors: true }, createdAt, updatedAt: createdAt });
      const analytics = async (): Promise<Store | undefined> => {
        const store = await opened();
        return store.supports.analytics ? store : undefined;
      };

      it('stores a digest, replaces it, and reads it back (skipped where a backend declares no supports.analytics)', async function () {
        const store = await analytics();
        if (!store) return this.skip();
        await store.append(batch('d1', 'w1', 1, [1_000]));
        assert.equal(await store.putDigest(digest('d1', 1_000)), true);
        assert.deepEqual(await store.getDigest('d1'), digest('d1', 1_000));
        assert.equal(await store.putDigest(digest('d1', 900, { engagement: 40 })), true);
        assert.deepEqual(await store.getDigest('d1'), digest('d1', 900, { engagement: 40 }));
        assert.deepEqual((await collect(store.scanDigests())).map((d) => [d.sessionId, d.startedAt]), [['d1', 900]]);
        assert.equal(await store.getDigest('nope'), undefined);
      });

      it('stores no digest for a session that does not exist, and deletes it with its session (skipped where a backend declares no supports.analytics)', async function () {
        const store = await analytics();
        if (!store) return this.skip();
        assert.equal(await store.putDigest(digest('ghost', 1_000)), false);
        assert.equal(await store.getDigest('ghost'), undefined);
        await store.append(batch('d1', 'w1', 1, [1_000]));
        await store.putDigest(digest('d1', 1_000));
        assert.equal(await store.deleteSession('d1'), true);
        assert.equal(await store.getDigest('d1'), undefined);
        assert.deepEqual(await collect(store.scanDigests()), []);
        assert.equal(await store.putDigest(digest('d1', 1_000)), false);
      });

      it('scans by start time, oldest first, ties by session id, with inclusive bounds (skipped where a backend declares no supports.analytics)', async function () {
        const store = await analytics();
        if (!store) return this.skip();
        const starts: [string, number][] = [['c', 3_000], ['a', 1_000], ['b2', 2_000], ['b1', 2_000], ['e', 5_000]];
        for (const [id, t] of starts) {
          await store.append(batch(id, 'w1', 1, [t]));
          await store.putDigest(digest(id, t));
        }
        const ids = async (o?: { from?: number; to?: number }) => (await collect(store.scanDigests(o))).map((d) => d.sessionId);
        assert.deepEqual(await ids(), ['a', 'b1', 'b2', 'c', 'e']);
        assert.deepEqual(await ids({ from: 2_000, to: 3_000 }), ['b1', 'b2', 'c']);
        assert.deepEqual(await ids({ from: 2_001 }), ['c', 'e']);
        assert.deepEqual(await ids({ to: 1_999 }), ['a']);
        assert.deepEqual(await ids({ from: 6_000 }), []);
      });

      it('rejects a digest that is not one, and bad scan bounds, with STORE_INVALID_ARGUMENT (skipped where a backend declares no supports.analytics)', async function () {
        const store = await analytics();
        if (!store) return this.skip();
        await store.append(batch('d1', 'w1', 1, [1_000]));
        await rejectsWith(store.putDigest({ ...digest('d1', 1_000), pages: 'no' } as unknown as SessionDigest), StoreErrorCode.INVALID_ARGUMENT, 'pages');
        await rejectsWith(store.putDigest({ ...digest('d1', 1_000), sessionId: 'a b' }), StoreErrorCode.INVALID_ARGUMENT, 'sessionId');
        await rejectsWith(store.getDigest('a b'), StoreErrorCode.INVALID_ARGUMENT, 'getDigest');
        await rejectsWith(collect(store.scanDigests({ from: Number.NaN })), StoreErrorCode.INVALID_ARGUMENT, 'from');
        await rejectsWith(store.putSegment({ ...segment('s1', 1), filter: { colour: 'red' } } as unknown as Segment), StoreErrorCode.INVALID_ARGUMENT, 'filter');
      });

      it('keeps saved segments: put replaces, listed oldest first, deleted once (skipped where a backend declares no supports.analytics)', async function () {
        const store = await analytics();
        if (!store) return this.skip();
        await store.putSegment(segment('s2', 20));
        await store.putSegment(segment('s1', 10));
        await store.putSegment({ ...segment('s2', 20), name: 'renamed' });
        assert.deepEqual((await store.listSegments()).map((s) => [s.id, s.name]), [['s1', 'segment s1'], ['s2', 'renamed']]);
        assert.equal(await store.deleteSegment('s1'), true);
        assert.equal(await store.deleteSegment('s1'), false);
        assert.deepEqual((await store.listSegments()).map((s) => s.id), ['s2']);
      });

      it('rejects with STORE_NOT_OPEN when not open (skipped where a backend declares no supports.analytics)', async function () {
        const store = await fresh();
        if (!store.supports.analytics) return this.skip();
        await rejectsWith(store.putDigest(digest('d1', 1)), StoreErrorCode.NOT_OPEN, 'putDigest');
        await rejectsWith(store.getDigest('d1'), StoreErrorCode.NOT_OPEN, 'getDigest');
        await rejectsWith(collect(store.scanDigests()), StoreErrorCode.NOT_OPEN, 'scanDigests');
        await rejectsWith(store.listSegments(), StoreErrorCode.NOT_OPEN, 'listSegments');
      });

      if (options.reopen) {
        it('keeps digests and segments across close and reopen', async () => {
          const store = await opened();
          if (!store.supports.analytics) return;
          await store.append(batch('d1', 'w1', 1, [1_000]));
          await store.putDigest(digest('d1', 1_000));
          await store.putSegment(segment('s1', 10));
          await store.close();
          const again = await options.reopen!(store);
          created.push(again);
          await again.open();
          assert.deepEqual(await again.getDigest('d1'), digest('d1', 1_000));
          assert.deepEqual(await collect(again.scanDigests()), [digest('d1', 1_000)]);
          assert.deepEqual(await again.listSegments(), [segment('s1', 10)]);
        });
      }
    });
    // ───── end of analytics ─────

    // ───── Captured assets: content-addressed bytes, per-session refs ─────
    describe('captured assets', () => {
      const css = (text: string) => ({ type: 'text/css; charset=utf-8', body: new TextEncoder().encode(text) });
      const font = { type: 'font/woff2', body: Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251) };
      const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
      const assets = async (): Promise<Store | undefined> => {
        const store = await opened();
        return store.supports.assets ? store : undefined;
      };

      it('keeps bytes once under their SHA-256 and gives them back with their type, text and binary alike (skipped where a backend declares no supports.assets)', async function () {
        const store = await assets();
        if (!store) return this.skip();
        const a = css('body { color: red }'.repeat(200));
        const h = await store.putAsset(a);
        assert.equal(h, sha256(a.body));
        assert.equal(await store.putAsset(css('body { color: red }'.repeat(200))), h, 'the same bytes, the same hash');
        const back = await store.getAsset(h);
        assert.equal(back?.type, a.type);
        assert.deepEqual(Buffer.from(back!.body), Buffer.from(a.body));
        const fh = await store.putAsset(font);
        assert.deepEqual(Buffer.from((await store.getAsset(fh))!.body), Buffer.from(font.body));
        assert.equal((await store.getAsset(fh))?.type, 'font/woff2');
        assert.equal(await store.getAsset('0'.repeat(64)), undefined);
      });

      it('keeps the refs of each session by URL, replacing per URL, and removes them with the session, not the shared bytes (skipped where a backend declares no supports.assets)', async function () {
        const store = await assets();
        if (!store) return this.skip();
        await store.append(batch('a1', 'w1', 1, [1_000]));
        await store.append(batch('a2', 'w1', 1, [2_000]));
        const v1 = await store.putAsset(css('a { color: red }'));
        const v2 = await store.putAsset(css('a { color: blue }'));
        assert.equal(await store.putAssetRefs('a1', [{ url: 'https://site.test/s.css', hash: v1, at: 1 }, { url: 'http://10.0.0.1/x.png', error: 'SENTIERO_FORBIDDEN', at: 1 }]), true);
        assert.equal(await store.putAssetRefs('a2', [{ url: 'https://site.test/s.css', hash: v2, at: 2 }]), true);
        assert.deepEqual(await store.getAssetRef('a1', 'https://site.test/s.css'), { url: 'https://site.test/s.css', hash: v1, at: 1 });
        assert.deepEqual(await store.getAssetRef('a2', 'https://site.test/s.css'), { url: 'https://site.test/s.css', hash: v2, at: 2 }, 'what a URL served is per session');
        assert.deepEqual(await store.getAssetRef('a1', 'http://10.0.0.1/x.png'), { url: 'http://10.0.0.1/x.png', error: 'SENTIERO_FORBIDDEN', at: 1 });
        assert.equal(await store.getAssetRef('a1', 'https://site.test/none.css'), undefined);
        await store.putAssetRefs('a1', [{ url: 'https://site.test/s.css', hash: v2, at: 3 }]);
        assert.deepEqual((await store.listAssetRefs('a1')).map((r) => [r.url, r.hash ?? r.error]), [['http://10.0.0.1/x.png', 'SENTIERO_FORBIDDEN'], ['https://site.test/s.css', v2]]);
        assert.equal(await store.deleteSession('a1'), true);
        assert.deepEqual(await store.listAssetRefs('a1'), []);
        assert.equal(await store.getAssetRef('a1', 'https://site.test/s.css'), undefined);
        assert.equal(await store.putAssetRefs('a1', [{ url: 'https://site.test/s.css', hash: v1, at: 4 }]), false, 'no refs for a session that is gone');
        assert.deepEqual(await store.listAssetRefs('a1'), []);
        assert.ok(await store.getAsset(v2), 'bytes other sessions share stay');
      });

      it('sweeps the bytes no session refers to once they are older than the bound, and keeps what a session or a recent put holds (skipped where a backend declares no supports.assets)', async function () {
        const store = await assets();
        if (!store) return this.skip();
        await store.append(batch('a1', 'w1', 1, [1_000]));
        await store.append(batch('a2', 'w1', 1, [1_000]));
        const held = await store.putAsset(css('.held {}'));
        const shared = await store.putAsset(css('.shared {}'));
        const loose = await store.putAsset(css('.loose {}'));
        await store.putAssetRefs('a1', [{ url: 'https://site.test/held.css', hash: held, at: 1 }, { url: 'https://site.test/shared.css', hash: shared, at: 1 }]);
        await store.putAssetRefs('a2', [{ url: 'https://site.test/shared.css', hash: shared, at: 1 }, { url: 'https://site.test/x.png', error: 'SENTIERO_FORBIDDEN', at: 1 }]);
        assert.equal(await store.sweepAssets(Date.now() - 60_000), 0, 'nothing is old enough');
        assert.equal(await store.sweepAssets(Date.now() + 60_000), 1, 'only the bytes no session refers to');
        assert.equal(await store.getAsset(loose), undefined);
        assert.ok(await store.getAsset(held));
        await store.deleteSession('a1');
        const cutoff = Date.now() + 60_000;
        assert.equal(await store.sweepAssets(cutoff), 1, 'the bytes of an erased session go; those another session shares stay');
        assert.equal(await store.getAsset(held), undefined);
        assert.ok(await store.getAsset(shared));
        assert.equal(await store.putAsset(css('.loose {}')), loose, 'kept again');
        await new Promise((r) => setTimeout(r, 5));
        const before = Date.now() - 1;
        assert.equal(await store.putAsset(css('.shared {}')), shared);
        await store.deleteSession('a2');
        assert.equal(await store.sweepAssets(before), 1, 'bytes kept again since the bound stay, even unreferenced');
        assert.ok(await store.getAsset(shared));
        assert.equal(await store.getAsset(loose), undefined);
      });

      it('rejects bad assets, hashes and refs with STORE_INVALID_ARGUMENT, and calls when not open with STORE_NOT_OPEN (skipped where a backend declares no supports.assets)', async function () {
        const closed = await fresh();
        if (!closed.supports.assets) return this.skip();
        await rejectsWith(closed.putAsset(css('x')), StoreErrorCode.NOT_OPEN, 'putAsset');
        await rejectsWith(closed.getAssetRef('a1', 'https://site.test/'), StoreErrorCode.NOT_OPEN, 'getAssetRef');
        const store = await opened();
        await store.append(batch('a1', 'w1', 1, [1_000]));
        await rejectsWith(store.putAsset({ type: 'not a type', body: new Uint8Array(1) }), StoreErrorCode.INVALID_ARGUMENT, 'a bad type');
        await rejectsWith(store.putAsset({ type: 'text/css', body: 'text' as unknown as Uint8Array }), StoreErrorCode.INVALID_ARGUMENT, 'a body that is no bytes');
        await rejectsWith(store.getAsset('../etc'), StoreErrorCode.INVALID_ARGUMENT, 'a bad hash');
        await rejectsWith(store.putAssetRefs('a1', [{ url: 'file:///etc/passwd', error: 'X', at: 1 }]), StoreErrorCode.INVALID_ARGUMENT, 'a non-http URL');
        await rejectsWith(store.putAssetRefs('a1', [{ url: 'https://site.test/', at: 1 }]), StoreErrorCode.INVALID_ARGUMENT, 'neither hash nor error');
        await rejectsWith(store.getAssetRef('a1', 'relative.css'), StoreErrorCode.INVALID_ARGUMENT, 'a relative URL');
      });

      if (options.reopen) {
        it('keeps assets and refs across close and reopen', async () => {
          const store = await opened();
          if (!store.supports.assets) return;
          await store.append(batch('a1', 'w1', 1, [1_000]));
          const h = await store.putAsset(font);
          await store.putAssetRefs('a1', [{ url: 'https://site.test/f.woff2', hash: h, at: 1 }]);
          await store.close();
          const again = await options.reopen!(store);
          created.push(again);
          await again.open();
          assert.deepEqual(await again.getAssetRef('a1', 'https://site.test/f.woff2'), { url: 'https://site.test/f.woff2', hash: h, at: 1 });
          assert.deepEqual(Buffer.from((await again.getAsset(h))!.body), Buffer.from(font.body));
        });
      }
    });
    // ───── end of captured assets ─────
  });
}
