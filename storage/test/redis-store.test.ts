import assert from 'node:assert/strict';
import { RedisStore, StoreError, StoreErrorCode } from '@sentiero/storage';
import { runStoreConformance } from '@sentiero/storage/conformance';
import { Redis } from 'ioredis';
import { encodeBatchText, encodeBatchTextSync } from '../src/codec.ts';
import { SYNC_ENCODE_BYTES } from '../src/redis-store.ts';
import { freePort } from '../../test/helpers/demo-process.ts';
import { type RedisServer, startRedis } from './redis-server.ts';

let server: RedisServer;
let n = 0;

before(async function () {
  this.timeout(30_000);
  server = await startRedis();
});

after(async () => {
  await server?.dispose();
});

/** Each store of the suite has its own prefix on the one server, so that tests do not see each other. */
runStoreConformance('RedisStore', () => new RedisStore({ url: server.url, prefix: `t${n++}:` }), {
  reopen: (old) => new RedisStore((old as RedisStore).options),
});

describe('RedisStore', () => {
  it('checks its options and names the wrong one', () => {
    assert.throws(() => new RedisStore({ url: 'http://x' }), /options\.url/);
    assert.throws(() => new RedisStore({ url: 'redis://a', nodes: [{ host: 'a', port: 1 }] }), /one of/);
    assert.throws(() => new RedisStore({ nodes: [] }), /options\.nodes/);
    assert.throws(() => new RedisStore({ prefix: 'a{b}' }), /options\.prefix/);
    assert.throws(() => new RedisStore({ compression: 'brotli-window' }), /options\.compression/);
    assert.throws(() => new RedisStore({ connectTimeoutMs: 0 }), /connectTimeoutMs/);
  });

  it('rejects open() with STORE_OPEN_FAILED when no server answers', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 500 });
    await assert.rejects(store.open(), (err: unknown) => err instanceof StoreError && err.code === StoreErrorCode.OPEN_FAILED);
    assert.equal(store.status, 'closed');
  });

  it('keeps every key of a session in its hash slot, compressed batches included', async () => {
    const store = new RedisStore({ url: server.url, prefix: 'slots:' });
    await store.open();
    await store.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: [{ type: 3, timestamp: 5, data: { text: 'x'.repeat(2_000) } }], receivedAt: 6 });
    await store.recordError({ id: 'o1', groupId: 'g1', sessionId: 's1', timestamp: 7, receivedAt: 8, origin: 'browser', via: 'recorder', name: 'E', message: 'm', frames: [] });
    const raw = new Redis(server.url);
    try {
      const keys = await raw.keys('slots:*');
      const session = keys.filter((k) => k.includes('{s1}'));
      assert.ok(session.length >= 6, keys.join(' '));
      const slots = new Set(await Promise.all(session.map((k) => raw.call('CLUSTER', 'KEYSLOT', k).catch(() => k.slice(k.indexOf('{'), k.indexOf('}') + 1)))));
      assert.equal(slots.size, 1);
      const value = await raw.hgetBuffer('slots:{s1}:data:w1', '1');
      assert.ok(value && value.length < 300, `a 2 kB batch is stored compressed (${value?.length} bytes)`);
      assert.deepEqual(keys.filter((k) => !k.includes('{')).sort(), ['slots:error-groups', 'slots:sessions']);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('two instances over one Redis (two relay processes) append concurrently to one session and lose nothing', async () => {
    const a = new RedisStore({ url: server.url, prefix: 'shared:' });
    const b = new RedisStore({ url: server.url, prefix: 'shared:' });
    await Promise.all([a.open(), b.open()]);
    try {
      const batches = Array.from({ length: 200 }, (_, i) => ({ sessionId: 's1', windowId: `w${i % 4}`, seq: Math.floor(i / 4) + 1, events: [{ type: 3, timestamp: 100 + i }], receivedAt: 1_000 }));
      // Every batch sent to both: one of the two stores it, the other sees it stored.
      const results = await Promise.all(batches.flatMap((x) => [a.append(x), b.append(x)]));
      assert.equal(results.filter((r) => r.stored).length, 200);
      const record = await b.getSession('s1');
      assert.equal(record?.batchCount, 200);
      assert.equal(record?.eventCount, 200);
      assert.equal(record?.windowCount, 4);
      for (let w = 0; w < 4; w++) assert.equal(await a.ackedSeq('s1', `w${w}`), 50);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('compresses a small batch on the event loop and a large one on the thread pool, to the same bytes, and reads both back', async () => {
    const text = Buffer.from(JSON.stringify({ r: 1, t: 2, e: [{ type: 3, timestamp: 2, data: { text: 'abc'.repeat(500) } }] }));
    for (const c of ['brotli', 'gzip', 'none'] as const) assert.deepEqual(Buffer.from(encodeBatchTextSync(text, c)), Buffer.from(await encodeBatchText(text, c)), c);
    const store = new RedisStore({ url: server.url, prefix: 'sizes:' });
    await store.open();
    try {
      const big = Array.from({ length: 40 }, (_, i) => ({ type: 3, timestamp: 10 + i, data: { text: `${i}`.repeat(2_000) } }));
      assert.ok(JSON.stringify(big).length > SYNC_ENCODE_BYTES);
      const small = [{ type: 3, timestamp: 100, data: { text: 'small' } }];
      await store.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: big, receivedAt: 50 });
      await store.append({ sessionId: 's1', windowId: 'w1', seq: 2, events: small, receivedAt: 150 });
      const read = [];
      for await (const b of store.readBatches('s1')) read.push(b.events);
      assert.deepEqual(read, [big, small]);
    } finally {
      await store.close();
    }
  });
});
