import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { EventType } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { isFullSnapshot, pageQuery, type Harness, type PageGlobal, usePage } from './harness.ts';

describe('recorder: sessions and windows (real Chromium)', () => {
  const env = usePage();
  let h: Harness;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];
  beforeEach(() => ({ h, context, page, pageErrors } = env));

  const pageGlobal = (p: Page): Promise<PageGlobal> =>
    waitFor(() => p.evaluate(() => (window as unknown as { __SENTIERO__?: PageGlobal }).__SENTIERO__), { what: '__SENTIERO__' });

  it('shares the session with a second tab of the visit, which gets its own window', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const a = await pageGlobal(page);
    const second = await context.newPage();
    await second.goto(`${h.origin}/page2${pageQuery()}`);
    const b = await pageGlobal(second);
    assert.equal(b.sessionId, a.sessionId);
    assert.notEqual(b.windowId, a.windowId);
    await waitFor(() => h.connections.filter((c) => c.hello).length === 2, { what: 'two hellos' });
    assert.deepEqual(new Set(h.connections.map((c) => c.hello!.windowId)), new Set([a.windowId, b.windowId]));
  });

  it('keeps the window across a reload of the tab, with seqs going on', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const a = await pageGlobal(page);
    await waitFor(() => h.batches(a.sessionId, a.windowId).length, { what: 'a batch' });
    await page.reload();
    const b = await pageGlobal(page);
    assert.deepEqual(b, a);
    await waitFor(() => h.connections.filter((c) => c.hello).length === 2, { what: 'the second hello' });
    const second = h.connections.filter((c) => c.hello)[1];
    await waitFor(() => second.seqs.length, { what: 'a batch from the reloaded page' });
    assert.ok(second.seqs[0] > 1, `seqs continue after a reload (got ${second.seqs[0]})`);
  });

  it('gives a window.open()ed tab (a clone of sessionStorage) a new window id', async () => {
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const a = await pageGlobal(page);
    await page.evaluate(() => sessionStorage.setItem('opener-marker', '1'));
    const [opened] = await Promise.all([
      context.waitForEvent('page'),
      page.evaluate((q) => { window.open(`/page2${q}`); }, pageQuery()),
    ]);
    await opened.waitForLoadState();
    const b = await pageGlobal(opened);
    assert.equal(b.sessionId, a.sessionId, 'same visit');
    assert.notEqual(b.windowId, a.windowId, 'its own window');
    const cloned = await opened.evaluate(() => sessionStorage.getItem('opener-marker'));
    assert.equal(cloned, '1', 'sessionStorage was cloned into the new tab (the case being tested)');
  });

  it('rolls the session over after sessionTimeoutMs without activity', async () => {
    await page.goto(`${h.origin}/page${pageQuery({ sessionTimeoutMs: 1000 })}`);
    const a = await pageGlobal(page);
    await waitFor(() => h.events(a.sessionId, a.windowId).some(isFullSnapshot), { what: 'the first snapshot' });
    await page.waitForTimeout(1500);
    await page.mouse.move(50, 50);
    await page.keyboard.press('Tab');
    const b = await waitFor(async () => {
      const g = await pageGlobal(page);
      return g.sessionId !== a.sessionId ? g : undefined;
    }, { what: 'a new session id' });
    assert.equal(b.windowId, a.windowId, 'the tab keeps its window');
    const conn = await waitFor(() => h.connections.find((c) => c.hello?.sessionId === b.sessionId), { what: 'hello for the new session' });
    assert.equal(conn.hello!.lastSeq, 0);
    await waitFor(() => h.events(b.sessionId, b.windowId).some(isFullSnapshot), { what: 'a full snapshot in the new session' });
    const batches = h.batches(b.sessionId, b.windowId);
    assert.equal(batches[0].seq, 1, 'the new session starts at seq 1');
    assert.ok(batches[0].events.some((e) => e.type === EventType.Meta));
    assert.equal(await page.evaluate(() => (window as unknown as { Sentiero: { getSessionId(): string } }).Sentiero.getSessionId()), b.sessionId);
  });
});
