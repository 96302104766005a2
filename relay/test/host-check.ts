/** What every host test proves through the host's own server: the app still answers, and the relay's REST, recorder, ingest and watch all work. */
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { Inbox } from '../../test/helpers/relay.ts';

/** Opens a socket and resolves once it is open. */
async function open(url: string): Promise<Inbox> {
  const ws = new WebSocket(url);
  const inbox = new Inbox(ws);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return inbox;
}

/** Checks a host at `origin` whose relay has the viewer `token`; `hello` is the body the app answers `GET /hello` with. */
export async function checkHost(origin: string, token: string, { sessionId = 'host', hello = 'hi from the app' } = {}): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  assert.equal(await (await fetch(`${origin}/hello`)).text(), hello, "the app's own route");
  assert.equal((await fetch(`${origin}/sentiero/api/sessions`)).status, 401);
  assert.deepEqual(await (await fetch(`${origin}/sentiero/api/sessions`, { headers: auth })).json(), { sessions: [] });
  const rec = await fetch(`${origin}/sentiero/recorder.js`);
  assert.equal(rec.status, 200);
  assert.match(rec.headers.get('content-type') ?? '', /javascript/);

  const socketBase = `${origin.replace(/^http/, 'ws')}/sentiero`;
  const ingest = await open(`${socketBase}/ingest`);
  ingest.send({ t: 'hello', v: 1, sessionId, windowId: 'w', lastSeq: 0, meta: { url: 'http://x/', userAgent: 'ua', startedAt: 1 } });
  await ingest.next((m) => m.t === 'welcome');
  ingest.send({ t: 'batch', seq: 1, events: [{ type: 4, timestamp: 1, data: { href: 'http://x/' } }] });
  await ingest.next((m) => m.t === 'ack' && m.seq === 1);

  const session = (await (await fetch(`${origin}/sentiero/api/sessions/${sessionId}`, { headers: auth })).json()) as { eventCount: number };
  assert.equal(session.eventCount, 1, 'the REST read sees the stored batch');

  const watch = await open(`${socketBase}/watch`);
  watch.send({ t: 'auth', token });
  await watch.next((m) => m.t === 'ready');
  watch.send({ t: 'subscribe', sessionId });
  await watch.next((m) => m.t === 'events' && m.seq === 1);
  ingest.send({ t: 'batch', seq: 2, events: [{ type: 3, timestamp: 2, data: { source: 0 } }] });
  await watch.next((m) => m.t === 'events' && m.seq === 2);
  ingest.ws.close();
  watch.ws.close();
}
