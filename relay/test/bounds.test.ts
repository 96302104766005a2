/**
 * The relay runs inside the app's own process: nothing an anonymous page sends may exhaust it.
 * Byte backpressure, the hello timeout, the per-address socket cap, the seq window, the
 * per-session caps, the nesting limit, malformed paths and the origin check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloseCode, ErrorCode } from '@sentiero/protocol';
import { type Logger, MemoryStore, type RelayOptions, createRelay } from '@sentiero/relay';
import { StoreError, StoreErrorCode, type BatchInput } from '@sentiero/storage';
import { WebSocket } from 'ws';
import { waitFor } from '../../test/helpers/net.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { addressKey } from '../src/connections.ts';

const meta = { url: 'http://127.0.0.1/page', userAgent: 'Mozilla/5.0 test', startedAt: 1_700_000_000_000 };
const hello = (sessionId: string, windowId = 'win-a') => ({ t: 'hello', v: 1, sessionId, windowId, lastSeq: 0, meta });
const ev = (ts: number, data: unknown = { source: 2, type: 2, id: 1 }) => ({ type: 3, timestamp: ts, data });
const post = (t: TestRelay, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.base}/ingest`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code;

/** An ingest socket with its inbox listening from the start (a close can come with the upgrade's answer); `compress: false` sends frames as they are. */
async function connect(t: TestRelay, compress = true): Promise<Inbox> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}${t.relay.basePath}/ingest`, { perMessageDeflate: compress });
  const inbox = new Inbox(ws);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return inbox;
}

async function ingest(t: TestRelay, sessionId: string, windowId = 'win-a') {
  const inbox = new Inbox(await t.socket('/ingest'));
  inbox.send(hello(sessionId, windowId));
  const welcome = await inbox.next((m) => m.t === 'welcome');
  return { inbox, welcome };
}

/** A well-behaved recorder alongside gets its batch stored and acknowledged. */
async function stillWorks(t: TestRelay) {
  const { inbox } = await ingest(t, `sess-ok-${Math.random().toString(36).slice(2, 8)}`);
  inbox.send({ t: 'batch', seq: 1, events: [ev(5000)] });
  await inbox.next((m) => m.t === 'ack' && m.seq === 1);
  inbox.ws.close();
}

/** A nesting `depth` levels deep, built as text (no recursion on either side). */
const nested = (depth: number) => `{"type":3,"timestamp":1,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('relay bounds: byte backpressure', () => {
  const payload = 64 * 1024;
  const perSocket = 256 * 1024;
  const total = 512 * 1024;
  let t: TestRelay;
  let release: () => void;
  let appends: string[];

  beforeEach(async () => {
    // The attackers' appends wait until the test lets them go: what the relay holds meanwhile is what a slow store makes it hold.
    const store = new MemoryStore();
    const append = store.append.bind(store);
    const gate = new Promise<void>((r) => { release = r; });
    appends = [];
    store.append = async (b: BatchInput) => {
      appends.push(b.sessionId);
      if (b.sessionId.startsWith('attacker')) await gate;
      return append(b);
    };
    t = await startRelay({
      store,
      limits: { maxPayloadBytes: payload, maxUnackedBytesPerSocket: perSocket, maxUnackedBytesTotal: total, maxMessagesPerSecond: 1000 },
      recorder: { maxBatchBytes: 32 * 1024 },
    });
  });
  afterEach(async () => {
    release();
    await t.close();
  });

  async function attacker(sessionId: string, compress: boolean) {
    const inbox = await connect(t, compress);
    inbox.send(hello(sessionId));
    await inbox.next((m) => m.t === 'welcome');
    return inbox;
  }

  it('stops reading a socket past its unacknowledged bytes, reads it again as acks go out, and a good recorder alongside gets its acks', async () => {
    const attackers = await Promise.all([1, 2, 3].map((i) => attacker(`attacker-${i}`, false)));
    const batches = 40;
    const big = 'x'.repeat(payload - 200);
    for (const inbox of attackers) for (let seq = 1; seq <= batches; seq++) inbox.send({ t: 'batch', seq, events: [ev(seq, big)] });

    await waitFor(() => t.relay.stats().ingestPausedSockets === 3, { what: 'the relay to stop reading the three attackers' });
    const held = t.relay.stats().ingestUnackedBytes;
    // Past the total, every socket may still have had the batch it was reading, plus what was already in ws's read buffer.
    assert.ok(held <= total + 3 * 2 * payload, `the relay holds ${held} bytes, past its bound`);
    assert.ok(appends.length < 3 * batches / 2, `${appends.length} batches reached the store: the sockets were read on`);

    await stillWorks(t);

    release();
    await Promise.all(attackers.map((inbox) => inbox.next((m) => m.t === 'ack' && m.seq === batches, 30_000)));
    await waitFor(() => t.relay.stats().ingestUnackedBytes === 0, { what: 'every byte to be released' });
    assert.equal(t.relay.stats().ingestPausedSockets, 0);
  });

  it('cuts off a socket whose compressed frames keep inflating into batches after it was paused (4429)', async () => {
    // 64 KiB of "x" deflates to a few hundred bytes: one read from the network holds dozens of batches.
    const inbox = await attacker('attacker-zip', true);
    const big = 'x'.repeat(payload - 200);
    for (let seq = 1; seq <= 60; seq++) inbox.send({ t: 'batch', seq, events: [ev(seq, big)] });
    const err = await inbox.next((m) => m.t === 'error');
    assert.equal(err.code, ErrorCode.RATE_LIMITED);
    assert.equal((await inbox.closedWith()).code, CloseCode.RATE_LIMITED);
    assert.ok(t.relay.stats().ingestUnackedBytes <= 2 * perSocket + payload, 'what the relay held was released');
    await stillWorks(t);
  });
});

describe('relay bounds: large batches take turns', () => {
  const payload = 64 * 1024;
  let t: TestRelay;
  let release: () => void;
  let inStore: number;
  let mostInStore: number;
  let stored: Array<{ sessionId: string; seq: number }>;

  beforeEach(async () => {
    // The attackers' appends wait until the test lets them go; the good recorder's never wait.
    const store = new MemoryStore();
    const append = store.append.bind(store);
    const gate = new Promise<void>((r) => { release = r; });
    inStore = 0;
    mostInStore = 0;
    stored = [];
    store.append = async (b: BatchInput) => {
      if (!b.sessionId.startsWith('attacker')) return append(b);
      stored.push({ sessionId: b.sessionId, seq: b.seq });
      const large = (b.bytes ?? 0) >= 16 * 1024;
      if (large) mostInStore = Math.max(mostInStore, ++inStore);
      try {
        await gate;
        return await append(b);
      } finally {
        if (large) inStore--;
      }
    };
    t = await startRelay({
      store,
      limits: { maxPayloadBytes: payload, largeBatchBytes: 16 * 1024, largeBatchesAtOnce: 1, maxUnackedBytesPerSocket: 256 * 1024, maxUnackedBytesTotal: 512 * 1024, maxMessagesPerSecond: 1000 },
      recorder: { maxBatchBytes: 16 * 1024 },
    });
  });
  afterEach(async () => {
    release();
    await t.close();
  });

  it('stores one large batch at a time, a small batch of another socket is acknowledged meanwhile, and each socket\'s batches keep their order', async () => {
    const attackers = await Promise.all([1, 2, 3].map(async (i) => {
      const inbox = await connect(t, false);
      inbox.send(hello(`attacker-${i}`));
      await inbox.next((m) => m.t === 'welcome');
      return inbox;
    }));
    const batches = 6;
    const big = 'x'.repeat(payload - 200);
    for (const inbox of attackers) {
      for (let seq = 1; seq <= batches; seq++) {
        inbox.send({ t: 'batch', seq, events: [ev(seq, big)] });
        // A small batch behind the large ones of the same socket waits its turn with them.
        inbox.send({ t: 'batch', seq: batches + seq, events: [ev(seq)] });
      }
    }
    await waitFor(() => inStore > 0, { what: 'a large batch to reach the store' });
    // The large batch holds the lane, its write held: every other large one waits, and a small batch of another socket goes by.
    await stillWorks(t);
    assert.equal(mostInStore, 1, `${mostInStore} large batches were in the store at once`);

    release();
    await Promise.all(attackers.map((inbox) => inbox.next((m) => m.t === 'ack' && m.seq === 2 * batches, 30_000)));
    assert.equal(mostInStore, 1, `${mostInStore} large batches were in the store at once`);
    for (let i = 1; i <= 3; i++) {
      const seqs = stored.filter((s) => s.sessionId === `attacker-${i}`).map((s) => s.seq);
      assert.deepEqual(seqs, [1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12], `attacker-${i}'s batches were stored out of order`);
    }
    await waitFor(() => t.relay.stats().ingestUnackedBytes === 0, { what: 'every byte to be released' });
  });

  it('drops the frames a closed socket left waiting for the lane, releases their bytes, and the lane serves the next socket', async () => {
    const inbox = await connect(t, false);
    inbox.send(hello('attacker-gone'));
    await inbox.next((m) => m.t === 'welcome');
    const big = 'x'.repeat(payload - 200);
    for (let seq = 1; seq <= 3; seq++) inbox.send({ t: 'batch', seq, events: [ev(seq, big)] });
    await waitFor(() => inStore > 0, { what: 'the first large batch to reach the store' });
    await waitFor(() => t.relay.stats().ingestUnackedBytes >= 3 * (payload - 200), { what: 'the relay to read the three frames' });
    inbox.ws.terminate();
    await waitFor(() => t.relay.stats().ingestUnackedBytes === 0, { what: 'the closed socket\'s bytes to be released' });
    release();

    const next = await connect(t, false);
    next.send(hello('attacker-next'));
    await next.next((m) => m.t === 'welcome');
    next.send({ t: 'batch', seq: 1, events: [ev(1, big)] });
    await next.next((m) => m.t === 'ack' && m.seq === 1);
    assert.deepEqual(stored.filter((s) => s.sessionId === 'attacker-gone').map((s) => s.seq), [1], 'only the batch the lane had begun was stored');
  });
});

describe('relay bounds: sockets', () => {
  let t: TestRelay;
  afterEach(async () => { await t.close(); });

  it('closes an ingest socket that sends no hello within helloTimeoutMs with 4408', async () => {
    t = await startRelay({ limits: { helloTimeoutMs: 100 } });
    const inbox = await connect(t);
    const err = await inbox.next((m) => m.t === 'error', 5000);
    assert.equal(err.code, ErrorCode.HELLO_TIMEOUT);
    assert.equal((await inbox.closedWith(5000)).code, CloseCode.HELLO_TIMEOUT);
    await waitFor(() => t.relay.stats().ingestSockets === 0, { what: 'the socket to be gone' });
  });

  it('counts an IPv4 address by itself and an IPv6 address by its /64', () => {
    assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('::ffff:203.0.113.7'), '::ffff:203.0.113.7');
    assert.equal(addressKey('2001:db8:0:1:aaaa::1'), addressKey('2001:DB8:0:1:bbbb:cccc:dddd:eeee'));
    assert.notEqual(addressKey('2001:db8:0:1::1'), addressKey('2001:db8:0:2::1'));
  });

  it('refuses the upgrade with 429 past maxSocketsPerAddress, and takes one again once a socket closed', async () => {
    t = await startRelay({ limits: { maxSocketsPerAddress: 3 } });
    const open = await Promise.all([1, 2, 3].map(() => t.socket('/ingest')));
    await assert.rejects(t.socket('/ingest'), { status: 429 });
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${t.base}/ingest`, { headers: { connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c) => { body += c; });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('upgrade', () => reject(new Error('upgraded past the cap')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 429);
    assert.equal(JSON.parse(res.body).code, ErrorCode.TOO_MANY_CONNECTIONS);
    // Watch sockets are not ingest sockets.
    (await t.socket('/watch')).close();
    open[0]!.terminate();
    await waitFor(async () => t.socket('/ingest').then(() => true, () => false), { what: 'a free slot' });
  });
});

describe('relay bounds: seq window and per-session caps', () => {
  let t: TestRelay;
  afterEach(async () => { await t.close(); });

  it('closes with 4409 on a batch too far past the acknowledged seq, and answers 409 over HTTP', async () => {
    t = await startRelay({ limits: { maxSeqAhead: 10 } });
    const { inbox } = await ingest(t, 'sess-a');
    inbox.send({ t: 'batch', seq: 10, events: [ev(1)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 10);
    inbox.send({ t: 'batch', seq: 11, events: [ev(2)] });
    const err = await inbox.next((m) => m.t === 'error');
    assert.equal(err.code, ErrorCode.SEQ_OUT_OF_WINDOW);
    assert.equal((await inbox.closedWith()).code, CloseCode.SEQ_OUT_OF_WINDOW);

    assert.equal((await post(t, { sessionId: 'sess-h', windowId: 'w', seq: 10, events: [ev(1)], meta })).status, 200);
    const far = await post(t, { sessionId: 'sess-h', windowId: 'w', seq: 11, events: [ev(1)], meta });
    assert.equal(far.status, 409);
    assert.equal(await codeOf(far), ErrorCode.SEQ_OUT_OF_WINDOW);
    await stillWorks(t);
  });

  it('refuses events past maxEventsPerSession with 4410 over WS and 413 over HTTP, counting what is already stored', async () => {
    t = await startRelay({ limits: { maxEventsPerSession: 5 } });
    const { inbox } = await ingest(t, 'sess-a');
    inbox.send({ t: 'batch', seq: 1, events: [ev(1), ev(2), ev(3)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 1);
    inbox.send({ t: 'batch', seq: 1, events: [ev(1), ev(2), ev(3)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 1 && inbox.messages.filter((x) => x.t === 'ack').length === 2);
    inbox.send({ t: 'batch', seq: 2, events: [ev(4), ev(5), ev(6)] });
    const err = await inbox.next((m) => m.t === 'error');
    assert.equal(err.code, ErrorCode.SESSION_LIMIT);
    assert.equal((await inbox.closedWith()).code, CloseCode.SESSION_LIMIT);

    // Another window of the same session shares its count; a re-sent batch counted nothing.
    const again = await ingest(t, 'sess-a', 'win-b');
    again.inbox.send({ t: 'batch', seq: 1, events: [ev(4), ev(5)] });
    await again.inbox.next((m) => m.t === 'ack' && m.seq === 1);
    again.inbox.send({ t: 'batch', seq: 2, events: [ev(6)] });
    assert.equal((await again.inbox.closedWith()).code, CloseCode.SESSION_LIMIT);

    const over = await post(t, { sessionId: 'sess-a', windowId: 'win-c', seq: 1, events: [ev(7)], meta });
    assert.equal(over.status, 413);
    assert.equal(await codeOf(over), ErrorCode.SESSION_LIMIT);
    const s = (await (await t.api('/api/sessions/sess-a')).json()) as { eventCount: number };
    assert.equal(s.eventCount, 5);
    await stillWorks(t);
  });

  it('seeds a session\'s counts from its stored record when a relay starts', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-bounds-'));
    try {
      const options: RelayOptions = { dataDir, limits: { maxEventsPerSession: 5 } };
      t = await startRelay(options);
      const first = await ingest(t, 'sess-a');
      first.inbox.send({ t: 'batch', seq: 1, events: [ev(1), ev(2), ev(3), ev(4)] });
      await first.inbox.next((m) => m.t === 'ack');
      await t.close();
      t = await startRelay(options);
      const { inbox } = await ingest(t, 'sess-a', 'win-b');
      inbox.send({ t: 'batch', seq: 1, events: [ev(5), ev(6)] });
      assert.equal((await inbox.next((m) => m.t === 'error')).code, ErrorCode.SESSION_LIMIT);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a window past maxWindowsPerSession at hello (4410) and over HTTP (413)', async () => {
    t = await startRelay({ limits: { maxWindowsPerSession: 2 } });
    for (const w of ['w1', 'w2']) {
      const { inbox } = await ingest(t, 'sess-a', w);
      inbox.send({ t: 'batch', seq: 1, events: [ev(1)] });
      await inbox.next((m) => m.t === 'ack');
    }
    // A window already counted may come back.
    await ingest(t, 'sess-a', 'w1');
    const third = new Inbox(await t.socket('/ingest'));
    third.send(hello('sess-a', 'w3'));
    assert.equal((await third.next((m) => m.t === 'error')).code, ErrorCode.SESSION_LIMIT);
    assert.equal((await third.closedWith()).code, CloseCode.SESSION_LIMIT);
    const res = await post(t, { sessionId: 'sess-a', windowId: 'w4', seq: 1, events: [ev(1)], meta });
    assert.equal(res.status, 413);
    assert.equal(await codeOf(res), ErrorCode.SESSION_LIMIT);
  });

  it('refuses bytes past maxBytesPerSession over WS and HTTP', async () => {
    t = await startRelay({ limits: { maxBytesPerSession: 4096 } });
    const { inbox } = await ingest(t, 'sess-a');
    inbox.send({ t: 'batch', seq: 1, events: [ev(1, 'x'.repeat(2000))] });
    await inbox.next((m) => m.t === 'ack');
    inbox.send({ t: 'batch', seq: 2, events: [ev(2, 'x'.repeat(2000))] });
    assert.equal((await inbox.next((m) => m.t === 'error')).code, ErrorCode.SESSION_LIMIT);
    const res = await post(t, { sessionId: 'sess-a', windowId: 'win-a', seq: 2, events: [ev(2, 'x'.repeat(2000))], meta });
    assert.equal(res.status, 413);
    assert.equal(await codeOf(res), ErrorCode.SESSION_LIMIT);
    await stillWorks(t);
  });
  it('keeps counting the bytes a session was sent after the relay restarts', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-bytes-'));
    try {
      t = await startRelay({ dataDir, limits: { maxBytesPerSession: 4096 } });
      const first = await ingest(t, 'sess-a');
      first.inbox.send({ t: 'batch', seq: 1, events: [ev(1, 'x'.repeat(2000))] });
      await first.inbox.next((m) => m.t === 'ack');
      await t.close();
      t = await startRelay({ dataDir, limits: { maxBytesPerSession: 4096 } });
      const { inbox } = await ingest(t, 'sess-a');
      inbox.send({ t: 'batch', seq: 2, events: [ev(2, 'x'.repeat(2000))] });
      assert.equal((await inbox.next((m) => m.t === 'error')).code, ErrorCode.SESSION_LIMIT);
      await stillWorks(t);
      await t.close();
      t = await startRelay();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('relay bounds: input the store cannot take', () => {
  let t: TestRelay;
  let appended: number;
  let failWith: Error | undefined;
  let logged: unknown[][];

  beforeEach(async () => {
    const store = new MemoryStore();
    const append = store.append.bind(store);
    appended = 0;
    failWith = undefined;
    logged = [];
    store.append = async (b: BatchInput) => {
      appended++;
      if (failWith) throw failWith;
      return append(b);
    };
    const logger: Logger = { info() {}, warn: (m) => logged.push([m]), error: (...args) => logged.push(args) };
    t = await startRelay({ store, logger });
  });
  afterEach(async () => { await t.close(); });

  it('answers a batch nested too deeply with 4401 / 400 without calling the store', async () => {
    const { inbox } = await ingest(t, 'sess-a');
    inbox.send(`{"t":"batch","seq":1,"events":[${nested(20_000)}]}`);
    const err = await inbox.next((m) => m.t === 'error');
    assert.equal(err.code, ErrorCode.INVALID_MESSAGE);
    assert.match(String(err.message), /nested at most \d+ levels deep/);
    assert.equal((await inbox.closedWith()).code, CloseCode.INVALID_MESSAGE);

    const res = await post(t, `{"sessionId":"sess-h","windowId":"w","seq":1,"events":[${nested(20_000)}]}`);
    assert.equal(res.status, 400);
    assert.equal(await codeOf(res), ErrorCode.INVALID_MESSAGE);
    assert.equal(appended, 0, 'the store was never asked');
    assert.deepEqual(logged, []);

    // Real pages nest a few dozen levels: well inside the limit.
    const ok = await ingest(t, 'sess-b');
    ok.inbox.send(`{"t":"batch","seq":1,"events":[${nested(200)}]}`);
    await ok.inbox.next((m) => m.t === 'ack');
  });

  it('logs a real store failure in one line with its code and answers 4500', async () => {
    failWith = new StoreError(StoreErrorCode.BACKEND_FAILED, 'append failed: the disk is full', { cause: new Error('ENOSPC') });
    const { inbox } = await ingest(t, 'sess-a');
    inbox.send({ t: 'batch', seq: 1, events: [ev(1)] });
    assert.equal((await inbox.next((m) => m.t === 'error')).code, ErrorCode.STORE_FAILED);
    assert.equal((await inbox.closedWith()).code, CloseCode.STORE_FAILED);
    assert.equal(logged.length, 1);
    const line = logged[0]!;
    assert.equal(line.length, 1, 'no error object (and so no stack) is logged');
    assert.match(String(line[0]), new RegExp(`${StoreErrorCode.BACKEND_FAILED}: append failed: the disk is full`));
    assert.doesNotMatch(String(line[0]), /\n/);
  });
});

describe('relay bounds: paths and origins', () => {
  let t: TestRelay;
  afterEach(async () => { await t.close(); });

  it('answers a malformed %-escape in any path with a coded 400, never 500', async () => {
    t = await startRelay();
    for (const p of ['/api/sessions/%E0%A4%A/events', '/api/sessions/%E0%A4%A', '/api/sessions/%E0%A4%A/errors', '/api/errors/%E0%A4%A', '/api/sessions/%/events']) {
      const res = await t.api(p);
      assert.equal(res.status, 400, p);
      assert.equal(await codeOf(res), ErrorCode.INVALID_MESSAGE, p);
    }
  });

  /** Whether a page of `origin` may open an ingest socket and POST a batch, sent with the given `Host`. */
  async function mayIngest(origin: string, host = `127.0.0.1:${t.port}`): Promise<[number, number]> {
    const ws = await new Promise<number>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${t.port}${t.relay.basePath}/ingest`, { headers: { origin, host } });
      s.once('open', () => { s.close(); resolve(101); });
      s.once('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0); });
      s.once('error', () => resolve(0));
    });
    const http = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.base}/ingest`, { method: 'POST', headers: { origin, host, 'content-type': 'text/plain' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ sessionId: 'sess-o', windowId: 'w', seq: 1, events: [ev(1)], meta }));
    });
    return [ws, http];
  }

  it('by default takes events only from pages of this server on a loopback address: scheme, host and port, never the Host header', async () => {
    t = await startRelay();
    assert.deepEqual(await mayIngest(`http://127.0.0.1:${t.port}`), [101, 200]);
    assert.deepEqual(await mayIngest(`http://localhost:${t.port}`, `localhost:${t.port}`), [101, 200]);
    assert.deepEqual(await mayIngest(`https://127.0.0.1:${t.port}`), [403, 403], 'another scheme');
    assert.deepEqual(await mayIngest(`http://127.0.0.1:${t.port + 1}`), [403, 403], 'another port');
    // DNS rebinding: evil.example resolves to 127.0.0.1, so Host and Origin agree — and neither is ours.
    assert.deepEqual(await mayIngest(`http://evil.example:${t.port}`, `evil.example:${t.port}`), [403, 403], 'a rebinding page');
    assert.deepEqual(await mayIngest('null'), [403, 403], 'an opaque origin');
  });

  it('compares configured origins by scheme, host and port', async () => {
    t = await startRelay({ allowedOrigins: ['https://app.example', 'http://app.example:8080/'] });
    assert.deepEqual(await mayIngest('https://app.example:443', 'app.example'), [101, 200]);
    assert.deepEqual(await mayIngest('http://app.example:8080', 'app.example:8080'), [101, 200]);
    assert.deepEqual(await mayIngest('http://app.example', 'app.example'), [403, 403], 'another scheme');
    assert.deepEqual(await mayIngest('https://app.example:8443', 'app.example:8443'), [403, 403], 'another port');
    assert.deepEqual(await mayIngest(`http://127.0.0.1:${t.port}`), [403, 403], 'loopback is not added to a configured list');
  });

  it('throws a TypeError naming allowedOrigins and each new limit when they are wrong', () => {
    assert.throws(() => createRelay({ allowedOrigins: ['app.example'] }), { name: 'TypeError', message: /allowedOrigins/ });
    assert.throws(() => createRelay({ allowedOrigins: ['https://app.example/path'] }), { name: 'TypeError', message: /allowedOrigins/ });
    for (const k of ['maxUnackedBytesPerSocket', 'maxUnackedBytesTotal', 'largeBatchBytes', 'largeBatchesAtOnce', 'maxSeqAhead', 'maxSocketsPerAddress', 'helloTimeoutMs', 'maxWindowsPerSession', 'maxEventsPerSession', 'maxBytesPerSession', 'maxEventDepth']) {
      assert.throws(() => createRelay({ limits: { [k]: 0 } }), { name: 'TypeError', message: new RegExp(k) });
    }
  });
});
