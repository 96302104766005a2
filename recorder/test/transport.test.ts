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

  it('drops acknowledged batches and, after a reconnect, re-sends only what the relay lacks', async () => {
    h.behaviour.ack = false;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const first = await hello();
    for (let i = 0; first.seqs.length < 4; i++) {
      await mutate(`m${i}`);
      await page.waitForTimeout(100);
    }
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

  it('backs off between failed connections and stops retrying once stopped', async () => {
    h.behaviour.closeBeforeWelcome = true;
    h.behaviour.httpStatus = 503;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const t0 = Date.now();
    await page.waitForTimeout(6000);
    const attempts = [...h.upgrades, ...h.posts.map((p) => p.at)].filter((t) => t >= t0 - 1000).length;
    assert.ok(attempts >= 3, `it keeps trying (${attempts} attempts)`);
    assert.ok(attempts <= 15, `with backoff, not a retry storm (${attempts} attempts in 6 s)`);
    assert.equal((await stats()).mode, 'http', 'fell back to HTTP after sockets kept failing');
    assert.ok((await errors()).some((e) => e.startsWith('SENTIERO_RECORDER_TRANSPORT')));

    await page.evaluate(() => (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop());
    await page.waitForTimeout(300);
    const after = h.upgrades.length + h.posts.length;
    await page.waitForTimeout(4000);
    assert.equal(h.upgrades.length + h.posts.length, after, 'a stopped recorder sends nothing more');
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
    h.behaviour.ack = false;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const first = await hello();
    const { sessionId, windowId } = first.hello!;
    for (let i = 0; first.seqs.length < 2; i++) {
      await mutate(`before-nav-${i}`);
      await page.waitForTimeout(100);
    }

    h.forgetAfter(sessionId, windowId, 0);
    h.behaviour.httpStatus = 503;
    h.behaviour.ack = true;
    await Promise.all([page.waitForURL('**/page2'), page.click('#next')]);

    await waitFor(() => first.seqs.every((seq) => h.posts.some((p) => p.seq === seq && p.windowId === windowId)), { what: 'a beacon per unacknowledged batch' });
    const beaconed = h.posts.map((p) => p.seq);
    assert.deepEqual(beaconed, [...beaconed].sort((a, b) => a - b), 'beacons go in seq order');

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
