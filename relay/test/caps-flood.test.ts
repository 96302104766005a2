/**
 * A writer that sends about 200 MB in 10 seconds as fast as its socket takes it is stopped at
 * its session's caps (smaller here than the defaults), the store holds no more than the caps
 * allow, and the relay stays up for everyone else.
 */
import assert from 'node:assert/strict';
import { CloseCode, ErrorCode } from '@sentiero/protocol';
import { WebSocket } from 'ws';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const MB = 1024 * 1024;
const MAX_BYTES = 8 * MB;
const MAX_EVENTS = 20_000;

/** Sends batches as fast as the socket takes them (waiting only while its send buffer is past 8 MB) until `total` bytes went, `ms` passed, or the relay closed it. */
async function flood(ws: WebSocket, frame: (seq: number) => string, total: number, ms: number): Promise<{ sent: number; closed: { code: number; reason: string } }> {
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  let open = true;
  void closed.then(() => { open = false; });
  const until = Date.now() + ms;
  let sent = 0;
  for (let seq = 1; open && sent < total && Date.now() < until; seq++) {
    while (open && ws.bufferedAmount > 8 * MB) await new Promise((r) => setTimeout(r, 5));
    if (!open) break;
    const f = frame(seq);
    ws.send(f);
    sent += f.length;
    if (seq % 8 === 0) await new Promise((r) => setImmediate(r));
  }
  // Whatever the writer managed, the relay must end it: a session past its caps is closed.
  return { sent, closed: await closed };
}

describe('relay bounds: a flooding writer', function () {
  this.timeout(60_000);
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay({ limits: { maxBytesPerSession: MAX_BYTES, maxEventsPerSession: MAX_EVENTS } }); });
  afterEach(async () => { await t.close(); });

  it('is stopped at maxBytesPerSession and maxEventsPerSession while ~200 MB come in 10 s, and the relay stays up', async () => {
    const hello = (sessionId: string) => JSON.stringify({ t: 'hello', v: 1, sessionId, windowId: 'w1', lastSeq: 0, meta: { url: 'http://127.0.0.1/', userAgent: 'flood', startedAt: 1 } });
    // 512 KB batches of 100 events (bytes), and 2 KB-ish batches of 1000 tiny events (events).
    const bigEvents = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ type: 3, timestamp: 1_000 + i, data: { source: 0, text: 'x'.repeat(5_200) } })));
    const manyEvents = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ type: 3, timestamp: 1_000 + i, data: {} })));
    const open = async (sessionId: string) => {
      const ws = await t.socket('/ingest');
      const inbox = new Inbox(ws);
      ws.send(hello(sessionId));
      await inbox.next((m) => m.t === 'welcome');
      return { ws, inbox };
    };
    const bytes = await open('flood-bytes');
    const events = await open('flood-events');
    const [b, e] = await Promise.all([
      flood(bytes.ws, (seq) => `{"t":"batch","seq":${seq},"events":${bigEvents}}`, 200 * MB, 10_000),
      flood(events.ws, (seq) => `{"t":"batch","seq":${seq},"events":${manyEvents}}`, 200 * MB, 10_000),
    ]);
    assert.equal(b.closed.code, CloseCode.SESSION_LIMIT, `bytes writer closed with ${b.closed.code} ${b.closed.reason} after ${b.sent} bytes`);
    assert.equal(e.closed.code, CloseCode.SESSION_LIMIT, `events writer closed with ${e.closed.code} ${e.closed.reason}`);
    assert.equal((await bytes.inbox.next((m) => m.t === 'error')).code, ErrorCode.SESSION_LIMIT);

    const stored = (await (await t.api('/api/sessions/flood-bytes')).json()) as { eventCount: number };
    const storedEvents = (await (await t.api('/api/sessions/flood-events')).json()) as { eventCount: number };
    const record = await t.relay.store.getSession('flood-bytes');
    assert.ok(record && record.byteCount <= MAX_BYTES, `stored ${record?.byteCount} bytes, cap ${MAX_BYTES}`);
    assert.ok(stored.eventCount > 0);
    assert.ok(storedEvents.eventCount <= MAX_EVENTS && storedEvents.eventCount > 0, `stored ${storedEvents.eventCount} events`);

    // The cap holds for a new socket of the same session, and the relay serves everyone else.
    const again = new Inbox(await t.socket('/ingest'));
    again.send(hello('flood-bytes'));
    const welcome = await again.next((m) => m.t === 'welcome');
    again.send(`{"t":"batch","seq":${Number(welcome.ackedSeq) + 1},"events":${bigEvents}}`);
    assert.equal((await again.closedWith()).code, CloseCode.SESSION_LIMIT);
    assert.equal((await fetch(`${t.base}/health`)).status, 200);
    const good = await open('well-behaved');
    good.ws.send(JSON.stringify({ t: 'batch', seq: 1, events: [{ type: 3, timestamp: 5, data: {} }] }));
    await good.inbox.next((m) => m.t === 'ack' && m.seq === 1);
    assert.equal(t.relay.stats().ingestUnackedBytes, 0);
  });
});
