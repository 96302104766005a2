import assert from 'node:assert/strict';
import { CloseCode, ErrorCode } from '@sentiero/protocol';
import { createRelay } from '@sentiero/relay';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const meta = { url: 'http://127.0.0.1/page', userAgent: 'Mozilla/5.0 test', startedAt: 1_700_000_000_000 };
const hello = (sessionId = 'sess-a', windowId = 'win-a', lastSeq = 0) => ({ t: 'hello', v: 1, sessionId, windowId, lastSeq, meta });
const ev = (ts: number, type = 3) => ({ type, timestamp: ts, data: { source: 2, type: 2, id: 1 } });

async function ingest(t: TestRelay, sessionId = 'sess-a', windowId = 'win-a', headers?: Record<string, string>) {
  const inbox = new Inbox(await t.socket('/ingest', headers));
  inbox.send(hello(sessionId, windowId));
  const welcome = await inbox.next((m) => m.t === 'welcome');
  return { inbox, welcome };
}

describe('relay ingest', () => {
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay(); });
  afterEach(async () => { await t.close(); });

  it('throws a TypeError naming a wrong option', () => {
    assert.throws(() => createRelay({ basePath: 'nope' }), { name: 'TypeError', message: /basePath/ });
    assert.throws(() => createRelay({ limits: { maxPayloadBytes: -1 } }), { name: 'TypeError', message: /maxPayloadBytes/ });
    assert.throws(() => createRelay({ token: 'short' }), { name: 'TypeError', message: /token/ });
  });

  it('welcomes, stores and acknowledges batches, and lists the session', async () => {
    const { inbox, welcome } = await ingest(t);
    assert.equal(welcome.ackedSeq, 0);
    assert.ok((welcome.config as { flushIntervalMs: number }).flushIntervalMs > 0);
    inbox.send({ t: 'batch', seq: 1, events: [ev(1000, 4), ev(1001, 2)] });
    inbox.send({ t: 'batch', seq: 2, events: [ev(1500), ev(1600)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 2);
    assert.ok(inbox.messages.some((m) => m.t === 'ack' && m.seq === 1));

    const res = await t.api('/api/sessions');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { sessions: Array<Record<string, unknown>> };
    assert.equal(body.sessions.length, 1);
    const s = body.sessions[0]!;
    assert.equal(s.id, 'sess-a');
    assert.equal(s.eventCount, 4);
    assert.deepEqual(s.windows, ['win-a']);
    assert.equal(s.live, true);
    assert.equal(s.userAgent, meta.userAgent);

    const events = await (await t.api('/api/sessions/sess-a/events')).text();
    const lines = events.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.seq), [1, 2]);
    assert.equal(lines[0].windowId, 'win-a');
    assert.equal(lines[1].events[1].timestamp, 1600);
  });

  it('stores a re-sent batch once and acknowledges it again', async () => {
    const { inbox } = await ingest(t);
    inbox.send({ t: 'batch', seq: 1, events: [ev(1000), ev(1001)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 1);
    inbox.ws.close();
    const again = await ingest(t);
    assert.equal(again.welcome.ackedSeq, 1);
    again.inbox.send({ t: 'batch', seq: 1, events: [ev(1000), ev(1001)] });
    await again.inbox.next((m) => m.t === 'ack' && m.seq === 1);
    const s = (await (await t.api('/api/sessions/sess-a')).json()) as { eventCount: number };
    assert.equal(s.eventCount, 2);
  });

  it('answers 401 without the viewer token and 404 with a code for an unknown session', async () => {
    const none = await t.api('/api/sessions', { token: null });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { code: string }).code, ErrorCode.UNAUTHORIZED);
    const wrong = await t.api('/api/sessions', { token: 'not-the-token-at-all-000' });
    assert.equal(wrong.status, 401);
    const missing = await t.api('/api/sessions/nope');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, ErrorCode.NOT_FOUND);
  });

  it('passes every other request on to the app', async () => {
    const res = await fetch(`${t.origin}/anything`);
    assert.equal(await res.text(), 'app');
  });

  it('deletes a session and its events', async () => {
    const { inbox } = await ingest(t);
    inbox.send({ t: 'batch', seq: 1, events: [ev(1000)] });
    await inbox.next((m) => m.t === 'ack');
    assert.equal((await t.api('/api/sessions/sess-a', { method: 'DELETE' })).status, 204);
    assert.equal((await t.api('/api/sessions/sess-a')).status, 404);
    assert.equal((await t.api('/api/sessions/sess-a/events')).status, 404);
    assert.equal((await t.api('/api/sessions/sess-a', { method: 'DELETE' })).status, 404);
  });

  it('takes batches over the HTTP fallback, idempotently, whatever the content type (sendBeacon)', async () => {
    const post = (seq: number) =>
      fetch(`${t.base}/ingest`, {
        method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ sessionId: 'sess-h', windowId: 'win-h', seq, events: [ev(2000 + seq)], meta }),
      });
    for (const seq of [1, 2, 2]) {
      const res = await post(seq);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ack: seq });
    }
    const s = (await (await t.api('/api/sessions/sess-h')).json()) as { eventCount: number; url: string };
    assert.equal(s.eventCount, 2);
    assert.equal(s.url, meta.url);
  });
});

describe('relay ingest: bad input', () => {
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay({ limits: { maxPayloadBytes: 64 * 1024, maxMessagesPerSecond: 20, rateWindowMs: 1000 }, recorder: { maxBatchBytes: 32 * 1024 } }); });
  afterEach(async () => { await t.close(); });

  /** After each bad input, a well-behaved recorder still gets its batch stored: nothing else was disturbed. */
  async function stillWorks() {
    const { inbox } = await ingest(t, 'sess-ok', `win-${Math.random().toString(36).slice(2, 8)}`);
    inbox.send({ t: 'batch', seq: 1, events: [ev(5000)] });
    await inbox.next((m) => m.t === 'ack' && m.seq === 1);
    inbox.ws.close();
  }

  const cases: Array<[string, unknown[], string, number]> = [
    ['malformed JSON', ['{"t":"hello",'], ErrorCode.BAD_JSON, CloseCode.BAD_JSON],
    ['an unknown message kind', [{ t: 'subscribe-everything' }], ErrorCode.UNKNOWN_MESSAGE, CloseCode.UNKNOWN_MESSAGE],
    ['a wrong field type', [{ ...hello(), lastSeq: 'zero' }], ErrorCode.INVALID_MESSAGE, CloseCode.INVALID_MESSAGE],
    ['a batch before hello', [{ t: 'batch', seq: 1, events: [] }], ErrorCode.HELLO_REQUIRED, CloseCode.HELLO_REQUIRED],
    ['a second hello', [hello(), hello()], ErrorCode.HELLO_TWICE, CloseCode.HELLO_REQUIRED],
    ['an unsupported protocol version', [{ ...hello(), v: 2 }], ErrorCode.UNSUPPORTED_VERSION, CloseCode.UNSUPPORTED_VERSION],
  ];
  for (const [what, frames, code, close] of cases) {
    it(`closes the socket on ${what} with ${code} / ${close}, and nothing else is disturbed`, async () => {
      const inbox = new Inbox(await t.socket('/ingest'));
      for (const f of frames) inbox.send(f);
      const err = await inbox.next((m) => m.t === 'error');
      assert.equal(err.code, code);
      assert.equal(typeof err.message, 'string');
      assert.equal((await inbox.closedWith()).code, close);
      await stillWorks();
    });
  }

  it('closes with 1009 on a frame over maxPayloadBytes, and nothing else is disturbed', async () => {
    const { inbox } = await ingest(t);
    inbox.send({ t: 'batch', seq: 1, events: [{ type: 3, timestamp: 1, data: 'x'.repeat(100 * 1024) }] });
    assert.equal((await inbox.closedWith()).code, CloseCode.MESSAGE_TOO_BIG);
    assert.equal((await t.api('/api/sessions/sess-a')).status, 404, 'nothing was stored');
    await stillWorks();
  });

  it('refuses a foreign origin before the upgrade (403) and over HTTP', async () => {
    await assert.rejects(t.socket('/ingest', { origin: 'http://evil.example' }), { status: 403 });
    const res = await fetch(`${t.base}/ingest`, {
      method: 'POST', headers: { origin: 'http://evil.example' },
      body: JSON.stringify({ sessionId: 's', windowId: 'w', seq: 1, events: [] }),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, ErrorCode.ORIGIN_NOT_ALLOWED);
    await stillWorks();
    // Its own origin is fine.
    const own = await ingest(t, 'sess-own', 'win-own', { origin: t.origin });
    assert.equal(own.welcome.t, 'welcome');
  });

  it('answers 413 to an oversized HTTP body and 400 to a malformed one', async () => {
    const big = await fetch(`${t.base}/ingest`, { method: 'POST', body: 'x'.repeat(100 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { code: string }).code, ErrorCode.PAYLOAD_TOO_LARGE);
    const bad = await fetch(`${t.base}/ingest`, { method: 'POST', body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, ErrorCode.BAD_JSON);
    const wrong = await fetch(`${t.base}/ingest`, { method: 'POST', body: JSON.stringify({ sessionId: 's', windowId: 'w', seq: 'one', events: [] }) });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { code: string }).code, ErrorCode.INVALID_MESSAGE);
    await stillWorks();
  });

  it('cuts off a socket that sends faster than the rate limit with 4429', async () => {
    const { inbox } = await ingest(t);
    for (let i = 1; i <= 60; i++) inbox.send({ t: 'batch', seq: i, events: [ev(i)] });
    const err = await inbox.next((m) => m.t === 'error');
    assert.equal(err.code, ErrorCode.RATE_LIMITED);
    assert.equal((await inbox.closedWith()).code, CloseCode.RATE_LIMITED);
    await stillWorks();
  });
});
