/**
 * A watcher that never reads is cut off at `maxWatcherBufferedBytes` (close 4008,
 * SENTIERO_SLOW_CONSUMER), and the other watchers of the same session keep receiving every batch.
 * No timing is asserted: only who is dropped and who gets what.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CloseCode, PROTOCOL_VERSION, createId } from '@sentiero/protocol';
import { waitFor } from './helpers/net.ts';
import { Inbox, type TestRelay, startRelay } from './helpers/relay.ts';

const BOUND = 64 * 1024;
const BATCHES = 120;
/** About 100 KiB of events per batch, random so that per-message deflate cannot shrink it: the never-reading watcher's kernel buffers fill, then the relay's. */
const padding = () => randomBytes(75 * 1024).toString('base64');

describe('a watcher that never reads', function () {
  this.timeout(120_000);
  let t: TestRelay;
  before(async () => { t = await startRelay({ limits: { maxWatcherBufferedBytes: BOUND } }); });
  after(() => t?.close());

  async function watcher(sessionId: string): Promise<Inbox> {
    const inbox = new Inbox(await t.socket('/watch'));
    inbox.send({ t: 'auth', token: t.relay.token });
    await inbox.next((m) => m.t === 'ready');
    inbox.send({ t: 'subscribe', sessionId });
    await inbox.next((m) => m.t === 'live');
    return inbox;
  }

  it('is dropped at its bound while the other watchers get every batch', async () => {
    const sessionId = createId();
    const recorder = new Inbox(await t.socket('/ingest'));
    recorder.send({ t: 'hello', v: PROTOCOL_VERSION, sessionId, windowId: createId(), lastSeq: 0, meta: { url: 'http://slow.test/', userAgent: 'test', startedAt: Date.now() } });
    await recorder.next((m) => m.t === 'welcome');

    const good = [await watcher(sessionId), await watcher(sessionId)];
    const slow = await watcher(sessionId);
    slow.ws.pause();
    assert.equal(t.relay.stats().watchSockets, 3);

    for (let seq = 1; seq <= BATCHES; seq++) {
      recorder.send({ t: 'batch', seq, events: [{ type: 3, timestamp: Date.now(), data: { source: 0, seq, padding: padding() } }] });
      await recorder.next((m) => m.t === 'ack' && m.seq === seq);
    }
    await waitFor(() => t.relay.stats().watchSockets === 2, { timeoutMs: 30_000, what: 'the relay to drop the watcher that does not read' });

    for (const [i, inbox] of good.entries()) {
      await waitFor(() => inbox.messages.filter((m) => m.t === 'events').length >= BATCHES, { timeoutMs: 30_000, what: `watcher ${i} to get every batch` });
      const seqs = inbox.messages.filter((m) => m.t === 'events').map((m) => m.seq);
      assert.deepEqual(seqs, Array.from({ length: BATCHES }, (_, k) => k + 1), `watcher ${i} got every batch once, in order`);
      assert.equal(inbox.closed, undefined, `watcher ${i} is still connected`);
    }

    // Reading at last, the dropped watcher finds its socket closed and the stream cut short. (The 4008 close
    // frame sits behind the data it never read, and the relay stops waiting for it after 2 s: a peer that
    // reads nothing cannot be told anything, so the code it sees is 4008 or, usually, 1006.)
    slow.ws.resume();
    const closed = await slow.closedWith(30_000);
    assert.ok(closed.code === CloseCode.SLOW_CONSUMER || closed.code === 1006, `closed with ${closed.code} ${closed.reason}`);
    assert.ok(slow.messages.filter((m) => m.t === 'events').length < BATCHES, 'it did not get everything');
  });
});
