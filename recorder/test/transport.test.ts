import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { CustomTag, EventType } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { customEvents, isFullSnapshot, pageQuery, type Connection, type Harness, usePage } from './harness.ts';

interface Stats { nextSeq: number; queued: number; acked: number; dropped: number; sent: number; state: string; mode: string; bufferedBytes: number }

describe('recorder: transport (real Chromium, fake relay)', () => {
  const env = usePage();
  let h: Harness;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];
  beforeEach(() => ({ h, context, page, pageErrors } = env));

  const stats = (): Promise<Stats> => page.evaluate(() => (window as unknown as { Sentiero: { getStats(): Stats } }).Sentiero.getStats());
  const errors = (): Promise<string[]> => page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);
  const hello = (i = 0): Promise<Connection> => waitFor(() => h.connections.filter((c) => c.hello)[i], { what: `hello #${i + 1}` });
  const mutate = (label: string, n = 1): Promise<void> =>
    page.evaluate(({ label, n }) => {
      for (let i = 0; i < n; i++) {
        const p = document.createElement('p');
        p.textContent = `${label}-${i}`;
        document.getElementById('grow')!.appendChild(p);
      }
    }, { label, n });
  /** Opens the test page with acknowledgements off and mutates it until `n` batches went over the first socket. */
  const unacknowledgedBatches = async (n: number): Promise<Connection> => {
    h.behaviour.ack = false;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const first = await hello();
    for (let i = 0; first.seqs.length < n; i++) {
      await mutate(`m${i}`);
      await page.waitForTimeout(100);
    }
    return first;
  };

  it('drops acknowledged batches and, after a reconnect, re-sends only what the relay lacks', async () => {
    const first = await unacknowledgedBatches(4);
    const sentFirst = [...first.seqs];
    assert.ok((await stats()).queued >= 4, 'nothing acknowledged, everything held');

    const { sessionId, windowId } = first.hello!;
    h.forgetAfter(sessionId, windowId, 2);
    h.behaviour.ack = true;
    first.socket.terminate();

    const second = await hello(1);
    assert.equal(second.hello!.sessionId, sessionId);
    assert.equal(second.hello!.windowId, windowId);
    await waitFor(async () => (await stats()).queued === 0, { what: 'everything acknowledged' });
    assert.ok(!second.seqs.includes(1) && !second.seqs.includes(2), 'batches the relay had are not re-sent');
    for (const seq of sentFirst.filter((s) => s > 2)) assert.ok(second.seqs.includes(seq), `batch ${seq} re-sent`);
    assert.equal(second.seqs[0], 3, 're-sending starts at ackedSeq + 1');
    const stored = h.batches(sessionId, windowId).map((b) => b.seq);
    assert.deepEqual(stored, stored.map((_, i) => i + 1), 'the relay ends with contiguous seqs');
  });

  it('backs off between failed connections on schedule (500 ms × 2ⁿ with jitter, on HTTP too) and stops retrying once stopped', async () => {
    h.behaviour.closeBeforeWelcome = true;
    h.behaviour.httpStatus = 503;
    // Jitter at its midpoint (× 0.75), and a count of settled fetches to know when a post's answer is in.
    await context.addInitScript({ content: `
      Math.random = function () { return 0.5; };
      window.__settled = 0;
      var f = window.fetch;
      window.fetch = function () { return f.apply(this, arguments).finally(function () { window.__settled++; }); };` });
    const now = Date.now();
    await page.clock.install({ time: now });
    await page.clock.pauseAt(now + 1000);
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const settled = (): Promise<number> => page.evaluate(() => (window as unknown as { __settled: number }).__settled);
    const connects = async (): Promise<number> => ((await stats()) as Stats & { connects: number }).connects;

    // Sockets that close before welcome: reconnects after 375 ms, then 750 ms (500 × 2ⁿ × 0.75).
    for (const [n, delay] of [[1, 375], [2, 750]] as const) {
      await waitFor(async () => (await stats()).state === 'backoff' && (await connects()) === n, { what: `socket ${n} closed` });
      await page.clock.runFor(delay - 1);
      assert.equal(await connects(), n, `no reconnect before ${delay} ms`);
      await page.clock.runFor(1);
      assert.equal(await connects(), n + 1, `the reconnect comes at ${delay} ms`);
    }
    // The third failure switches to HTTP, which posts at once, then retries after 375, 750 and 1500 ms.
    await waitFor(async () => (await stats()).mode === 'http' && (await stats()).sent === 1 && (await settled()) === 1, { what: 'the first post answered' });
    assert.ok((await errors()).some((e) => e.startsWith('SENTIERO_RECORDER_TRANSPORT')));
    for (const [n, delay] of [[1, 375], [2, 750], [3, 1500]] as const) {
      await waitFor(async () => (await settled()) === n, { what: `post ${n} answered` });
      await page.clock.runFor(delay - 1);
      assert.equal((await stats()).sent, n, `no retry before ${delay} ms`);
      await page.clock.runFor(1);
      assert.equal((await stats()).sent, n + 1, `the retry comes at ${delay} ms`);
    }

    await page.evaluate(() => (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop());
    await page.waitForTimeout(300);
    const after = h.upgrades.length + h.posts.length;
    await page.clock.runFor(10 * 60_000);
    await page.waitForTimeout(500);
    assert.equal(h.upgrades.length + h.posts.length, after, 'a stopped recorder sends nothing more, however long it waits');
  });

  it('closes its socket on pagehide (back/forward cache) with a code browsers accept, reports nothing, and reconnects on pageshow', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const first = await hello();
    await waitFor(() => first.seqs.length, { what: 'a batch' });
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
    await waitFor(() => first.closed, { what: 'the relay to see the socket closed' });
    assert.equal(first.closeCode, 1000);
    assert.equal((await stats()).state, 'suspended');
    assert.deepEqual(await errors(), [], 'no recorder error');
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
    const second = await hello(1);
    assert.equal(second.hello!.windowId, first.hello!.windowId);
    await mutate('after-bfcache');
    await waitFor(() => JSON.stringify(h.events(first.hello!.sessionId, first.hello!.windowId)).includes('after-bfcache'), { what: 'recording goes on' });
    assert.deepEqual(await errors(), []);
  });

  for (const via of ['ws', 'http'] as const) {
    it(`stops sending a session the relay caps (${via === 'ws' ? 'close 4410' : 'HTTP 413 SENTIERO_SESSION_LIMIT'}): a session-limit gap, one report, no retry`, async () => {
      h.behaviour.sessionLimit = 1;
      if (via === 'http') h.behaviour.refuseUpgrade = true;
      await page.clock.install();
      await page.goto(`${h.origin}/page${pageQuery()}`);
      for (let i = 0; (await stats()).state !== 'limited'; i++) {
        assert.ok(i < 200, 'the cap is reached');
        await mutate(`cap-${i}`);
        await page.clock.runFor(300);
      }
      const s = (await stats()) as Stats & { gaps: number; connects: number };
      assert.equal(s.queued, 1, 'what was undelivered is one gap marker');
      assert.ok(s.gaps >= 1 && s.dropped > 0, `the undelivered events are counted (${s.dropped})`);
      const attempts = h.upgrades.length + h.posts.length;
      await mutate('after-cap', 20);
      await page.clock.runFor(10 * 60_000);
      await page.waitForTimeout(500);
      assert.equal(h.upgrades.length + h.posts.length, attempts, 'no reconnect, no retry');
      const after = (await stats()) as Stats & { connects: number };
      assert.equal(after.connects, s.connects);
      assert.equal(after.state, 'limited');
      const reported = await errors();
      assert.equal(reported.filter((e) => e.startsWith('SENTIERO_RECORDER_SESSION_LIMIT')).length, 1, reported.join('\n'));
      assert.ok(reported.find((e) => e.startsWith('SENTIERO_RECORDER_SESSION_LIMIT'))!.includes('session-limit gap'));
      assert.deepEqual(reported.filter((e) => !e.startsWith('SENTIERO_RECORDER_SESSION_LIMIT') && !(via === 'http' && e.includes('sending over HTTP'))), []);
      assert.equal(h.batches(h.stored[0].sessionId, h.stored[0].windowId).length, 1, 'the relay kept what it took before the cap');

      await page.reload();
      assert.equal((await stats()).state, 'limited', 'the next page of the tab does not send for the capped session either');
      assert.equal(((await stats()) as Stats & { connects: number }).connects, 0);
    });
  }

  it('after close 4409 (seq out of window) reconnects and resends from welcome.ackedSeq, one batch in flight at a time', async () => {
    const first = await unacknowledgedBatches(4);
    const { sessionId, windowId } = first.hello!;
    h.forgetAfter(sessionId, windowId, 1);
    first.socket.close(4409, 'seq out of window');
    const second = await hello(1);
    await waitFor(() => second.seqs.length, { what: 'a resent batch' });
    assert.equal(second.seqs[0], 2, 'resent from ackedSeq + 1');
    await page.waitForTimeout(300);
    assert.deepEqual(second.seqs, [2], 'one batch in flight until it is acknowledged');
    h.behaviour.ack = true;
    h.ackAll();
    await waitFor(async () => (await stats()).queued === 0, { what: 'everything acknowledged' });
    const stored = h.batches(sessionId, windowId).map((b) => b.seq);
    assert.deepEqual(stored, stored.map((_, i) => i + 1));
    assert.deepEqual((await errors()).filter((e) => !e.startsWith('SENTIERO_RECORDER_TRANSPORT')), []);
  });

  it('after close 4408 (hello timeout) reconnects with backoff', async () => {
    h.behaviour.closeAfterHello = 4408;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const first = await hello();
    await waitFor(() => first.closed, { what: 'the first socket closed' });
    assert.equal(first.closeCode, 4408);
    h.behaviour.closeAfterHello = undefined;
    const second = await hello(1);
    await waitFor(() => h.batches(second.hello!.sessionId, second.hello!.windowId).length, { what: 'batches after the reconnect' });
    assert.equal((await stats()).state, 'open');
  });

  it('records a gap marker and a fresh full snapshot after its buffer overflowed', async () => {
    h.behaviour.ack = false;
    await page.goto(`${h.origin}/page${pageQuery({ maxBufferBytes: 16384 })}`);
    const conn = await hello();
    const { sessionId, windowId } = conn.hello!;
    for (let i = 0; (await stats()).dropped === 0; i++) {
      assert.ok(i < 200, 'the buffer fills up');
      await mutate(`fill${i}`, 20);
      await page.waitForTimeout(20);
    }
    const s = await stats();
    assert.ok(s.bufferedBytes <= 16384 + 8192, `the buffer stays near its bound (${s.bufferedBytes})`);
    await mutate('while-full', 5);

    h.behaviour.ack = true;
    h.ackAll();
    await waitFor(() => customEvents(h.events(sessionId, windowId), CustomTag.GAP).length, { what: 'the gap marker' });
    await waitFor(() => {
      const events = h.events(sessionId, windowId);
      const gap = customEvents(events, CustomTag.GAP)[0];
      return events.slice(gap.index + 1).some(isFullSnapshot);
    }, { what: 'a full snapshot after the gap' });
    const events = h.events(sessionId, windowId);
    const gap = customEvents(events, CustomTag.GAP)[0];
    assert.equal(gap.payload.reason, 'buffer-full');
    assert.ok((gap.payload.dropped as number) > 0);
    assert.ok((gap.payload.from as number) <= (gap.payload.to as number));
    assert.ok(events.slice(0, gap.index).some(isFullSnapshot), 'the first snapshot came before');
    const stored = h.batches(sessionId, windowId).map((b) => b.seq);
    assert.deepEqual(stored, stored.map((_, i) => i + 1), 'no batch was lost, only events dropped and counted');
  });

  it('falls back to HTTP posts when the WebSocket upgrade is refused', async () => {
    h.behaviour.refuseUpgrade = true;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    await waitFor(() => h.posts.some((p) => p.events.some(isFullSnapshot)), { what: 'a full snapshot over HTTP' });
    assert.ok(h.upgrades.length >= 3, 'the socket was tried first');
    assert.equal(h.connections.length, 0);
    const first = h.posts[0];
    assert.ok(first.meta, 'the first post carries meta (no hello was said)');
    await page.click('#visible');
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string): void } }).Sentiero.addEvent('over-http'));
    await waitFor(() => customEvents(h.events(first.sessionId, first.windowId), CustomTag.EVENT).length, { what: 'the custom event over HTTP' });
    const seqs = h.batches(first.sessionId, first.windowId).map((b) => b.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
    const s = await stats();
    assert.equal(s.mode, 'http');
    await waitFor(async () => (await stats()).queued === 0, { what: 'posts acknowledged' });
  });

  it('beacons unacknowledged batches on navigation, and the next page re-sends what was lost', async () => {
    const first = await unacknowledgedBatches(2);
    const { sessionId, windowId } = first.hello!;

    h.forgetAfter(sessionId, windowId, 0);
    h.behaviour.httpStatus = 503;
    // Batches sent from now on may be acknowledged before the page goes, and then need no beacon.
    const unacknowledged = [...first.seqs];
    h.behaviour.ack = true;
    await Promise.all([page.waitForURL('**/page2'), page.click('#next')]);

    await waitFor(() => unacknowledged.every((seq) => h.posts.some((p) => p.seq === seq && p.windowId === windowId)), { what: 'a beacon per unacknowledged batch' });
    // The page calls sendBeacon in seq order, but each beacon is a request of its own: they may arrive in any order (a
    // gzipped one and a plain one are not equally fast), and the relay takes them in any order.
    const beaconed = h.posts.map((p) => p.seq).sort((a, b) => a - b);
    assert.equal(new Set(beaconed).size, beaconed.length, `one beacon per batch, none twice (${beaconed.join(', ')})`);
    // A batch the socket delivered after acks were turned back on may be acknowledged before the page goes: it needs no beacon.
    const ackedOnSocket = first.seqs.filter((seq) => !unacknowledged.includes(seq));
    for (let seq = 1; seq <= beaconed[beaconed.length - 1]!; seq++) {
      assert.ok(beaconed.includes(seq) || ackedOnSocket.includes(seq), `batch ${seq} was beaconed or acknowledged (beacons ${beaconed.join(', ')}; acknowledged on the socket ${ackedOnSocket.join(', ')})`);
    }

    const second = await hello(1);
    assert.equal(second.hello!.windowId, windowId, 'same tab, same window');
    assert.equal(second.hello!.sessionId, sessionId);
    assert.equal(second.hello!.lastSeq, 0, 'the saved batches are still unacknowledged');
    h.behaviour.httpStatus = 200;
    await waitFor(() => second.seqs.length > beaconed.length && h.events(sessionId, windowId).some((e) => e.type === EventType.Meta && String((e.data as { href?: string }).href).endsWith('/page2')), { what: 'page 2 recorded' });
    assert.deepEqual(second.seqs.slice(0, beaconed.length), beaconed, 'the next page re-sends the saved batches first, in order');
    const stored = h.batches(sessionId, windowId).map((b) => b.seq);
    assert.deepEqual(stored, stored.map((_, i) => i + 1), 'seqs continue across pages of the tab');
  });

  it('beacons unacknowledged batches when the page becomes hidden, and keeps recording', async () => {
    h.behaviour.ack = false;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const conn = await hello();
    await waitFor(() => conn.seqs.length, { what: 'a batch' });
    await mutate('before-hidden');
    await page.evaluate(`
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: function () { return 'hidden'; } });
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    const held = (await stats()).nextSeq - 1;
    await waitFor(() => h.posts.length >= held, { what: 'one beacon per unacknowledged batch' });
    assert.deepEqual(h.posts.map((p) => p.seq), Array.from({ length: held }, (_, i) => i + 1));
    assert.ok(h.posts.some((p) => JSON.stringify(p.events).includes('before-hidden')), 'pending events were flushed into the beacons');
    const saved = await page.evaluate(() => sessionStorage.getItem('sentiero:queue'));
    assert.ok(saved && (JSON.parse(saved) as { batches: unknown[] }).batches.length === held, 'the unacknowledged batches are saved for the next page');
    h.behaviour.ack = true;
    h.ackAll();
    await waitFor(async () => (await stats()).queued === 0, { what: 'acks over the socket still arrive' });
    assert.equal((await stats()).state, 'open');
  });

  it('replaces a batch the relay rejects with a gap marker and goes on', async () => {
    h.behaviour.poison = 'POISON-PILL';
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const first = await hello();
    const { sessionId, windowId } = first.hello!;
    await waitFor(() => h.batches(sessionId, windowId).length, { what: 'a first batch' });
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string, p: object): void } }).Sentiero.addEvent('bad', { v: 'POISON-PILL' }));
    await waitFor(() => customEvents(h.events(sessionId, windowId), CustomTag.GAP).length, { what: 'the gap marker' });
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string): void } }).Sentiero.addEvent('after'));
    await waitFor(() => customEvents(h.events(sessionId, windowId), CustomTag.EVENT).some((e) => e.payload.name === 'after'), { what: 'later events' });
    const gap = customEvents(h.events(sessionId, windowId), CustomTag.GAP)[0];
    assert.equal(gap.payload.reason, 'rejected');
    assert.ok((await errors()).some((e) => e.startsWith('SENTIERO_RECORDER_REJECTED')));
    const stored = h.batches(sessionId, windowId).map((b) => b.seq);
    assert.deepEqual(stored, stored.map((_, i) => i + 1), 'the rejected seq is filled by the gap marker');
  });
});
