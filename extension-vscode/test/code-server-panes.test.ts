/**
 * The replay webview's Console and Network panes in real VS Code (code-server, the built `.vsix`),
 * and the tracked-event CodeLens: a page that logs at every level and makes fetch and XHR
 * requests is recorded in real Chromium through a real relay; in VS Code its replay lists exactly
 * what it did, a click on an entry seeks the replay, the server's error shows on its request, a
 * body the recorder was not allowed to keep is nowhere, the webview wears VS Code's theme colours,
 * and a `data-sentiero-track` attribute in the workspace gets its 7-day count as a CodeLens.
 *
 * Set SENTIERO_SCREENSHOTS=<folder> to save vscode-console.png and vscode-network.png there.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { createAnalyticsApi } from '@sentiero/viewer/analytics-api';
import { launchChromium } from '../../test/helpers/browser.ts';
import {
  ALLOWED_BODY, CONSOLE_LINES, CONSOLE_STEPS, NETWORK_ROWS, NETWORK_STEPS, PRIVATE_BODIES, SERVER_ERROR, consoleRowsIn, networkRowsIn, runCapturePage, startCapturePage,
} from '../../test/helpers/capture-page.ts';
import { pageSession } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { waitEnded } from '../../viewer/test/helpers.ts';
import { type CodeServer, ensureCodeServer, ensureVsix, startCodeServer } from './helpers/code-server.ts';
import { WAIT, WORKBENCH_SETTINGS, connect, reportFailure, rowLabel, runCommand, viewerFrame } from './helpers/workbench.ts';

const SHOTS = process.env.SENTIERO_SCREENSHOTS;
/** The tracked button of the capture page, as a workspace file has it. */
const CHECKOUT_HTML = '<main>\n  <h1>Checkout</h1>\n  <button id="run" type="button" data-sentiero-track="checkout-run">Run</button>\n</main>\n';

describe('the replay\'s Console and Network panes in real VS Code (code-server)', function () {
  this.timeout(180_000);
  let dir: string;
  let t: TestRelay | undefined;
  let browser: Browser;
  let cs: CodeServer | undefined;
  let page: Page;
  let frame: Frame;
  let sessionId: string;

  before(async function () {
    this.timeout(600_000);
    await ensureCodeServer();
    const vsix = await ensureVsix();
    dir = mkdtempSync(path.join(tmpdir(), 'sentiero-vscode-panes-'));
    const workspace = path.join(dir, 'shop');
    mkdirSync(workspace);
    writeFileSync(path.join(workspace, 'checkout.html'), CHECKOUT_HTML);

    // The visit, recorded to the end (the tab closed), and its tracked click counted by analytics.
    t = await startCapturePage({ limits: { liveGraceMs: 1000 } });
    browser = await launchChromium();
    const recorded = await browser.newPage();
    await recorded.goto(`${t.origin}/checkout`);
    sessionId = (await pageSession(recorded)).sessionId;
    await runCapturePage(recorded);
    await recorded.close({ runBeforeUnload: true });
    await waitEnded(t, sessionId);
    const analytics = createAnalyticsApi(t.base, t.relay.token);
    await waitFor(async () => (await analytics.overview({ from: Date.now() - 86_400_000, to: Date.now() + 60_000 })).customEvents['checkout-run'] === 1 || undefined,
      { what: 'the tracked click in the analytics', timeoutMs: 30_000 });

    cs = await startCodeServer({
      vsix, workspace,
      settings: WORKBENCH_SETTINGS,
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(cs.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.click('.activitybar [aria-label^="Sentiero"]', { timeout: 90_000 });
    await connect(page, t.base, t.relay.token);
    await page.locator('.sidebar .monaco-list-row', { hasText: await rowLabel(t, sessionId, t.relay.token) }).first().click({ timeout: WAIT });
    frame = await viewerFrame(page, sessionId);
    await waitFor(async () => (await frame.getAttribute('.sv-session', 'data-frame')) === 'true' || undefined, { timeoutMs: WAIT, what: 'the replay\'s first frame' });
    // Paused, so that each seek stays where it went.
    if ((await frame.getAttribute('.sv-session', 'data-state')) === 'playing') await frame.click('.sv-play');
    await waitFor(async () => (await frame.getAttribute('.sv-session', 'data-state')) !== 'playing' || undefined, { timeoutMs: WAIT, what: 'the replay paused' });
  });

  after(async () => {
    await browser?.close();
    await cs?.stop();
    await t?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await reportFailure(page, cs);
  });

  const consoleRows = () => consoleRowsIn(frame);
  const networkRows = () => networkRowsIn(frame);

  /** Clicks the `index`th row of a pane; the replay goes to that entry's moment, which shows `step N`, and the row is "at this moment". */
  async function seekTo(row: string, index: number, step: number): Promise<void> {
    const entry = frame.locator(row).nth(index);
    const at = Number(await entry.getAttribute('data-time'));
    await entry.locator('button').first().click();
    await waitFor(async () => {
      const time = Number(await frame.getAttribute('.sv-session', 'data-time'));
      const shown = await frame.evaluate(() => (document.querySelector('.sv-replay iframe') as HTMLIFrameElement | null)?.contentDocument?.getElementById('step')?.textContent);
      return Math.abs(time - at) <= 250 && shown === `step ${step}` ? true : undefined;
    }, { timeoutMs: WAIT, intervalMs: 100, what: `the replay at ${at} ms, on step ${step}` });
    await waitFor(async () => (await entry.getAttribute('class'))!.includes('is-current') || undefined, { timeoutMs: WAIT, what: 'the entry "at this moment"' });
  }

  async function shot(name: string): Promise<void> {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.mouse.move(5, 500);
    await new Promise((r) => setTimeout(r, 800));
    await page.screenshot({ path: path.join(SHOTS, name) });
  }

  it('the Console pane lists exactly what the page logged, and a click seeks the replay', async () => {
    await frame.click('[data-side-tab="console"]');
    await waitFor(async () => (await consoleRows()).length === CONSOLE_LINES.length || undefined, { timeoutMs: WAIT, what: 'the console lines' });
    assert.deepEqual(await consoleRows(), [...CONSOLE_LINES]);
    assert.equal(await frame.textContent('[data-side-tab="console"] .sv-side-bad'), '1');
    await seekTo('.sv-logrow', 2, CONSOLE_STEPS[2]);
    await frame.click('[data-level-filter="error"]');
    assert.deepEqual(await consoleRows(), ['error payment failed 500']);
    await frame.click('[data-level-filter="all"]');
    await seekTo('.sv-logrow', 4, CONSOLE_STEPS[4]);
    await shot('vscode-console.png');
  });

  it('the Network pane lists exactly what the page requested, with the server\'s error on its request and no private body', async () => {
    await frame.click('[data-side-tab="network"]');
    await waitFor(async () => (await networkRows()).length === NETWORK_ROWS.length || undefined, { timeoutMs: WAIT, what: 'the requests' });
    assert.deepEqual(await networkRows(), [...NETWORK_ROWS]);
    assert.equal(await frame.textContent('[data-side-tab="network"] .sv-side-bad'), '2');
    // The console error, the 500, the server's error for it and the 404 are error markers on the timeline (near ones share a mark).
    assert.equal(await frame.$$eval('.sv-marker[data-kind="error"]', (els) => els.reduce((n, e) => n + Number((e as HTMLElement).dataset.count), 0)), 4);
    await seekTo('.sv-netrow', 1, NETWORK_STEPS[1]);
    assert.deepEqual(await frame.locator('.sv-netrow').nth(1).locator('.sv-net-body').allTextContents(), [ALLOWED_BODY, JSON.stringify({ order: ALLOWED_BODY })]);
    await seekTo('.sv-netrow', 2, NETWORK_STEPS[2]);
    const priv = (await frame.locator('.sv-netrow').nth(2).locator('.sv-net-detail').textContent())!;
    for (const secret of PRIVATE_BODIES) assert.ok(!priv.includes(secret), `${secret} is not shown`);
    assert.equal(await frame.locator('.sv-netrow').nth(2).locator('.sv-net-body').count(), 0);
    await seekTo('.sv-netrow', 3, NETWORK_STEPS[3]);
    await waitFor(async () => new RegExp(`Server error\\s*Error: ${SERVER_ERROR}`).test((await frame.locator('.sv-netrow').nth(3).locator('.sv-net-detail').textContent()) ?? '') || undefined,
      { timeoutMs: WAIT, what: 'the server error on the request' });
    await shot('vscode-network.png');
  });

  it('wears VS Code\'s theme colours, and follows a change of theme', async () => {
    // A string, so that nothing the test's compiler adds to a function reaches the page.
    const colours = () => frame.evaluate<Record<string, string>>(`(() => {
      const root = document.querySelector('.sv-root');
      const vs = getComputedStyle(document.documentElement);
      const probe = (css) => { const el = document.createElement('i'); el.style.color = css; root.append(el); const c = getComputedStyle(el).color; el.remove(); return c; };
      return { bg: getComputedStyle(root).backgroundColor, editorBg: probe(vs.getPropertyValue('--vscode-editor-background')),
        fg: getComputedStyle(root).color, foreground: probe(vs.getPropertyValue('--vscode-foreground')) };
    })()`);
    const dark = await colours();
    assert.equal(dark.bg, dark.editorBg, 'the editor\'s background');
    assert.equal(dark.fg, dark.foreground, 'the theme\'s foreground');
    await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    const light = await waitFor(async () => {
      const c = await colours();
      return c.bg !== dark.bg && c.bg === c.editorBg && c.fg === c.foreground ? c : undefined;
    }, { timeoutMs: WAIT, what: 'the light theme\'s colours' });
    assert.notEqual(light.fg, dark.fg);
    await shot('vscode-network-light.png');
  });

  it('shows the 7-day count of a data-sentiero-track attribute as a CodeLens', async () => {
    await runCommand(page, 'Go to File');
    await page.locator('.quick-input-widget .quick-input-box input').fill('checkout.html');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'checkout.html' }).first().waitFor({ timeout: WAIT });
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.locator('.codelens-decoration', { hasText: 'Sentiero: "checkout-run" fired 1 time in the last 7 days' }).first().waitFor({ timeout: WAIT });
  });
});
