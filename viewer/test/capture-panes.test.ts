/**
 * The Console and Network panes in the real dashboard (real relay, real Chromium): entries of a
 * synthetic session with console and network events, "at this moment" following playback,
 * filters by level, status, type and text, a click that seeks the replay, a request's details
 * with the server error reported for it, failed requests and console errors on the timeline,
 * and recorded text shown as text only.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createId } from '@sentiero/protocol';
import { launchChromium } from '../../test/helpers/browser.ts';
import {
  CONSOLE_LINES, CONSOLE_STEPS, NETWORK_ROWS, SERVER_ERROR, consoleRowsIn, networkRowsIn, runCapturePage, startCapturePage,
} from '../../test/helpers/capture-page.ts';
import { pageSession, startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { openDashboard, replayedText, storeSession, waitEnded, waitForView } from './helpers.ts';
import { type Ev, syntheticEvents } from './synthetic.ts';

/** Set to a folder to keep screenshots of the panes (docs/images is where the docs take them from). */
const SHOTS = process.env.SENTIERO_SCREENSHOTS;

const XSS = '<img src=x onerror="window.__pwned=1">';
const STEPS = [{ at: 10_000, text: 'step 1' }, { at: 20_000, text: 'step 2' }, { at: 30_000, text: 'step 3' }];

function captureEvents(t0: number): Ev[] {
  const con = (at: number, level: string, args: string[], extra: Record<string, unknown> = {}): Ev =>
    ({ type: 5, timestamp: t0 + at, data: { tag: 'sentiero/console@1', payload: { level, args, ...extra } } });
  const net = (at: number, ends: number, p: Record<string, unknown>): Ev =>
    ({ type: 5, timestamp: t0 + ends, data: { tag: 'sentiero/network@1', payload: { startedAt: t0 + at, durationMs: ends - at, ...p } } });
  return [
    con(5_000, 'log', ['booting', '{ready: true}']),
    con(6_000, 'debug', ['cache warm']),
    con(12_000, 'error', [`TypeError: cannot read ${XSS}`], { stack: '    at render (http://synthetic.test/app.js:10:5)' }),
    con(13_000, 'warn', ['slow frame']),
    con(13_500, 'warn', ['slow frame'], { count: 4 }),
    con(22_000, 'info', ['checkout started']),
    net(8_000, 8_120, {
      type: 'fetch', method: 'GET', url: 'http://synthetic.test/api/items?page=1', status: 200, responseSize: 2048, contentType: 'application/json',
      responseHeaders: { 'x-app': 'items' }, responseBody: `{"items":["${XSS}"]}`,
    }),
    net(15_000, 15_300, { type: 'xhr', method: 'POST', url: 'http://synthetic.test/api/pay', status: 500, requestSize: 42 }),
    net(18_000, 18_000, { type: 'beacon', method: 'POST', url: 'http://synthetic.test/collect', status: 0, requestSize: 12 }),
    net(24_000, 24_050, { type: 'websocket', method: 'GET', url: 'ws://synthetic.test/live', status: 101 }),
    net(27_000, 27_400, { type: 'fetch', method: 'GET', url: 'http://other.test/unreachable', status: 0, failed: true, error: 'TypeError: Failed to fetch' }),
    net(28_000, 28_100, { type: 'fetch', method: 'GET', url: 'http://synthetic.test/api/slow', status: 0, aborted: true }),
  ];
}

describe('viewer: Console and Network panes', function () {
  this.timeout(180_000);
  let browser: Browser;
  let t: TestRelay;
  let context: BrowserContext;
  const t0 = Date.now() - 3_600_000;
  const s = { id: createId(), window: createId() };

  const time = (page: Page) => page.evaluate(() => Number(document.querySelector<HTMLElement>('.sv-session')!.dataset.time));

  before(async () => {
    browser = await launchChromium();
    t = await startDemo({ limits: { liveGraceMs: 1000 } });
    const events = [...syntheticEvents({ t0, end: 35_000, steps: STEPS, active: [[0, 35_000]], moveEveryMs: 1000 }), ...captureEvents(t0)]
      .sort((a, b) => a.timestamp - b.timestamp);
    await storeSession(t, s.id, s.window, events);
    await t.relay.captureException(new Error('payment provider down'), { sessionId: s.id, url: 'http://synthetic.test/api/pay', timestamp: t0 + 15_200 });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => { context = await browser.newContext({ viewport: { width: 1280, height: 800 } }); });
  afterEach(async () => { await context?.close(); });

  async function open(): Promise<Page> {
    const page = await openDashboard(context, t, `#/sessions/${s.id}`);
    await waitForView(page, (v) => v.frame === 'true' && v.loading === 'false', 'the replay');
    await page.keyboard.press('Space');
    await waitForView(page, (v) => v.state === 'paused', 'paused');
    return page;
  }

  it('lists console messages, follows the replay, filters by level and text, seeks on a click, and shows recorded text as text', async () => {
    const page = await open();
    assert.equal(await page.textContent('[data-side-tab="console"] .sv-count'), '5');
    assert.equal(await page.textContent('[data-side-tab="console"] .sv-side-bad'), '1', 'one console error');
    await page.click('[data-side-tab="console"]');
    const rows = () => page.$$eval('.sv-logrow', (els) => els.map((e) => `${(e as HTMLElement).dataset.level} ${e.querySelector('.sv-log-text')!.textContent}${e.querySelector('.sv-log-count')?.textContent ?? ''}`));
    assert.deepEqual(await rows(), ['log booting {ready: true}', 'debug cache warm', `error TypeError: cannot read ${XSS}`, 'warn slow frame5', 'info checkout started']);

    // A click seeks the replay to the message and opens its stack.
    await page.click('.sv-logrow[data-level="error"] .sv-logrow-main');
    await waitForView(page, (v) => Math.abs(v.time - 12_000) < 100, 'the error\'s moment');
    assert.equal(await replayedText(page, '#status'), 'step 1');
    assert.ok(await page.isVisible('.sv-logrow.is-current[data-level="error"]'), 'the message is "at this moment"');
    assert.equal(await page.$$eval('.sv-logrow.is-past', (els) => els.length), 2, 'the two before it are past');
    assert.match((await page.textContent('.sv-logrow[data-level="error"] .sv-entry-detail'))!, /at render \(http:\/\/synthetic\.test\/app\.js:10:5\)/);

    // Playback moves "at this moment" along.
    await page.evaluate(() => { location.hash = location.hash.replace(/\?.*$/, '') + '?t=23000'; });
    await waitForView(page, (v) => Math.abs(v.time - 23_000) < 100 && v.seeking === 'false', 'a later moment');
    await page.waitForSelector('.sv-logrow.is-current[data-level="info"]');

    // Filters.
    await page.click('[data-level-filter="warn"]');
    assert.deepEqual(await rows(), ['warn slow frame5']);
    await page.click('[data-level-filter="all"]');
    await page.fill('.sv-console .sv-pane-search', 'BOOT');
    assert.deepEqual(await rows(), ['log booting {ready: true}']);

    // Recorded text never becomes markup.
    assert.equal(await page.evaluate(() => document.querySelectorAll('.sv-root img').length), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  it('lists requests with status and type filters, opens details with the linked server error, and seeks on a click', async () => {
    const page = await open();
    assert.equal(await page.textContent('[data-side-tab="network"] .sv-count'), '6');
    assert.equal(await page.textContent('[data-side-tab="network"] .sv-side-bad'), '2', 'a 500 and a failed request');
    await page.click('[data-side-tab="network"]');
    const rows = () => page.$$eval('.sv-netrow', (els) => els.map((e) => `${(e as HTMLElement).dataset.status} ${(e as HTMLElement).dataset.type} ${e.querySelector('.sv-net-what')!.textContent!.trim()}`));
    assert.deepEqual(await rows(), [
      '200 fetch GET /api/items?page=1', '500 xhr POST /api/pay', 'sent beacon POST /collect', '101 websocket GET /live',
      'failed fetch GET /unreachable other.test', 'aborted fetch GET /api/slow',
    ]);
    await page.click('[data-status-filter="failed"]');
    assert.deepEqual((await rows()).map((r) => r.split(' ')[0]), ['500', 'failed'], 'failed: errors and no answer, not the abort');
    await page.click('[data-status-filter="all"]');
    await page.click('[data-type-filter="xhr"]');
    await page.click('[data-type-filter="beacon"]');
    assert.deepEqual((await rows()).map((r) => r.split(' ')[1]), ['xhr', 'beacon']);
    await page.click('[data-type-filter="xhr"]');
    await page.click('[data-type-filter="beacon"]');
    await page.fill('.sv-network .sv-pane-search', 'items');
    assert.deepEqual((await rows()).length, 1);
    await page.fill('.sv-network .sv-pane-search', '');

    // The 500: a click seeks to its start and shows its details and the server's error.
    await page.click('.sv-netrow[data-status="500"] .sv-netrow-main');
    await waitForView(page, (v) => Math.abs(v.time - 15_000) < 100, 'the request\'s start');
    assert.equal(await replayedText(page, '#status'), 'step 1');
    const detail = (await page.textContent('.sv-netrow[data-status="500"] .sv-net-detail'))!;
    assert.match(detail, /http:\/\/synthetic\.test\/api\/pay/);
    assert.match(detail, /Server error\s*Error: payment provider down/);
    assert.ok(await page.isVisible('.sv-netrow[data-status="500"] .sv-badge.is-error'));

    // Headers and bodies when recorded, as text.
    await page.click('.sv-netrow[data-status="200"] .sv-netrow-main');
    await waitForView(page, (v) => Math.abs(v.time - 8_000) < 100, 'the first request');
    const body = await page.textContent('.sv-netrow[data-status="200"] .sv-net-body');
    assert.equal(body, `{"items":["${XSS}"]}`);
    assert.match((await page.textContent('.sv-netrow[data-status="200"] .sv-net-headers'))!, /x-app\s*items/);
    assert.equal(await page.evaluate(() => document.querySelectorAll('.sv-root img').length), 0);

    // Failed requests and console errors are error markers on the timeline.
    const errorMarkers = await page.$$eval('.sv-marker[data-kind="error"]', (els) => els.length);
    assert.ok(errorMarkers >= 3, `a console error, a 500 and a failed request on the timeline (${errorMarkers})`);
    assert.ok(await time(page) >= 0);
  });

  it('fits a narrow host (a DevTools panel or VS Code webview width): the panes stack under the player', async () => {
    const narrow = await browser.newContext({ viewport: { width: 520, height: 800 } });
    try {
      const page = await openDashboard(narrow, t, `#/sessions/${s.id}`);
      await waitForView(page, (v) => v.frame === 'true', 'the replay');
      await page.click('[data-side-tab="network"]');
      const fits = await page.evaluate(() => {
        const root = document.querySelector('.sv-root')!.getBoundingClientRect();
        const pane = document.querySelector('.sv-network')!.getBoundingClientRect();
        const player = document.querySelector('.sv-player')!.getBoundingClientRect();
        const row = document.querySelector('.sv-netrow')!;
        return { inside: pane.right <= root.right + 1 && pane.left >= root.left - 1, below: pane.top >= player.bottom - 1, noOverflow: row.scrollWidth <= row.clientWidth + 1 };
      });
      assert.deepEqual(fits, { inside: true, below: true, noOverflow: true });
    } finally {
      await narrow.close();
    }
  });

  it('shows what the demo page\'s real recorder captured: its console lines and its requests, the failing one with the server\'s error', async () => {
    const app = await context.newPage();
    app.on('pageerror', () => undefined);
    await app.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(app);
    await app.click('#suggest');
    await app.click('#suggest');
    await app.click('#boom');
    await app.click('#server-fail');
    await app.waitForTimeout(1500);
    await app.close();
    await waitEnded(t, sessionId);

    const page = await openDashboard(context, t, `#/sessions/${sessionId}`);
    await waitForView(page, (v) => v.frame === 'true' && v.loading === 'false', 'the replay');
    await page.click('[data-side-tab="console"]');
    const lines = await waitFor(async () => {
      const l = await page.$$eval('.sv-logrow', (els) => els.map((e) => `${(e as HTMLElement).dataset.level} ${e.querySelector('.sv-log-text')!.textContent}`));
      return l.length >= 5 ? l : undefined;
    }, { what: 'the demo\'s console lines' });
    assert.match(lines[0]!, /^info Acme Tasks ready \{page: "\/"\}$/);
    assert.ok(lines.some((l) => /^log task added \{text: "Renew the domain", open: 3\}$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l === 'warn computing the cart total without a cart'));
    assert.ok(lines.some((l) => l === 'error the API failed 500'));
    await page.click('[data-side-tab="network"]');
    const failing = await page.waitForSelector('.sv-netrow[data-status="500"]');
    assert.match((await failing.textContent())!, /GET \/api\/fail/);
    await page.click('.sv-netrow[data-status="500"] .sv-netrow-main');
    const detail = await page.waitForSelector('.sv-netrow[data-status="500"] .sv-net-detail');
    await waitFor(async () => /Server error/.test((await detail.textContent())!), { what: 'the server error linked to the request' });
    assert.match((await detail.textContent())!, /content-type/, 'the allowed header was recorded');
    assert.ok(!(await page.$$eval('.sv-netrow', (els) => els.map((e) => e.textContent).join(' '))).includes('/sentiero/'), 'the relay\'s own traffic is not listed');
  });

  it('lists exactly what a page logged and requested (every level, fetch and XHR), and a pane opened while paused shows "at this moment" at once', async () => {
    const c = await startCapturePage({ limits: { liveGraceMs: 1000 } });
    try {
      const app = await context.newPage();
      await app.goto(`${c.origin}/checkout`);
      const { sessionId } = await pageSession(app);
      await runCapturePage(app);
      await app.close();
      await waitEnded(c, sessionId);
      const page = await openDashboard(context, c, `#/sessions/${sessionId}`);
      await waitForView(page, (v) => v.frame === 'true' && v.loading === 'false', 'the replay');
      if (await page.getAttribute('.sv-session', 'data-state') === 'playing') await page.click('.sv-play');
      await waitForView(page, (v) => v.state !== 'playing', 'paused');

      await page.click('[data-side-tab="console"]');
      assert.deepEqual(await consoleRowsIn(page), [...CONSOLE_LINES]);
      await page.click('.sv-logrow[data-level="error"] .sv-logrow-main');
      await page.waitForSelector('.sv-logrow.is-current[data-level="error"]');
      await waitFor(async () => (await replayedText(page, '#step')) === `step ${CONSOLE_STEPS[4]}` || undefined, { what: 'the replay at the error' });
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'dashboard-console.png') });
      }

      // Opened now, paused: the request in flight or just before is "at this moment" without playing on.
      await page.click('[data-side-tab="network"]');
      assert.deepEqual(await networkRowsIn(page), [...NETWORK_ROWS]);
      await page.waitForSelector('.sv-netrow.is-current[data-status="500"]', { timeout: 5000 });
      await page.click('.sv-netrow[data-status="500"] .sv-netrow-main');
      await page.waitForSelector(`.sv-netrow[data-status="500"] .sv-net-detail:has-text("${SERVER_ERROR}")`);
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'dashboard-network.png') });
    } finally {
      await c.close();
    }
  });
});
