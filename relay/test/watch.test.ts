import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode } from '@sentiero/protocol';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { waitFor } from '../../test/helpers/net.ts';

const meta = { url: 'http://127.0.0.1/page', userAgent: 'UA', startedAt: 1 };
const ev = (i: number) => ({ type: 3, timestamp: 1_000_000 + i, data: { i } });

async function watcher(t: TestRelay, token = t.relay.token) {
  const inbox = new Inbox(await t.socket('/watch'));
  inbox.send({ t: 'auth', token });
  return inbox;
}

describe('relay watch', () => {
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay({ limits: { authTimeoutMs: 300, liveGraceMs: 200 } }); });
  afterEach(async () => { await t.close(); });

  it('closes with 4001 on a wrong token and 4002 without auth', async () => {
    const wrong = await watcher(t, 'wrong-token-wrong-token');
    assert.equal((await wrong.next((m) => m.t === 'error')).code, ErrorCode.UNAUTHORIZED);
    assert.equal((await wrong.closedWith()).code, CloseCode.UNAUTHORIZED);

    const silent = new Inbox(await t.socket('/watch'));
    assert.equal((await silent.closedWith()).code, CloseCode.AUTH_REQUIRED);

    const early = new Inbox(await t.socket('/watch'));
    early.send({ t: 'subscribe', feed: 'sessions' });
    assert.equal((await early.closedWith()).code, CloseCode.AUTH_REQUIRED);
  });

  it('delivers every event exactly once and in order across the backlog/live seam', async () => {
    const rec = new Inbox(await t.socket('/ingest'));
    rec.send({ t: 'hello', v: 1, sessionId: 'seam', windowId: 'w1', lastSeq: 0, meta });
    await rec.next((m) => m.t === 'welcome');
    let seq = 0;
    let producing = true;
    // The page keeps producing: a batch every few ms, each sent as soon as the previous one is acknowledged.
    const producer = (async () => {
      while (producing && seq < 400) {
        seq++;
        rec.send({ t: 'batch', seq, events: [ev(seq * 2), ev(seq * 2 + 1)] });
        const want = seq;
        await rec.next((m) => m.t === 'ack' && m.seq === want);
      }
    })();
    await waitFor(() => seq >= 60, { what: 'a backlog of 60 batches' });

    const w = await watcher(t);
    await w.next((m) => m.t === 'ready');
    w.send({ t: 'subscribe', sessionId: 'seam' });
    await w.next((m) => m.t === 'live');
    const atSeam = seq;
    await waitFor(() => seq >= atSeam + 60, { what: '60 more batches after the seam' });
    producing = false;
    await producer;
    const last = seq;
    await w.next((m) => m.t === 'events' && m.seq === last);

    const got = w.messages.filter((m) => m.t === 'events').flatMap((m) => m.events as Array<{ data: { i: number } }>).map((e) => e.data.i);
    const expected = Array.from({ length: last * 2 }, (_, k) => k + 2);
    assert.deepEqual(got, expected, 'every event once, in order');
  });

  it('resumes from a point and ends a session when its recorder goes away', async () => {
    const rec = new Inbox(await t.socket('/ingest'));
    rec.send({ t: 'hello', v: 1, sessionId: 'res', windowId: 'w1', lastSeq: 0, meta });
    await rec.next((m) => m.t === 'welcome');
    for (let s = 1; s <= 5; s++) rec.send({ t: 'batch', seq: s, events: [ev(s)] });
    await rec.next((m) => m.t === 'ack' && m.seq === 5);
    const w = await watcher(t);
    await w.next((m) => m.t === 'ready');
    w.send({ t: 'subscribe', sessionId: 'res', from: { w1: 3 } });
    const live = await w.next((m) => m.t === 'live');
    assert.equal(live.active, true);
    assert.deepEqual(w.messages.filter((m) => m.t === 'events').map((m) => m.seq), [4, 5]);
    rec.ws.close();
    await w.next((m) => m.t === 'end' && m.sessionId === 'res');
  });

  it('streams the sessions feed and reports unknown sessions', async () => {
    const w = await watcher(t);
    await w.next((m) => m.t === 'ready');
    w.send({ t: 'subscribe', feed: 'sessions' });
    w.send({ t: 'subscribe', sessionId: 'does-not-exist' });
    assert.equal((await w.next((m) => m.t === 'error')).code, ErrorCode.NOT_FOUND);
    const rec = new Inbox(await t.socket('/ingest'));
    rec.send({ t: 'hello', v: 1, sessionId: 'fed', windowId: 'w1', lastSeq: 0, meta });
    await rec.next((m) => m.t === 'welcome');
    rec.send({ t: 'batch', seq: 1, events: [ev(1)] });
    const update = await w.next((m) => m.t === 'session' && (m.session as { id: string; eventCount: number }).eventCount === 1);
    assert.equal((update.session as { live: boolean }).live, true);
    rec.ws.close();
    await w.next((m) => m.t === 'session' && (m.session as { live: boolean }).live === false);
    assert.equal((await t.api('/api/sessions/fed', { method: 'DELETE' })).status, 204);
    await w.next((m) => m.t === 'session-deleted' && m.sessionId === 'fed');
    assert.equal(w.closed, undefined, 'the watcher stays connected');
  });

  it('cuts off a watcher that stops reading, and keeps serving the others', async () => {
    await t.close();
    t = await startRelay({ limits: { maxWatcherBufferedBytes: 256 * 1024, maxMessagesPerSecond: 100_000 } });
    const rec = new Inbox(await t.socket('/ingest'));
    rec.send({ t: 'hello', v: 1, sessionId: 'slow', windowId: 'w1', lastSeq: 0, meta });
    await rec.next((m) => m.t === 'welcome');
    const slow = await watcher(t);
    const good = await watcher(t);
    await slow.next((m) => m.t === 'ready');
    await good.next((m) => m.t === 'ready');
    rec.send({ t: 'batch', seq: 1, events: [ev(1)] });
    await rec.next((m) => m.t === 'ack');
    slow.send({ t: 'subscribe', sessionId: 'slow' });
    good.send({ t: 'subscribe', sessionId: 'slow' });
    await slow.next((m) => m.t === 'live');
    await good.next((m) => m.t === 'live');
    // Stop reading on the slow one: its TCP window fills, then the relay's buffer.
    // (ws resumes a paused socket when its parser drains, so take its data listener away first.)
    const raw = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.removeAllListeners('data');
    raw.pause();
    // Random, so that permessage-deflate cannot shrink it.
    const blob = randomBytes(150 * 1024).toString('base64');
    let seq = 1;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && t.relay.stats().watchSockets > 1) {
      seq++;
      rec.send({ t: 'batch', seq, events: [{ type: 3, timestamp: seq, data: blob + seq }] });
      const want = seq;
      await rec.next((m) => m.t === 'ack' && m.seq === want);
      // Give ws time to flush to the good watcher.
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(t.relay.stats().watchSockets, 1, 'the slow watcher was cut off');
    await good.next((m) => m.t === 'events' && m.seq === seq);
    assert.equal(good.closed, undefined);
  });

  it('sends live batches as text frames, the same to every watcher, and compresses no small message', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}${t.relay.basePath}/ingest`);
    let negotiated = '';
    ws.once('upgrade', (res) => { negotiated = String(res.headers['sec-websocket-extensions']); });
    await new Promise((resolve) => ws.once('open', resolve));
    assert.match(negotiated, /^permessage-deflate; server_no_context_takeover/, 'so that small messages (acks) are not compressed');
    const rec = new Inbox(ws);
    rec.send({ t: 'hello', v: 1, sessionId: 'fan', windowId: 'w1', lastSeq: 0, meta });
    await rec.next((m) => m.t === 'welcome');
    const frames: Array<Array<{ text: string; binary: boolean }>> = [];
    for (let i = 0; i < 3; i++) {
      const w = await watcher(t);
      const got: Array<{ text: string; binary: boolean }> = [];
      w.ws.on('message', (d, binary) => got.push({ text: String(d), binary }));
      frames.push(got);
      await w.next((m) => m.t === 'ready');
      w.send({ t: 'subscribe', sessionId: 'fan' });
      await w.next((m) => m.t === 'live');
    }
    const big = { type: 3, timestamp: 1_000_001, data: { text: randomBytes(4096).toString('hex') } };
    rec.send({ t: 'batch', seq: 1, events: [big] });
    await waitFor(() => frames.every((got) => got.some((f) => f.text.startsWith('{"t":"events"'))), { what: 'the batch at every watcher' });
    const live = frames.map((got) => got.find((f) => f.text.startsWith('{"t":"events"'))!);
    for (const f of live) {
      assert.equal(f.binary, false, 'a text frame, as browsers expect');
      assert.equal(f.text, live[0]!.text);
      assert.deepEqual(JSON.parse(f.text).events, [big]);
    }
  });
});
