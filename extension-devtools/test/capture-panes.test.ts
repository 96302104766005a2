/**
 * The viewer's Console and Network panes inside the DevTools panel (real Chromium, a real relay):
 * a page that logs at every level and makes fetch and XHR requests (a 500 the server reports,
 * a 404, a body the recorder may keep and one it may not) is inspected; the panel's panes list
 * exactly what it did, a click on an entry seeks the replay there, the server's error shows on
 * its request, the private bodies are in nothing the relay stored, and the panes follow
 * DevTools' dark theme.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { storedBatches } from '../../test/helpers/demo.ts';
import {
  ALLOWED_BODY, CONSOLE_LINES, CONSOLE_STEPS, NETWORK_ROWS, NETWORK_STEPS, PRIVATE_BODIES, SERVER_ERROR, runCapturePage, startCapturePage,
} from '../../test/helpers/capture-page.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { CHROME_DIST, buildExtension } from './helpers/build.ts';
import { type ChromiumDevTools, launchWithDevTools } from './helpers/chromium.ts';

/** Set to a folder to keep screenshots of the panes (docs/images is where the docs take them from). */
const SHOTS = process.env.SENTIERO_SCREENSHOTS;
const js = (v: unknown) => JSON.stringify(v);
const V = '#sp-viewer';

describe('DevTools panel: Console and Network panes (real Chromium)', function () {
  this.timeout(240_000);
  let t: TestRelay | undefined;
  let b: ChromiumDevTools | undefined;

  before(async () => { await buildExtension(); });
  after(async () => {
    await b?.close();
    await t?.close().catch(() => undefined);
  });

  const consoleRows = () => b!.panel<string[]>(`[...document.querySelectorAll('${V} .sv-logrow')].map((e) => e.dataset.level + ' ' + e.querySelector('.sv-log-text').textContent)`);
  const networkRows = () => b!.panel<string[]>(`[...document.querySelectorAll('${V} .sv-netrow')].map((e) => e.dataset.status + ' ' + e.dataset.type + ' ' + e.querySelector('.sv-net-what').textContent.trim())`);
  /** The moment the viewer shows, and the step the replayed page shows then. */
  const shown = () => b!.panel<{ mode: string; time: number; step: string }>(`(() => {
    const s = document.querySelector('${V} .sv-session');
    const step = [...document.querySelectorAll('${V} iframe')].map((f) => f.contentDocument?.getElementById('step')?.textContent).find(Boolean);
    return { mode: s.dataset.mode, time: Number(s.dataset.time), step: step ?? '' }; })()`);

  /** Clicks the `index`th row of a pane and waits for the replay to show that entry's moment and step. */
  async function seekTo(row: string, index: number, step: number): Promise<void> {
    const at = await b!.panel<number>(`(() => { const r = document.querySelectorAll('${V} ${row}')[${index}];
      r.querySelector('button').click(); return Number(r.dataset.time); })()`);
    await waitFor(async () => {
      const s = await shown();
      return s.mode !== 'live' && Math.abs(s.time - at) <= 250 && s.step === `step ${step}` ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: `the replay at ${at} ms, showing step ${step} (now ${js(await shown())})` });
    await b!.waitInPanel(`document.querySelectorAll('${V} ${row}')[${index}].classList.contains('is-current')`, 'the entry "at this moment"');
  }

  it('lists exactly what the page logged and requested, seeks on a click, shows the server error on its request and no private body', async () => {
    t = await startCapturePage({ limits: { liveGraceMs: 1000 } });
    // DevTools in its dark theme (the system's dark scheme), which the panel and its viewer follow.
    b = await launchWithDevTools(CHROME_DIST, { dark: true });
    await b.page.goto(`${t.origin}/checkout`);
    await b.openPanel();
    await b.waitInPanel('document.getElementById("app").dataset.status === "need-token"', 'the token prompt');
    await b.panel(`(() => {
      const input = document.getElementById('sp-token'); input.value = ${js(t.relay.token)};
      document.getElementById('sp-token-form').requestSubmit(); return true; })()`);
    await b.waitInPanel('document.getElementById("app").dataset.status === "connected"', 'connected');
    await runCapturePage(b.page);
    const sessionId = await b.page.evaluate(() => (window as unknown as { __SENTIERO__: { sessionId: string } }).__SENTIERO__.sessionId);

    // Console: every line the page logged, in order, at its level, and nothing else.
    await b.waitInPanel(`document.querySelector('${V} [data-side-tab=console]')`, 'the side tabs in the panel');
    await b.panel(`document.querySelector('${V} [data-side-tab=console]').click()`);
    await waitFor(async () => (await consoleRows()).length === CONSOLE_LINES.length || undefined, { timeoutMs: 30_000, what: 'the console lines in the panel' });
    assert.deepEqual(await consoleRows(), [...CONSOLE_LINES]);
    assert.equal(await b.panel(`document.querySelector('${V} [data-side-tab=console] .sv-side-bad')?.textContent`), '1', 'one console error on the tab');
    await seekTo('.sv-logrow', 2, CONSOLE_STEPS[2]);
    await seekTo('.sv-logrow', 0, CONSOLE_STEPS[0]);
    await b.panel(`document.querySelector('${V} [data-level-filter=warn]').click()`);
    assert.deepEqual(await consoleRows(), ['warn slow checkout 1200'], 'the level filter');
    await b.panel(`document.querySelector('${V} [data-level-filter=all]').click()`);

    // Network: every request, in order, with its method, path, type and status.
    await b.panel(`document.querySelector('${V} [data-side-tab=network]').click()`);
    await waitFor(async () => (await networkRows()).length === NETWORK_ROWS.length || undefined, { timeoutMs: 30_000, what: 'the requests in the panel' });
    assert.deepEqual(await networkRows(), [...NETWORK_ROWS]);
    assert.equal(await b.panel(`document.querySelector('${V} [data-side-tab=network] .sv-side-bad')?.textContent`), '2', 'the 500 and the 404 are failed requests');
    assert.equal(await b.panel(`[...document.querySelectorAll('${V} .sv-marker[data-kind=error]')].reduce((n, e) => n + Number(e.dataset.count), 0)`), 4,
      'the console error, the 500, the server\'s error for it and the 404 on the timeline (near ones share a mark)');
    const titles = await b.panel<string[]>(`[...document.querySelectorAll('${V} .sv-netrow-main')].map((e) => e.title)`);
    assert.deepEqual(titles.map((x) => x.split(' ')[1]), ['/api/items', '/api/orders', '/private/profile', '/api/pay', '/api/missing'].map((p) => `${t!.origin}${p}`), 'the full URLs');
    await seekTo('.sv-netrow', 4, NETWORK_STEPS[4]);
    await seekTo('.sv-netrow', 1, NETWORK_STEPS[1]);
    const detail = (i: number) => b!.panel<{ text: string; bodies: string[] }>(`(() => { const d = document.querySelectorAll('${V} .sv-netrow')[${i}].querySelector('.sv-net-detail');
      return { text: d?.textContent ?? '', bodies: [...(d?.querySelectorAll('.sv-net-body') ?? [])].map((e) => e.textContent) }; })()`);
    // The allowed body (an /api/ URL) is kept, request and response.
    assert.deepEqual((await detail(1)).bodies, [ALLOWED_BODY, js({ order: ALLOWED_BODY })]);
    // The other URL's bodies are not.
    await seekTo('.sv-netrow', 2, NETWORK_STEPS[2]);
    const priv = await detail(2);
    assert.deepEqual(priv.bodies, []);
    for (const secret of PRIVATE_BODIES) assert.ok(!priv.text.includes(secret), `${secret} is not shown`);
    // The 500: its row says the server reported an error, and its details show it.
    assert.equal(await b.panel(`document.querySelectorAll('${V} .sv-netrow')[3].querySelector('.sv-badge.is-error')?.textContent`), 'server error');
    await seekTo('.sv-netrow', 3, NETWORK_STEPS[3]);
    await b.waitInPanel(`/Server error\\s*Error: ${SERVER_ERROR}/.test(document.querySelectorAll('${V} .sv-netrow')[3].querySelector('.sv-net-detail')?.textContent ?? '')`, 'the server error on the request');
    await b.panel(`document.querySelector('${V} [data-status-filter=failed]').click()`);
    assert.deepEqual(await networkRows(), [NETWORK_ROWS[3], NETWORK_ROWS[4]], 'the status filter');
    await b.panel(`document.querySelector('${V} [data-status-filter=all]').click()`);

    // What the relay stored: the allowed body, never the private ones.
    const stored = JSON.stringify(await storedBatches(t, sessionId));
    assert.ok(stored.includes(ALLOWED_BODY), 'the allowed body is stored');
    for (const secret of PRIVATE_BODIES) assert.ok(!stored.includes(secret), `${secret} never reached the relay`);

    // The pane fits the panel: no row wider than the pane, the pane inside the panel.
    const fits = await b.panel<boolean>(`(() => {
      const root = document.querySelector('${V}').getBoundingClientRect();
      const pane = document.querySelector('${V} .sv-network').getBoundingClientRect();
      return [...document.querySelectorAll('${V} .sv-netrow-main')].every((r) => r.scrollWidth <= r.clientWidth + 1) && pane.right <= root.right + 1; })()`);
    assert.equal(fits, true, 'the pane fits the panel');

    // DevTools' dark theme reaches the viewer.
    assert.equal(await b.panel(`document.querySelector('.sv-root').dataset.theme`), 'dark');

    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await b.undock(1280, 800);
      const shot = async (name: string) => {
        await new Promise((r) => setTimeout(r, 1000));
        await b!.panel(`document.querySelector('${V} .sv-side').scrollIntoView({ block: 'end' })`);
        writeFileSync(path.join(SHOTS, name), await b!.screenshot());
      };
      await shot('devtools-network.png');
      await b.panel(`document.querySelector('${V} [data-side-tab=console]').click()`);
      await seekTo('.sv-logrow', 4, CONSOLE_STEPS[4]);
      await shot('devtools-console.png');
    }
  });
});
