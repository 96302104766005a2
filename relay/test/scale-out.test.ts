/**
 * Two relay processes' worth of relays (two `createRelay` on two servers) over one real
 * `redis-server`: what one ingests, the other's watchers see, backlog then live with no gap
 * and no duplicate; the feeds cross; a recorder that reconnects to the other one resumes.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRelay } from '@sentiero/relay';
import { RedisStore } from '@sentiero/storage';
import { type RedisServer, startRedis } from '../../storage/test/redis-server.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { waitFor } from '../../test/helpers/net.ts';

const meta = { url: 'http://127.0.0.1/page', userAgent: 'UA', startedAt: 1 };
const ev = (i: number) => ({ type: 3, timestamp: 1_000_000 + i, data: { i } });

let redis: RedisServer;
let n = 0;

before(async function () {
  this.timeout(30_000);
  redis = await startRedis();
});

after(async () => {
  await redis?.dispose();
});

async function watcher(t: TestRelay): Promise<Inbox> {
  const inbox = new Inbox(await t.socket('/watch'));
  inbox.send({ t: 'auth', token: t.relay.token });
  await inbox.next((m) => m.t === 'ready');
  return inbox;
}

async function recorder(t: TestRelay, sessionId: string, windowId = 'w1'): Promise<{ inbox: Inbox; ackedSeq: number }> {
  const inbox = new Inbox(await t.socket('/ingest'));
  inbox.send({ t: 'hello', v: 1, sessionId, windowId, lastSeq: 0, meta });
  const welcome = await inbox.next((m) => m.t === 'welcome');
  return { inbox, ackedSeq: welcome.ackedSeq as number };
}

const eventIds = (w: Inbox): number[] =>
  w.messages.filter((m) => m.t === 'events').flatMap((m) => m.events as Array<{ data: { i: number } }>).map((e) => e.data.i);

describe('relay scale-out on Redis', () => {
  let a: TestRelay;
  let b: TestRelay;

  beforeEach(async () => {
    const prefix = `so${n++}:`;
    const options = { limits: { liveGraceMs: 300 } };
    a = await startRelay({ ...options, store: new RedisStore({ url: redis.url, prefix }) });
    b = await startRelay({ ...options, store: new RedisStore({ url: redis.url, prefix }) });
  });

  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('a watcher on one relay gets what another ingests: every event once, in order, across the backlog/live seam', async () => {
    const { inbox: rec } = await recorder(a, 'seam');
    let seq = 0;
    let producing = true;
    const producer = (async () => {
      while (producing && seq < 300) {
        seq++;
        rec.send({ t: 'batch', seq, events: [ev(seq * 2), ev(seq * 2 + 1)] });
        const want = seq;
        await rec.next((m) => m.t === 'ack' && m.seq === want);
      }
    })();
    await waitFor(() => seq >= 40, { what: 'a backlog of 40 batches' });
    const w = await watcher(b);
    w.send({ t: 'subscribe', sessionId: 'seam' });
    const live = await w.next((m) => m.t === 'live');
    assert.equal(live.active, true, 'batches arriving over the bus make the session live on the other relay');
    const atSeam = seq;
    await waitFor(() => seq >= atSeam + 40, { what: '40 more batches after the seam' });
    producing = false;
    await producer;
    const last = seq;
    await w.next((m) => m.t === 'events' && m.seq === last);
    assert.deepEqual(eventIds(w), Array.from({ length: last * 2 }, (_, k) => k + 2), 'every event once, in order');
  });

  it('the sessions and errors feeds cross, and a deletion on one relay ends the watch on the other', async () => {
    const feed = await watcher(b);
    feed.send({ t: 'subscribe', feed: 'sessions' });
    feed.send({ t: 'subscribe', feed: 'errors' });
    const follower = await watcher(b);
    const { inbox: rec } = await recorder(a, 'fed');
    rec.send({ t: 'batch', seq: 1, events: [ev(1)] });
    await rec.next((m) => m.t === 'ack' && m.seq === 1);
    const session = await feed.next((m) => m.t === 'session' && (m.session as { id: string }).id === 'fed');
    assert.equal((session.session as { eventCount: number }).eventCount, 1);
    const listed = await (await b.api('/api/sessions?live=true')).json() as { sessions: { id: string; live: boolean }[] };
    assert.deepEqual(listed.sessions.map((s) => [s.id, s.live]), [['fed', true]], 'the other relay lists the session as live');
    follower.send({ t: 'subscribe', sessionId: 'fed' });
    await follower.next((m) => m.t === 'live');

    const error = { type: 5, timestamp: 1_000_010, data: { tag: 'sentiero/error@1', payload: { name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (http://127.0.0.1/app.js:1:2)' } } };
    rec.send({ t: 'batch', seq: 2, events: [error] });
    await rec.next((m) => m.t === 'ack' && m.seq === 2);
    const occurrence = await feed.next((m) => m.t === 'error-occurrence');
    assert.equal((occurrence.occurrence as { sessionId: string }).sessionId, 'fed');
    await feed.next((m) => m.t === 'error-group');

    const res = await a.api('/api/sessions/fed', { method: 'DELETE' });
    assert.equal(res.status, 204);
    await feed.next((m) => m.t === 'session-deleted' && m.sessionId === 'fed');
    await follower.next((m) => m.t === 'end');
    assert.equal((await b.api('/api/sessions/fed')).status, 404);
  });

  it('a recorder that reconnects to the other relay resumes its session: re-sent batches are not stored twice', async () => {
    const w = await watcher(a);
    const first = await recorder(a, 'moved');
    for (let s = 1; s <= 5; s++) first.inbox.send({ t: 'batch', seq: s, events: [ev(s)] });
    await first.inbox.next((m) => m.t === 'ack' && m.seq === 5);
    first.inbox.ws.close();
    w.send({ t: 'subscribe', sessionId: 'moved' });
    await w.next((m) => m.t === 'live');

    const second = await recorder(b, 'moved');
    assert.equal(second.ackedSeq, 5, 'the acknowledged seq is the shared store\'s');
    // A recorder that missed the acks of 4 and 5 sends them again, then goes on.
    for (const s of [4, 5, 6, 7]) second.inbox.send({ t: 'batch', seq: s, events: [ev(s)] });
    await second.inbox.next((m) => m.t === 'ack' && m.seq === 7);
    await w.next((m) => m.t === 'events' && m.seq === 7);
    assert.deepEqual(eventIds(w), [1, 2, 3, 4, 5, 6, 7], 'the watcher on the first relay saw each event once');
    const record = await (await b.api('/api/sessions/moved')).json() as { eventCount: number };
    assert.equal(record.eventCount, 7);
    const lines = (await (await a.api('/api/sessions/moved/events')).text()).trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    assert.deepEqual(lines.map((l) => l.seq), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('a watcher catches up from the store when the bus\'s connection drops (messages published meanwhile are lost to it)', async () => {
    const w = await watcher(b);
    const { inbox: rec } = await recorder(a, 'dropped');
    rec.send({ t: 'batch', seq: 1, events: [ev(1)] });
    await rec.next((m) => m.t === 'ack' && m.seq === 1);
    w.send({ t: 'subscribe', sessionId: 'dropped' });
    await w.next((m) => m.t === 'live');
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    for (let s = 2; s <= 40; s++) rec.send({ t: 'batch', seq: s, events: [ev(s)] });
    await rec.next((m) => m.t === 'ack' && m.seq === 40);
    await w.next((m) => m.t === 'events' && m.seq === 40);
    assert.deepEqual(eventIds(w), Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('the redis option', () => {
  it('takes { url } or { nodes }, never with store or dataDir', () => {
    assert.throws(() => createRelay({ redis: {} }), /"redis" option must be \{ url \} or \{ nodes \}/);
    assert.throws(() => createRelay({ redis: { url: 'redis://a', nodes: [{ host: 'a', port: 1 }] } }), /"redis" option/);
    assert.throws(() => createRelay({ redis: { url: 'redis://a' }, dataDir: './x' }), /cannot be used with "store" or "dataDir"/);
    assert.throws(() => createRelay({ redis: { url: 'http://a' } }), /options\.url/);
  });

  it('makes the store a RedisStore on that Redis, and the relay shares its live side', async () => {
    const relay = createRelay({ redis: { url: redis.url, prefix: 'opt:' }, logger: { info() {}, warn() {}, error() {} } });
    try {
      await relay.ready;
      assert.ok(relay.store instanceof RedisStore);
      assert.equal((relay.store as RedisStore).prefix, 'opt:');
    } finally {
      await relay.close();
    }
  });
});
