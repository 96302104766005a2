/**
 * What `RedisStore` keeps beside sessions and error groups (redis-extra.ts), on a real
 * redis-server: the audit chain shared by two relay processes, the hash tags of the global
 * records, the byte count of `diskSize`, and the digests index putting itself right.
 */
import assert from 'node:assert/strict';
import type { SessionDigest } from '@sentiero/protocol';
import { RedisStore } from '@sentiero/storage';
import { Redis } from 'ioredis';
import { type RedisServer, startRedis } from './redis-server.ts';

let server: RedisServer;
let raw: Redis;
let n = 0;
const open: RedisStore[] = [];

before(async function () {
  this.timeout(30_000);
  server = await startRedis();
  raw = new Redis(server.url);
});

after(async () => {
  raw?.disconnect();
  await server?.dispose();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Two stores over one prefix: two relay processes sharing one Redis. */
async function pair(): Promise<[RedisStore, RedisStore, string]> {
  const prefix = `x${n++}:`;
  const a = new RedisStore({ url: server.url, prefix });
  const b = new RedisStore({ url: server.url, prefix });
  open.push(a, b);
  await Promise.all([a.open(), b.open()]);
  return [a, b, prefix];
}

const digest = (sessionId: string, startedAt: number): SessionDigest => ({
  v: 1, sessionId, startedAt, endedAt: startedAt + 1_000, durationMs: 1_000, browser: 'Chrome', os: 'Linux', device: 'desktop',
  pages: [], clicks: [], rageClicks: [], deadClicks: [], errorClicks: [], fields: [], events: [],
  counts: { events: 1, pages: 0, clicks: 0, rageClicks: 0, deadClicks: 0, errorClicks: 0, errors: 0, customEvents: 0 }, engagement: 1,
});

const batch = (sessionId: string, seq: number, t: number) => ({
  sessionId, windowId: 'w1', seq, events: [{ type: 3, timestamp: t, data: { text: `${t} ${'lorem ipsum '.repeat(50)}` } }], receivedAt: t,
});

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('RedisStore: audit log, tokens, size and digests', () => {
  it('two relay processes append to one audit chain at once: it never forks, and each resolves to the entry as stored', async () => {
    const [a, b] = await pair();
    const input = (i: number) => ({ at: 1_000 + i, action: 'session.read', target: `s${i}`, token: i % 2 ? 'a' : 'b', address: '127.0.0.1' });
    const returned = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).appendAudit(input(i))));
    assert.deepEqual(returned.map((e) => e.seq).sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.deepEqual(await a.verifyAudit(), { ok: true, entries: 60, problems: [] });
    const stored = (await b.readAudit({ limit: 1000 })).entries;
    assert.deepEqual([...returned].sort((x, y) => y.seq - x.seq), stored);
  });

  it('a token name is taken once across processes', async () => {
    const [a, b] = await pair();
    const token = (hash: string) => ({ name: 'ci', role: 'viewer' as const, hash: hash.repeat(64), createdAt: 1 });
    const results = await Promise.all([a.putToken(token('a')), b.putToken(token('b')), a.putToken(token('c'))]);
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await b.listTokens()).length, 1);
  });

  it('keeps the global records under fixed hash tags and a digest in its session\'s slot', async () => {
    const [a, , prefix] = await pair();
    await a.append(batch('s1', 1, 10));
    await a.putDigest(digest('s1', 10));
    await a.appendAudit({ at: 1, action: 'erase', target: 's1', token: 'ops', address: '::1' });
    await a.putToken({ name: 'ci', role: 'viewer', hash: 'a'.repeat(64), createdAt: 1 });
    await a.putSegment({ id: 'seg', name: 'n', filter: {}, createdAt: 1, updatedAt: 1 });
    const keys = (await raw.keys(`${prefix}*`)).sort();
    const tag = (k: string) => k.slice(k.indexOf('{'), k.indexOf('}') + 1);
    for (const name of ['{audit}:log', '{audit}:head', '{tokens}:by-name', '{segments}:by-id', '{digests}:by-start', '{size}:bytes']) {
      assert.ok(keys.includes(`${prefix}${name}`), `${name} in ${keys.join(' ')}`);
    }
    assert.equal(tag(`${prefix}{s1}:digest`), '{s1}');
    assert.ok(keys.includes(`${prefix}{s1}:digest`) && keys.includes(`${prefix}{s1}:bytes`));
    assert.deepEqual(keys.filter((k) => !k.includes('{')), [`${prefix}sessions`]);
  });

  it('diskSize counts the compressed batches of both processes and gives a deleted session\'s bytes back', async () => {
    const [a, b] = await pair();
    assert.equal(await a.diskSize(), 0);
    await a.append(batch('s1', 1, 10));
    await b.append(batch('s1', 2, 20));
    const one = await a.diskSize();
    assert.ok(one > 0);
    await b.append(batch('s2', 1, 30));
    const two = await b.diskSize();
    assert.ok(two > one);
    await b.append(batch('s2', 1, 30));
    assert.equal(await a.diskSize(), two, 'a batch stored twice counts once');
    assert.equal(await a.deleteSession('s2'), true);
    assert.equal(await b.diskSize(), one);
    await b.deleteSession('s1');
    assert.equal(await a.diskSize(), 0);
  });

  it('scanDigests skips and removes index entries that are not their digest\'s, and keeps the current ones', async () => {
    const [a, , prefix] = await pair();
    await a.append(batch('s1', 1, 10));
    await a.putDigest(digest('s1', 10));
    const index = `${prefix}{digests}:by-start`;
    // A put that lost a race with another put of the same session, and one that lost a race with a deletion.
    await raw.zadd(index, 0, `${(5).toString(16).padStart(14, '0')}!s1`, 0, `${(7).toString(16).padStart(14, '0')}!gone`);
    assert.deepEqual((await collect(a.scanDigests())).map((d) => [d.sessionId, d.startedAt]), [['s1', 10]]);
    assert.deepEqual(await raw.zrange(index, '0', '-1'), [`${(10).toString(16).padStart(14, '0')}!s1`]);
  });

  it('a digest put racing a deletion never outlives its session', async () => {
    const [a, b] = await pair();
    const ids = Array.from({ length: 40 }, (_, i) => `r${i}`);
    for (const id of ids) await a.append(batch(id, 1, 100));
    await Promise.all(ids.flatMap((id, i) => [a.putDigest(digest(id, 100 + i)), b.deleteSession(id), a.putDigest(digest(id, 200 + i))]));
    for (const id of ids) assert.equal(await b.getDigest(id), undefined, id);
    assert.deepEqual(await collect(a.scanDigests()), []);
  });

  it('keeps the identified users of a session written by two processes', async () => {
    const [a, b] = await pair();
    await a.append({ ...batch('s1', 1, 10), digest: { userIds: ['alice'] } });
    await b.append({ ...batch('s1', 2, 20), digest: { userIds: ['bob'] } });
    const r = await a.getSession('s1');
    assert.equal(r?.userId, 'bob');
    assert.deepEqual(r?.userIds, ['alice', 'bob']);
    assert.deepEqual((await b.listSessions({ userId: 'alice' })).sessions.map((s) => s.id), ['s1']);
  });
});
