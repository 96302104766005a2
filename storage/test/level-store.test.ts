import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RecordedEvent } from '@sentiero/protocol';
import { LevelStore, StoreError, StoreErrorCode } from '@sentiero/storage';
import type { AppendResult, BatchInput, Compression } from '@sentiero/storage';
import { runStoreConformance } from '@sentiero/storage/conformance';
import { Level } from 'level';
import { encodeBatch } from '../src/codec.ts';
import { hex, listKey } from '../src/list.ts';

/** The shared fixture: 854 rrweb events (~1 MB of JSON) recorded from the Acme CRM demo page. */
const FIXTURE = process.env.SENTIERO_FIXTURE ?? new URL('../../../shared/fixtures/acme-crm-45s.rrweb.json', import.meta.url);
const BATCH_EVENTS = 50;
const MAX_RATIO = 0.15;
/** The window codec on the fixture alone in batches of 50: 0.075 (brotli per batch: 0.095). */
const MAX_WINDOW_RATIO = 0.08;

let root = '';
let n = 0;
const tempDir = (): string => path.join(root, `db-${n++}`);

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sentiero-level-store-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

runStoreConformance('LevelStore', () => new LevelStore({ location: tempDir() }), {
  reopen: (old) => new LevelStore({ location: (old as LevelStore).location }),
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of stream) out.push(b);
  return out;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

/** Opens the store's folder directly, as a foreign writer would. */
async function raw(location: string) {
  const db = new Level<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  return {
    db,
    batches: db.sublevel<string, Uint8Array>('batches', { valueEncoding: 'view' }),
    sessions: db.sublevel<string, string>('sessions', { valueEncoding: 'utf8' }),
    meta: db.sublevel<string, string>('meta', { valueEncoding: 'utf8' }),
  };
}

async function rejectsWith(action: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(action, (err: unknown) => {
    assert.ok(err instanceof StoreError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const event = (timestamp: number): RecordedEvent => ({ type: 3, timestamp, data: { source: 2, x: timestamp } });

/** The part of a sublevel of views the damaged-dictionary tests use. */
interface AbstractSublevelLike {
  del(key: string): Promise<void>;
  put(key: string, value: Uint8Array): Promise<void>;
}

/** What one `db.batch()` wrote: how many keys, and their keys' and values' bytes. */
interface WriteCost {
  keys: number;
  bytes: number;
}

/**
 * Counts what every root LevelDB writes while `run` runs, through abstract-level's `write`
 * event (a listener is added to each database that starts a batch), one entry per batch.
 */
async function countWrites(run: (costs: WriteCost[]) => Promise<void>): Promise<void> {
  const proto = Level.prototype as unknown as { batch: (...args: unknown[]) => unknown };
  const original = proto.batch;
  const watched = new WeakSet<object>();
  const costs: WriteCost[] = [];
  const onWrite = (ops: { key: string; value?: string | Uint8Array }[]): void => {
    costs.push({ keys: ops.length, bytes: ops.reduce((n, op) => n + Buffer.byteLength(op.key) + (op.value === undefined ? 0 : typeof op.value === 'string' ? Buffer.byteLength(op.value) : op.value.length), 0) });
  };
  proto.batch = function (this: Level<string, string>, ...args: unknown[]) {
    if (!watched.has(this)) {
      watched.add(this);
      this.on('write', onWrite);
    }
    return original.apply(this, args);
  };
  try {
    await run(costs);
  } finally {
    proto.batch = original;
  }
}

describe('LevelStore', () => {
  describe('compression of the shared fixture', () => {
    let rawJson: Buffer;
    let fixture: RecordedEvent[];

    before(async () => {
      rawJson = await readFile(FIXTURE);
      fixture = JSON.parse(rawJson.toString('utf8')) as RecordedEvent[];
      assert.equal(fixture.length, 854);
    });

    /** Stores the fixture in batches of 50, closes, and returns stored value bytes, folder bytes and what reads back. */
    async function store(compression: Compression | undefined) {
      const location = tempDir();
      const s = new LevelStore(compression === undefined ? { location } : { location, compression });
      await s.open();
      for (let i = 0, seq = 1; i < fixture.length; i += BATCH_EVENTS, seq++) {
        await s.append({ sessionId: 'acme', windowId: 'w1', seq, events: fixture.slice(i, i + BATCH_EVENTS), receivedAt: 1_000 + seq });
      }
      const read = await collect(s.readBatches('acme'));
      await s.close();
      const folder = await folderBytes(location);
      const r = await raw(location);
      let values = 0;
      let count = 0;
      for await (const value of r.batches.values()) {
        values += value.length;
        count++;
      }
      await r.db.close();
      return { values, count, folder, read };
    }

    it(`the window codec stores the fixture in at most ${MAX_WINDOW_RATIO} of its JSON size, and reads it back intact`, async () => {
      const { values, count, folder, read } = await store('brotli-window');
      assert.equal(count, Math.ceil(854 / BATCH_EVENTS));
      assert.ok(values / rawJson.length <= MAX_WINDOW_RATIO, `stored values are ${(values / rawJson.length).toFixed(4)} of the raw JSON`);
      assert.ok(folder / rawJson.length <= MAX_RATIO, `the LevelDB folder is ${(folder / rawJson.length).toFixed(4)} of the raw JSON`);
      assert.deepEqual(read.flatMap((b) => b.events), fixture);
    });

    it(`brotli per batch stores the fixture in at most ${MAX_RATIO} of its JSON size, and reads it back intact`, async () => {
      const { values, count, folder, read } = await store('brotli');
      assert.equal(count, Math.ceil(854 / BATCH_EVENTS));
      assert.ok(values / rawJson.length <= MAX_RATIO, `stored values are ${(values / rawJson.length).toFixed(4)} of the raw JSON`);
      assert.ok(folder / rawJson.length <= MAX_RATIO, `the LevelDB folder is ${(folder / rawJson.length).toFixed(4)} of the raw JSON`);
      assert.deepEqual(read.flatMap((b) => b.events), fixture);
    });

    it('readBatchesJson hands on the events as they were stored, unparsed and byte for byte', async () => {
      const location = tempDir();
      const s = new LevelStore({ location });
      await s.open();
      for (let i = 0, seq = 1; i < fixture.length; i += BATCH_EVENTS, seq++) {
        await s.append({ sessionId: 'acme', windowId: 'w1', seq, events: fixture.slice(i, i + BATCH_EVENTS), receivedAt: 1_000 + seq });
      }
      const texts = await collect(s.readBatchesJson('acme'));
      await s.close();
      assert.equal(texts.length, Math.ceil(854 / BATCH_EVENTS));
      texts.forEach((b, i) => {
        assert.equal(b.eventsJson, JSON.stringify(fixture.slice(i * BATCH_EVENTS, (i + 1) * BATCH_EVENTS)));
        assert.equal(b.time, fixture[i * BATCH_EVENTS]!.timestamp);
      });
    });

    it(`gzip also stays within ${MAX_RATIO}; 'none' stores the JSON as is`, async () => {
      const gz = await store('gzip');
      assert.ok(gz.values / rawJson.length <= MAX_RATIO, `gzip: ${(gz.values / rawJson.length).toFixed(4)}`);
      assert.deepEqual(gz.read.flatMap((b) => b.events), fixture);
      const none = await store('none');
      assert.ok(none.values / rawJson.length > 0.9, `none: ${(none.values / rawJson.length).toFixed(4)}`);
      assert.deepEqual(none.read.flatMap((b) => b.events), fixture);
    });
  });

  describe('the window codec', () => {
    let fixture: RecordedEvent[];

    before(async () => {
      fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as RecordedEvent[];
    });

    /** Appends the fixture in batches of 50 to `acme`/`w1` (its first batch, the full snapshot, fills the dictionary) and closes. */
    async function written(): Promise<string> {
      const location = tempDir();
      const s = new LevelStore({ location, compression: 'brotli-window' });
      await s.open();
      for (let i = 0, seq = 1; i < fixture.length; i += BATCH_EVENTS, seq++) {
        await s.append({ sessionId: 'acme', windowId: 'w1', seq, events: fixture.slice(i, i + BATCH_EVENTS), receivedAt: 1_000 + seq });
      }
      await s.close();
      return location;
    }

    it('compresses against the window\'s dictionary, reads back byte for byte after a reopen, and deletes the dictionary with the session', async () => {
      const location = await written();
      const r = await raw(location);
      const dictionaries = r.db.sublevel<string, Uint8Array>('dictionaries', { valueEncoding: 'view' });
      assert.deepEqual(await dictionaries.keys().all(), ['acme!w1']);
      const codecs = (await r.batches.values().all()).map((v) => v[0]);
      await r.db.close();
      assert.equal(codecs[0], 2, 'the first batch, stored before the dictionary, is brotli on its own');
      assert.ok(codecs.slice(1).filter((c) => c === 3).length >= codecs.length - 3, `codecs ${codecs.join(',')}`);
      const s = new LevelStore({ location, compression: 'none' });
      await s.open();
      const texts = await collect(s.readBatchesJson('acme'));
      texts.forEach((b, i) => assert.equal(b.eventsJson, JSON.stringify(fixture.slice(i * BATCH_EVENTS, (i + 1) * BATCH_EVENTS)), `batch ${b.seq}`));
      assert.deepEqual((await collect(s.readBatches('acme', { after: { w1: 10 } }))).flatMap((b) => b.events), fixture.slice(10 * BATCH_EVENTS));
      assert.equal(await s.deleteSession('acme'), true);
      await s.close();
      const after = await raw(location);
      assert.deepEqual(await after.db.sublevel('dictionaries').keys().all(), []);
      await after.db.close();
    });

    for (const [label, change] of [
      ['is missing', (d: AbstractSublevelLike) => d.del('acme!w1')],
      ['is damaged', (d: AbstractSublevelLike) => d.put('acme!w1', Uint8Array.from([0, 0, 0, 9, 1, 2]))],
    ] as const) {
      it(`a batch whose window's dictionary ${label} rejects the stream with STORE_CORRUPT`, async () => {
        const location = await written();
        const r = await raw(location);
        await change(r.db.sublevel<string, Uint8Array>('dictionaries', { valueEncoding: 'view' }));
        await r.db.close();
        const s = new LevelStore({ location });
        await s.open();
        await rejectsWith(collect(s.readBatchesJson('acme')), StoreErrorCode.CORRUPT);
        assert.equal((await s.getSession('acme'))?.batchCount, Math.ceil(854 / BATCH_EVENTS));
        await s.close();
      });
    }
  });

  it('reads values written with any compression, whatever its own option', async () => {
    const location = tempDir();
    const codecs: Compression[] = ['none', 'gzip', 'brotli', 'brotli-window'];
    for (const [i, compression] of codecs.entries()) {
      const s = new LevelStore({ location, compression });
      await s.open();
      await s.append({ sessionId: 's1', windowId: 'w1', seq: i + 1, events: [event(i)], receivedAt: 10 + i });
      await s.close();
    }
    const s = new LevelStore({ location, compression: 'gzip' });
    await s.open();
    const read = await collect(s.readBatches('s1'));
    assert.deepEqual(read.map((b) => [b.seq, b.events[0].timestamp, b.receivedAt]), [[1, 0, 10], [2, 1, 11], [3, 2, 12], [4, 3, 13]]);
    const texts = await collect(s.readBatchesJson('s1'));
    assert.deepEqual(texts.map((b) => [b.seq, b.eventsJson, b.receivedAt, b.time]), read.map((b) => [b.seq, JSON.stringify(b.events), b.receivedAt, b.events[0].timestamp]));
    await s.close();
  });

  it('reads batches stored before their first timestamp was, merging windows by their events', async () => {
    const location = tempDir();
    const stored = [
      { windowId: 'w1', seq: 1, events: [event(100)], receivedAt: 1 },
      { windowId: 'w1', seq: 2, events: [event(300)], receivedAt: 2 },
      { windowId: 'w2', seq: 1, events: [event(200)], receivedAt: 3 },
      { windowId: 'w2', seq: 2, events: [], receivedAt: 250 },
    ];
    const s = new LevelStore({ location });
    await s.open();
    for (const b of stored) await s.append({ sessionId: 's1', ...b });
    await s.close();
    // Rewrite every value as the first format did: `{"r","e"}` without `t`, as plain JSON.
    const r = await raw(location);
    let rewritten = 0;
    for await (const key of r.batches.keys()) {
      const [, windowId, seqHex] = /!([^!]+)!([0-9a-f]+)$/.exec(key) ?? [];
      const b = stored.find((x) => x.windowId === windowId && x.seq === Number.parseInt(seqHex ?? '', 16));
      assert.ok(b, key);
      await r.batches.put(key, Uint8Array.from([0, ...Buffer.from(JSON.stringify({ r: b.receivedAt, e: b.events }))]));
      rewritten++;
    }
    await r.db.close();
    assert.equal(rewritten, stored.length);
    await s.open();
    const read = await collect(s.readBatches('s1'));
    const texts = await collect(s.readBatchesJson('s1'));
    assert.deepEqual(read.map((b) => `${b.windowId}:${b.seq}`), ['w1:1', 'w2:1', 'w2:2', 'w1:2']);
    assert.deepEqual(texts.map((b) => `${b.windowId}:${b.seq}:${b.time}`), ['w1:1:100', 'w2:1:200', 'w2:2:250', 'w1:2:300']);
    assert.deepEqual(texts.map((b) => JSON.parse(b.eventsJson) as unknown), read.map((b) => b.events));
    await s.close();
  });

  describe('the work of an append does not grow with the session', () => {
    /** The cost of each append: what it wrote. */
    async function costs(store: LevelStore, appends: Iterable<BatchInput>): Promise<WriteCost[]> {
      const out: WriteCost[] = [];
      await countWrites(async (writes) => {
        for (const b of appends) {
          writes.length = 0;
          assert.equal((await store.append(b)).stored, true);
          assert.equal(writes.length, 1, 'one atomic batch per append');
          out.push(writes[0]);
        }
      });
      return out;
    }

    /** Timestamps of one width, so that only the counters in the session record grow by a digit or two. */
    const T0 = 1_000_000_000;

    it('writes as much for the 20,000th batch above a hole as for the 100th', async function () {
      this.timeout(600_000);
      const store = new LevelStore({ location: tempDir(), compression: 'none' });
      await store.open();
      const appends = function* (): Generator<BatchInput> {
        for (let i = 1; i <= 20_000; i++) yield { sessionId: 's1', windowId: 'w1', seq: 2 * i, events: [event(T0 + 2 * i)], receivedAt: T0 + 2 * i };
      };
      const cost = await costs(store, appends());
      assert.equal(cost[19_999].keys, cost[99].keys);
      assert.ok(Math.abs(cost[19_999].bytes - cost[99].bytes) <= 8, `append 100 wrote ${cost[99].bytes} bytes, append 20,000 wrote ${cost[19_999].bytes}`);
      assert.equal(await store.ackedSeq('s1', 'w1'), 0);
      await store.close();
    });

    it('writes as much for a session\'s 3,000th window as for its 200th, and closes', async function () {
      this.timeout(600_000);
      const store = new LevelStore({ location: tempDir(), compression: 'none' });
      await store.open();
      const appends = function* (): Generator<BatchInput> {
        for (let i = 0; i < 3_000; i++) yield { sessionId: 's1', windowId: `w${1000 + i}`, seq: 1, events: [event(T0 + i)], receivedAt: T0 + i };
      };
      const cost = await costs(store, appends());
      assert.equal(cost[2_999].keys, cost[199].keys);
      assert.ok(Math.abs(cost[2_999].bytes - cost[199].bytes) <= 8, `window 200 wrote ${cost[199].bytes} bytes, window 3,000 wrote ${cost[2_999].bytes}`);
      await store.close();
      assert.equal(store.status, 'closed');
    });
  });

  it('opens a format-1 folder: its records, window states and batches read, appends go on, and the folder is marked format 2', async () => {
    const location = tempDir();
    const r = await raw(location);
    const windows = r.db.sublevel<string, string>('windows', { valueEncoding: 'utf8' });
    const byStart = r.db.sublevel<string, string>('by-start', { valueEncoding: 'utf8' });
    const meta = { url: 'https://shop.test/', userAgent: 'Old/1.0', startedAt: 100 };
    await r.meta.put('format', '1');
    await r.sessions.put('s1', JSON.stringify({
      id: 's1', startedAt: 100, lastEventAt: 300, lastReceivedAt: 310, eventCount: 3, batchCount: 3, windows: ['w2', 'w1'],
      meta, pages: ['/a'], errorCount: 0, droppedEvents: 0,
    }));
    await windows.put('s1!w1', JSON.stringify({ acked: 1, above: [3] }));
    await windows.put('s1!w2', JSON.stringify({ acked: 1, above: [] }));
    await byStart.put(listKey(100, 's1'), '');
    const put = async (w: string, seq: number, t: number) => r.batches.put(`s1!${w}!${hex(seq)}`, await encodeBatch({ receivedAt: t + 10, events: [event(t)] }, 'brotli'));
    await put('w1', 1, 100);
    await put('w1', 3, 300);
    await put('w2', 1, 100);
    await r.db.close();
    const s = new LevelStore({ location });
    await s.open();
    const record = await s.getSession('s1');
    assert.equal(record?.windowCount, 2);
    assert.deepEqual(record?.windows, ['w2', 'w1']);
    assert.deepEqual((await s.listSessions({})).sessions.map((x) => x.id), ['s1']);
    assert.deepEqual((await collect(s.readBatches('s1'))).map((b) => `${b.windowId}:${b.seq}`), ['w2:1', 'w1:1', 'w1:3']);
    assert.equal(await s.ackedSeq('s1', 'w1'), 1);
    assert.deepEqual(await s.append({ sessionId: 's1', windowId: 'w1', seq: 2, events: [event(200)], receivedAt: 210 }), { stored: true, ackedSeq: 3 });
    await s.close();
    const again = new LevelStore({ location });
    await again.open();
    assert.deepEqual(await again.getSession('s1'), { ...record, batchCount: 4, eventCount: 4 });
    assert.equal(await again.ackedSeq('s1', 'w1'), 3);
    assert.deepEqual((await collect(again.readBatches('s1'))).map((b) => `${b.windowId}:${b.seq}`), ['w2:1', 'w1:1', 'w1:2', 'w1:3']);
    await again.close();
    const after = await raw(location);
    assert.equal(await after.meta.get('format'), '2');
    await after.db.close();
  });

  it('reads a record written before byteCount with byteCount 0, and counts on from there', async () => {
    const location = tempDir();
    const s = new LevelStore({ location });
    await s.open();
    await s.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: [event(1)], receivedAt: 1, bytes: 700 });
    await s.close();
    const r = await raw(location);
    const counters = JSON.parse((await r.sessions.get('s1'))!) as number[];
    assert.equal(counters.at(-1), 700);
    await r.sessions.put('s1', JSON.stringify(counters.slice(0, -1)));
    await r.db.close();
    await s.open();
    assert.equal((await s.getSession('s1'))?.byteCount, 0);
    await s.append({ sessionId: 's1', windowId: 'w1', seq: 2, events: [event(2)], receivedAt: 2, bytes: 300 });
    await s.close();
    await s.open();
    assert.deepEqual([(await s.getSession('s1'))?.byteCount, (await s.getSession('s1'))?.eventCount], [300, 2]);
    await s.close();
  });

  it('a new instance on the same folder continues a session and its holes', async () => {
    const location = tempDir();
    const a = new LevelStore({ location });
    await a.open();
    await a.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: [event(1)], receivedAt: 1 });
    await a.append({ sessionId: 's1', windowId: 'w1', seq: 3, events: [event(3)], receivedAt: 3 });
    await a.close();
    const b = new LevelStore({ location });
    await b.open();
    assert.deepEqual(await b.append({ sessionId: 's1', windowId: 'w1', seq: 3, events: [event(3)], receivedAt: 3 }), { stored: false, ackedSeq: 1 });
    assert.deepEqual(await b.append({ sessionId: 's1', windowId: 'w1', seq: 2, events: [event(2)], receivedAt: 2 }), { stored: true, ackedSeq: 3 });
    assert.equal((await b.getSession('s1'))?.eventCount, 3);
    await b.close();
  });

  it('the same instance reopens with its data', async () => {
    const s = new LevelStore({ location: tempDir() });
    await s.open();
    await s.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: [event(1)], receivedAt: 1 });
    await s.close();
    await s.open();
    assert.equal(await s.ackedSeq('s1', 'w1'), 1);
    assert.deepEqual((await s.listSessions()).sessions.map((r) => r.id), ['s1']);
    await s.close();
  });

  it('loses no update when sessions fall out of the session cache', async () => {
    const s = new LevelStore({ location: tempDir(), sessionCacheSize: 1 });
    await s.open();
    const appends = [];
    for (let seq = 1; seq <= 6; seq++) {
      for (const sessionId of ['a', 'b', 'c', 'd']) {
        for (const windowId of ['w1', 'w2']) appends.push(s.append({ sessionId, windowId, seq, events: [event(seq), event(seq + 1)], receivedAt: seq }));
      }
    }
    await Promise.all(appends);
    for (const id of ['a', 'b', 'c', 'd']) {
      const record = await s.getSession(id);
      assert.equal(record?.batchCount, 12, id);
      assert.equal(record?.eventCount, 24, id);
      assert.equal(await s.ackedSeq(id, 'w2'), 6);
    }
    await s.close();
  });

  it('stores the appends of one session queued behind its lock in one write each group, every batch once', async () => {
    const s = new LevelStore({ location: tempDir() });
    await s.open();
    const batches = Array.from({ length: 40 }, (_, i) => ({ sessionId: 's1', windowId: i % 2 ? 'w2' : 'w1', seq: Math.floor(i / 2) + 1, events: [event(i + 1)], receivedAt: i + 1 }));
    let results: AppendResult[] = [];
    let writes = 0;
    await countWrites(async (costs) => {
      results = await Promise.all([...batches, batches[7], batches[8]].map((b) => s.append(b)));
      writes = costs.length;
    });
    assert.ok(writes < batches.length, `${batches.length} appends took ${writes} writes`);
    assert.equal(results.filter((r) => r.stored).length, batches.length, 'a re-send in flight with its batch is stored once');
    assert.deepEqual([await s.ackedSeq('s1', 'w1'), await s.ackedSeq('s1', 'w2')], [20, 20]);
    const record = await s.getSession('s1');
    assert.deepEqual([record?.batchCount, record?.eventCount, record?.windowCount, record?.windows.toSorted()], [40, 40, 2, ['w1', 'w2']]);
    let read = 0;
    for await (const _ of s.readBatches('s1')) read++;
    assert.equal(read, 40);
    await s.close();
    await s.open();
    assert.deepEqual([await s.ackedSeq('s1', 'w1'), (await s.getSession('s1'))?.batchCount], [20, 40]);
    await s.close();
  });

  it('deleting a session leaves no key of it in any sublevel', async () => {
    const location = tempDir();
    const s = new LevelStore({ location });
    await s.open();
    for (let seq = 1; seq <= 40; seq++) await s.append({ sessionId: 'gone', windowId: `w${seq % 3}`, seq, events: [event(seq)], receivedAt: seq });
    await s.append({ sessionId: 'kept', windowId: 'w1', seq: 1, events: [event(1)], receivedAt: 1 });
    assert.equal(await s.deleteSession('gone'), true);
    await s.close();
    const r = await raw(location);
    const keys: string[] = [];
    for await (const key of r.db.keys()) keys.push(key);
    await r.db.close();
    assert.deepEqual(keys.filter((k) => k.includes('gone')), []);
    assert.ok(keys.some((k) => k.includes('kept')));
  });

  describe('damaged data', () => {
    async function damaged(change: (r: Awaited<ReturnType<typeof raw>>) => Promise<void>): Promise<LevelStore> {
      const location = tempDir();
      const s = new LevelStore({ location });
      await s.open();
      await s.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: [event(1)], receivedAt: 1 });
      await s.append({ sessionId: 's1', windowId: 'w1', seq: 2, events: [event(2)], receivedAt: 2 });
      await s.close();
      const folder = await folderBytes(location);
      const r = await raw(location);
      await change(r);
      await r.db.close();
      await s.open();
      return s;
    }
    const firstKey = async (sub: { keys(): AsyncIterable<string> }): Promise<string> => {
      for await (const key of sub.keys()) return key;
      throw new Error('no key');
    };

    for (const [label, bytes] of [
      ['brotli bytes that are not brotli', Uint8Array.from([2, 1, 2, 3, 4, 5])],
      ['an unknown codec byte', Uint8Array.from([99, 123, 125])],
      ['JSON that is not a batch', Uint8Array.from([0, ...Buffer.from('{"x":1}')])],
      ['an empty value', new Uint8Array(0)],
    ] as const) {
      it(`a batch value holding ${label} rejects the stream with STORE_CORRUPT`, async () => {
        const s = await damaged(async (r) => r.batches.put(await firstKey(r.batches), bytes));
        await rejectsWith(collect(s.readBatches('s1')), StoreErrorCode.CORRUPT);
        await rejectsWith(collect(s.readBatchesJson('s1')), StoreErrorCode.CORRUPT);
        assert.equal((await s.getSession('s1'))?.batchCount, 2);
        await s.close();
      });
    }

    it('a damaged session record rejects getSession and listSessions with STORE_CORRUPT', async () => {
      const s = await damaged((r) => r.sessions.put('s1', '{not json'));
      await rejectsWith(s.getSession('s1'), StoreErrorCode.CORRUPT);
      await rejectsWith(s.listSessions({}), StoreErrorCode.CORRUPT);
      await s.close();
    });
  });

  it('a second store on a folder in use fails to open with STORE_OPEN_FAILED and stays closed', async () => {
    const location = tempDir();
    const a = new LevelStore({ location });
    await a.open();
    const b = new LevelStore({ location });
    await rejectsWith(b.open(), StoreErrorCode.OPEN_FAILED);
    assert.equal(b.status, 'closed');
    await a.close();
    await b.open();
    assert.equal(b.status, 'open');
    await b.close();
  });

  it('refuses a folder written in another on-disk format', async () => {
    const location = tempDir();
    const r = await raw(location);
    await r.meta.put('format', '3');
    await r.db.close();
    const s = new LevelStore({ location });
    await assert.rejects(s.open(), (err: unknown) => err instanceof StoreError && err.code === StoreErrorCode.OPEN_FAILED && /format 3/.test(err.message));
    assert.equal(s.status, 'closed');
  });

  it('checks its options at construction with a TypeError that names the option', () => {
    assert.throws(() => new LevelStore(undefined as never), TypeError);
    assert.throws(() => new LevelStore({ location: '' }), /options\.location/);
    assert.throws(() => new LevelStore({ location: 'x', compression: 'zstd' as never }), /options\.compression/);
    assert.throws(() => new LevelStore({ location: 'x', sessionCacheSize: 0 }), /options\.sessionCacheSize/);
    const s = new LevelStore({ location: 'x' });
    assert.equal(s.compression, 'brotli');
    assert.equal(s.status, 'closed');
  });
});
