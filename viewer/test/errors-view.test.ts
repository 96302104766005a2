/**
 * The errors view in the real dashboard (real relay, real Chromium): the demo page, its script
 * minified with a source map the relay reads, throws an error ("Throw an error"); the errors
 * list shows its group as it happens, the group shows the original source in its top frame,
 * "Resolve" changes its status on the relay, "Replay the moment" opens the session just before
 * the error, and the session's activity links back to the group. An embedding host with the
 * `open-source` capability gets the original position from "Open".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ErrorGroup, ErrorGroupDetail, SessionSummary } from '@sentiero/protocol';
import { launchChromium } from '../../test/helpers/browser.ts';
import { startDemo, storedBatches } from '../../test/helpers/demo.ts';
import { listen, waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { REPLAY_LEAD_MS } from '../src/errors.ts';
import { openDashboard, waitEnded, waitForView } from './helpers.ts';

const demoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/demo');
const APP_JS = path.join(demoDir, 'public', 'app.js');

function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} is in ${file}`);
  return i + 1;
}

describe('viewer: the errors view in the dashboard', function () {
  this.timeout(240_000);
  let browser: Browser;
  let dir: string;
  let t: TestRelay;
  let context: BrowserContext;
  let dash: Page;
  let sessionId = '';
  let group: ErrorGroup;

  before(async () => {
    // The demo's own build into a folder of this test's: a minified script and its source map, which the relay reads.
    dir = mkdtempSync(path.join(tmpdir(), 'sentiero-errors-view-'));
    const { default: targets } = (await import(path.join(demoDir, 'build.config.js'))) as { default: BuildOptions[] };
    await Promise.all(targets.map((target) => build({ ...target, absWorkingDir: demoDir, outfile: path.join(dir, 'assets', 'app.min.js'), logLevel: 'warning' })));
    t = await startDemo({ sourceMapsDir: dir, limits: { liveGraceMs: 1000 } }, { assetsDir: path.join(dir, 'assets') });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the browser error\'s group as it happens, after "Throw an error" in the demo page', async () => {
    dash = await openDashboard(context, t, '#/errors');
    await dash.locator('.sv-errors').waitFor();
    assert.equal(await dash.getAttribute('[data-nav="errors"]', 'aria-current'), 'page', 'the Errors tab is on');
    await dash.locator('.sv-errors .sv-empty').waitFor();
    await waitFor(() => dash.evaluate(() => document.querySelector('.sv-conn')?.getAttribute('data-connection') === 'open'), { what: 'the watch socket', timeoutMs: 30_000 });

    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    ({ sessionId } = await waitFor(() => app.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' }));
    // Some time in the page first, so that "a few seconds before the error" is inside the session.
    await app.waitForTimeout(REPLAY_LEAD_MS + 2000);
    await app.click('#boom');

    // Live: the row appears without reloading the list.
    const row = dash.locator('.sv-row[data-group]');
    await row.first().waitFor({ timeout: 30_000 });
    const gid = (await row.first().getAttribute('data-group'))!;
    group = (await (await t.api(`/api/errors/${gid}`)).json()) as ErrorGroupDetail;
    assert.equal(group.name, 'TypeError');
    assert.equal(await row.count(), 1);
    const text = (await row.first().textContent())!;
    assert.match(text, /TypeError/);
    assert.ok(text.includes(group.message), 'the message is shown');
    assert.equal(await row.first().getAttribute('data-status'), 'unresolved');
    assert.equal((await row.first().locator('[data-col="count"]').textContent())!.trim(), '1');
    assert.equal((await row.first().locator('[data-col="sessions"]').textContent())!.trim(), '1');

    await app.close();
    await waitEnded(t, sessionId);

    // Filters: a text that is not in it hides it; the resolved tab does not list it.
    await dash.fill('input[name="q"]', 'no-such-error-text');
    await dash.press('input[name="q"]', 'Enter');
    await dash.locator('.sv-errors .sv-empty').waitFor();
    assert.match(await dash.evaluate(() => location.hash), /q=no-such-error-text/);
    await dash.fill('input[name="q"]', 'typeerror');
    await dash.press('input[name="q"]', 'Enter');
    await dash.locator(`.sv-row[data-group="${gid}"]`).waitFor();
    await dash.click('[data-status-filter="resolved"]');
    await dash.locator('.sv-errors .sv-empty').waitFor();
    await dash.click('[data-status-filter="all"]');
    await dash.locator(`.sv-row[data-group="${gid}"]`).waitFor();
  });

  it('opens the group with the original source file in the top frame', async () => {
    await dash.click(`.sv-row[data-group="${group.id}"]`);
    await dash.locator('.sv-error-group .sv-sframe').first().waitFor();
    assert.equal(await dash.evaluate(() => location.hash), `#/errors/${group.id}`);
    const top = dash.locator('.sv-sframe[data-frame="0"]');
    assert.equal(await top.getAttribute('data-mapped'), 'true');
    const loc = (await top.locator('.sv-sframe-loc').textContent())!;
    const m = /(\S*app\.js):(\d+):(\d+)$/.exec(loc);
    assert.ok(m, `the top frame is in the original app.js: ${loc}`);
    assert.doesNotMatch(m[1]!, /min\.js/);
    assert.equal(Number(m[2]), lineOf(APP_JS, 'cart.items.reduce'));
    assert.match((await top.locator('.sv-sframe-gen').textContent())!, /\/assets\/app\.min\.js:1:\d+$/, 'the running position is shown too');
    assert.equal(await dash.locator('[data-action="open-source"]').count(), 0, 'the dashboard cannot open sources');
    assert.match((await dash.textContent('.sv-group-title'))!, /TypeError/);
  });

  it('"Resolve" changes the status on the relay, and "Reopen" opens it again', async () => {
    await dash.click('[data-action="resolved"]');
    await dash.locator('.sv-error-group[data-status="resolved"]').waitFor();
    const after = (await (await t.api(`/api/errors/${group.id}`)).json()) as ErrorGroup;
    assert.equal(after.status, 'resolved');
    assert.equal(await dash.isVisible('.sv-error-group .sv-status[data-status="resolved"]'), true);

    await dash.click('[data-action="unresolved"]');
    await dash.locator('.sv-error-group[data-status="unresolved"]').waitFor();
    assert.equal(((await (await t.api(`/api/errors/${group.id}`)).json()) as ErrorGroup).status, 'unresolved');
  });

  it('"Replay the moment" opens the session a few seconds before the error', async () => {
    const session = (await (await t.api(`/api/sessions/${sessionId}`)).json()) as SessionSummary;
    const events = (await storedBatches(t, sessionId)).flatMap((b) => b.events);
    const errorAt = events.find((e) => e.type === 5 && e.data?.tag === 'sentiero/error@1')!.timestamp;
    const expected = Math.max(0, errorAt - session.startedAt - REPLAY_LEAD_MS);
    assert.ok(expected > 0, 'the error happened after the first seconds');

    const link = dash.locator(`.sv-occ-row[data-session="${sessionId}"] [data-action="replay"]`);
    await waitFor(async () => (await link.getAttribute('data-t')) !== '', { what: 'the moment of the link' });
    assert.equal(Number(await link.getAttribute('data-t')), expected);
    await link.click();
    const s = await waitForView(dash, (v) => v.frame === 'true' && v.seeking === 'false' && v.state !== 'playing', 'the session at the moment', 60_000);
    assert.equal(await dash.evaluate(() => location.hash), `#/sessions/${sessionId}?t=${expected}`);
    assert.ok(Math.abs(s.time - expected) < 250, `opened at ${s.time} ms, the moment is ${expected} ms`);
    assert.equal(await dash.getAttribute('[data-nav="sessions"]', 'aria-current'), 'page');
  });

  it('links a session\'s error in its activity to the group', async () => {
    await dash.click('.sv-entry[data-kind="error"] .sv-entry-main');
    await dash.click(`.sv-group-link[data-group="${group.id}"]`);
    await dash.locator(`.sv-error-group[data-group="${group.id}"]`).waitFor();
    assert.equal(await dash.evaluate(() => location.hash), `#/errors/${group.id}`);
  });

  it('sends the original position with "Open" to a host that can open sources', async () => {
    const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${t.base}/assets/viewer.css"></head>
<body style="margin:0;height:100vh"><div id="root" style="height:100%"></div>
<script src="${t.base}/assets/viewer.iife.js"></script>
<script>
  const V = window.SentieroViewer;
  const { viewer, host } = V.createMemoryChannel();
  window.__got = [];
  host.addListener((m) => window.__got.push(m));
  V.mountViewer(document.getElementById('root'), {
    relayUrl: ${JSON.stringify(t.base)}, token: ${JSON.stringify(t.relay.token)}, adapter: viewer, capabilities: ['open-source'],
    route: ${JSON.stringify(`#/errors/${group.id}`)},
  });
</script></body></html>`;
    const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
    const port = await listen(server);
    try {
      const page = await context.newPage();
      await page.goto(`http://localhost:${port}/`);
      await page.click('.sv-sframe[data-frame="0"] [data-action="open-source"]');
      const got = await waitFor(() => page.evaluate(() => (window as unknown as { __got: Array<{ t: string }> }).__got.find((m) => m.t === 'open-source')), { what: 'the open-source message' });
      const m = got as unknown as { url: string; line: number; column?: number };
      assert.match(m.url, /(^|\/)public\/app\.js$/);
      assert.equal(m.line, lineOf(APP_JS, 'cart.items.reduce'));
      assert.ok(typeof m.column === 'number' && m.column > 0);
      await page.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
