import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { CustomTag, EventType, PROTOCOL_VERSION } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { customEvents, isFullSnapshot, pageQuery, type Harness, type PageGlobal, usePage } from './harness.ts';

describe('recorder: capture and privacy (real Chromium)', () => {
  const env = usePage();
  let h: Harness;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];
  beforeEach(() => ({ h, context, page, pageErrors } = env));

  const pageGlobal = (p: Page = page): Promise<PageGlobal | undefined> =>
    p.evaluate(() => (window as unknown as { __SENTIERO__?: PageGlobal }).__SENTIERO__);

  it('says hello with meta, then sends contiguous batches that start with a full snapshot', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    const hello = conn.hello!;
    assert.equal(hello.v, PROTOCOL_VERSION);
    assert.equal(hello.lastSeq, 0);
    assert.match(hello.meta.url, /\/page\?opts=/);
    assert.match(hello.meta.userAgent, /Chrome/);
    assert.equal(typeof hello.meta.startedAt, 'number');
    assert.ok(hello.meta.viewport && hello.meta.viewport.width > 0);
    assert.match(hello.meta.recorder ?? '', /^sentiero-recorder@/);

    const global = await pageGlobal();
    assert.deepEqual(global, { sessionId: hello.sessionId, windowId: hello.windowId, relay: h.relay });

    await page.click('#visible');
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string, p?: object): void } }).Sentiero.addEvent('signup', { plan: 'pro' }));
    await waitFor(() => customEvents(h.events(hello.sessionId, hello.windowId), CustomTag.EVENT).length, { what: 'the custom event' });

    const batches = h.batches(hello.sessionId, hello.windowId);
    assert.deepEqual(batches.map((b) => b.seq), batches.map((_, i) => i + 1), 'seqs are 1, 2, 3…');
    assert.deepEqual(conn.seqs, [...conn.seqs].sort((a, b) => a - b), 'sent in order');
    const events = h.events(hello.sessionId, hello.windowId);
    const meta = events.findIndex((e) => e.type === EventType.Meta);
    const full = events.findIndex(isFullSnapshot);
    assert.ok(meta >= 0 && full > meta, 'a Meta event then a full snapshot');
    assert.deepEqual(customEvents(events, CustomTag.EVENT)[0].payload, { name: 'signup', props: { plan: 'pro' } });
    assert.equal(customEvents(events, CustomTag.PAGE)[0].payload.title, 'Sentiero test page');
    assert.ok(JSON.stringify(events).includes('VISIBLE-CONTENT-7781'), 'ordinary text is recorded');

    await waitFor(() => page.evaluate(() => (window as unknown as { Sentiero: { getStats(): { queued: number; acked: number } } }).Sentiero.getStats()).then((s) => s.queued === 0 && s.acked > 0), { what: 'every batch acknowledged' });
  });

  async function typeAndCollect(query: string): Promise<string> {
    await page.goto(`${h.origin}/page${query}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    await page.fill('#text', '');
    await page.type('#text', 'typed-text-4242');
    await page.type('#pw', 'hunter2-password');
    await page.click('#visible');
    const { sessionId, windowId } = conn.hello!;
    // One input event per keystroke (no sampling): wait for all of them, not just the first two, before reading what was sent.
    const keystrokes = 'typed-text-4242'.length + 'hunter2-password'.length;
    await waitFor(() => h.events(sessionId, windowId).filter((e) => e.type === EventType.IncrementalSnapshot && (e.data as { source?: number }).source === 5).length >= keystrokes, { what: 'an input event per keystroke' });
    return h.raw.join('\n');
  }

  it('masks every input by default, passwords included', async () => {
    const all = await typeAndCollect(pageQuery());
    assert.ok(!all.includes('typed-text-4242') && !all.includes('typed-text'), 'text input value never sent');
    assert.ok(!all.includes('hunter2'), 'password never sent');
    assert.ok(all.includes('*'.repeat('typed-text-4242'.length)), 'the input was recorded, masked');
  });

  it('masks passwords even with maskAllInputs: false', async () => {
    const all = await typeAndCollect(pageQuery({ maskAllInputs: false }));
    assert.ok(all.includes('typed-text-4242'), 'text inputs are recorded when masking is off');
    assert.ok(!all.includes('hunter2'), 'password never sent');
  });

  it('blocks [data-rr-block] and .rr-block, masks [data-rr-mask] text', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    const { sessionId, windowId } = conn.hello!;
    await page.evaluate(() => {
      const blocked = document.getElementById('blocked')!;
      blocked.textContent = 'BLOCKED-LATER-1177';
      const masked = document.getElementById('masked')!;
      masked.textContent = 'MASKED-LATER-2288';
      document.getElementById('grow')!.textContent = 'GROWN-LATER-3399';
    });
    await waitFor(() => h.raw.join('').includes('GROWN-LATER-3399'), { what: 'the mutation' });
    const all = h.raw.join('\n');
    assert.ok(all.includes('VISIBLE-CONTENT-7781'));
    for (const secret of ['BLOCKED-CONTENT-5521', 'CLASS-BLOCKED-3312', 'BLOCKED-LATER-1177', 'MASKED-CONTENT-9043', 'MASKED-LATER-2288']) {
      assert.ok(!all.includes(secret), `${secret} is not sent`);
    }
    assert.ok(h.events(sessionId, windowId).some(isFullSnapshot));
  });

  it('records nothing and opens no socket when Global Privacy Control is on', async () => {
    await context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: function () { return true; } });" });
    await page.goto(`${h.origin}/page${pageQuery()}`);
    assert.equal(await page.evaluate(() => (window as unknown as { __started: boolean }).__started), false);
    await page.click('#visible');
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string): void } }).Sentiero.addEvent('x'));
    await page.waitForTimeout(1000);
    assert.equal(h.upgrades.length, 0);
    assert.equal(h.posts.length, 0);
    assert.equal(await pageGlobal(), undefined);

    const other = await context.newPage();
    await other.goto(`${h.origin}/page${pageQuery({ respectGlobalPrivacyControl: false })}`);
    await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello when GPC is not honoured' });
  });

  it('remembers optOut() across reloads until optIn()', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    await page.evaluate(() => (window as unknown as { Sentiero: { optOut(): void } }).Sentiero.optOut());
    assert.equal(await pageGlobal(), undefined);
    await waitFor(() => h.connections.every((c) => c.closed), { what: 'the socket closed' });

    await page.reload();
    assert.equal(await page.evaluate(() => (window as unknown as { __started: boolean }).__started), false);
    await page.waitForTimeout(1000);
    assert.equal(h.connections.length, 1, 'no new socket while opted out');
    assert.equal(await pageGlobal(), undefined);

    await page.evaluate(() => {
      const s = (window as unknown as { Sentiero: { optIn(): void; start(): boolean } }).Sentiero;
      s.optIn();
      return s.start();
    });
    await waitFor(() => h.connections.length === 2 && h.connections[1].hello, { what: 'hello after optIn' });
  });
});
