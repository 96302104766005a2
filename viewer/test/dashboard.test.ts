/**
 * The dashboard in real Chromium against a real relay (LevelDB in a temp folder), with the
 * real recorder in the demo's pages: the token prompt, the session list and its filters,
 * a replay that reaches the recorded page's DOM, the tabs of a two-tab visit, and the viewer
 * bundle mounted by another host under a nonce Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Browser, BrowserContext } from 'playwright-core';
import { pageSession, useDemoBrowser } from '../../test/helpers/demo.ts';
import { listen, waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { openDashboard, replayedText, viewState, waitEnded, waitForView } from './helpers.ts';



describe('viewer: the dashboard in real Chromium', function () {
  this.timeout(180_000);
  const env = useDemoBrowser({ context: { viewport: { width: 1280, height: 800 } } });
  let browser: Browser;
  let t: TestRelay;
  let context: BrowserContext;
  beforeEach(() => ({ browser, t, context } = env));

  it('asks for the token, refuses a wrong one, signs in with the right one (kept in no storage), stays signed in on reload, signs out', async () => {
    const page = await context.newPage();
    await page.goto(`${t.base}/`);
    await page.fill('input[name="token"]', 'not-the-token-at-all');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.sd-login-error');
    assert.match((await page.textContent('.sd-login-error'))!, /did not accept/);

    await page.fill('input[name="token"]', t.relay.token);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.sv-list');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    assert.ok(!stored.includes(t.relay.token), 'the token is kept in no storage');
    await page.reload();
    await page.waitForSelector('.sv-list');
    await page.waitForSelector('.sv-conn.is-open');
    await page.click('.sv-signout');
    await page.waitForSelector('.sd-login');
    await page.reload();
    await page.waitForSelector('.sd-login');
  });

  it('lists a session recorded moments before, with its browser, pages and live badge, and adds new ones from the feed', async () => {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const first = await pageSession(app);
    await app.click('#suggest');
    await app.click('#to-about');
    await app.waitForURL(`${t.origin}/about`);
    await waitFor(async () => ((await (await t.api(`/api/sessions/${first.sessionId}`)).json()) as { pages?: string[] }).pages?.length === 2, { what: 'both pages stored' });

    const dash = await openDashboard(context, t);
    const row = dash.locator(`.sv-row[data-session="${first.sessionId}"]`);
    await row.waitFor();
    const text = (await row.textContent())!;
    assert.match(text, /Live/);
    assert.match(text, /Chrome/);
    assert.match(text, /Linux · desktop/);
    assert.match(text, /→ \/about/);
    assert.equal((await row.locator('[data-col="pages"]').textContent())!.trim(), '2', 'two pages');

    // A new visit (another browser context: another session) appears at the top without a reload.
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(`${t.origin}/about`);
    const s2 = await pageSession(second);
    await dash.locator(`.sv-row[data-session="${s2.sessionId}"]`).waitFor();
    assert.deepEqual(await dash.$$eval('.sv-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.session)), [s2.sessionId, first.sessionId]);

    // Filters: URL contains, live only, has errors.
    await dash.fill('input[name="url"]', 'tasks-that-do-not-exist');
    await dash.press('input[name="url"]', 'Enter');
    await dash.waitForSelector('.sv-empty >> text=No session matches these filters.');
    assert.match(dash.url(), /url=tasks-that-do-not-exist/, 'filters live in the route');
    await dash.click('text=Clear filters');
    await dash.locator('.sv-row').nth(1).waitFor();
    await dash.check('input[name="errors"]');
    await dash.waitForSelector('.sv-empty');
    await dash.uncheck('input[name="errors"]');
    await other.close();
    await waitEnded(t, s2.sessionId);
    await dash.check('input[name="live"]');
    await waitFor(async () => (await dash.$$eval('.sv-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.session))).join() === first.sessionId, { what: 'only the live session' });
    await dash.uncheck('input[name="live"]');
    await waitFor(async () => (await dash.$$('.sv-row')).length === 2, { what: 'both sessions' });
  });

  it('replays a recorded session to the same DOM the page had', async () => {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(app);
    await app.click('#suggest');
    await app.click('#suggest');
    await app.fill('#task', 'Water the office plants');
    await app.click('#add');
    await app.click('#tasks li:nth-child(3) .done');
    const finalTasks = (await app.textContent('#tasks'))!.replace(/\s+/g, ' ').trim();
    assert.match(finalTasks, /Water the office plants/);
    await app.waitForTimeout(300);
    await app.close();
    await waitEnded(t, sessionId);

    const dash = await openDashboard(context, t);
    await dash.click(`.sv-row[data-session="${sessionId}"]`);
    await waitForView(dash, (s) => s.frame === 'true', 'the first frame');
    assert.match(dash.url(), new RegExp(`#/sessions/${sessionId}$`), 'the route follows');
    // The activity list names what happened (it fills as the stored events stream in, after the first frame).
    const names = () => dash.$$eval('.sv-entry-label', (els) => els.map((e) => e.textContent));
    await waitFor(async () => {
      const l = await names();
      return l.includes('Click on button “Suggest one”') && l.some((x) => x?.startsWith('Typed in field'));
    }, { what: 'the activity list', timeoutMs: 30_000 }).catch(() => undefined);
    const labels = await names();
    assert.ok(labels.includes('Click on button “Suggest one”'), labels.join(' | '));
    assert.ok(labels.some((l) => l?.startsWith('Typed in field')), labels.join(' | '));
    // Play to the end (idle stretches are skipped), then compare with what the page showed.
    await waitForView(dash, (s) => s.state === 'ended', 'the end of the replay', 90_000);
    const replayed = (await replayedText(dash, '#tasks'))!.replace(/\s+/g, ' ').trim();
    assert.equal(replayed, finalTasks);
    // The replay is inside rrweb's sandboxed iframe: no scripts there.
    assert.equal(await dash.getAttribute('.sv-replay iframe', 'sandbox'), 'allow-same-origin');
  });

  it('switches between the tabs of a two-tab visit', async () => {
    const tab1 = await context.newPage();
    await tab1.goto(`${t.origin}/`);
    const w1 = await pageSession(tab1);
    await tab1.click('#suggest');
    const tab2 = await context.newPage();
    await tab2.goto(`${t.origin}/about`);
    const w2 = await pageSession(tab2);
    assert.equal(w2.sessionId, w1.sessionId);
    await tab2.click('#like');
    await tab2.click('#like');
    await waitFor(async () => ((await (await t.api(`/api/sessions/${w1.sessionId}`)).json()) as { windows: string[] }).windows.length === 2, { what: 'two windows' });
    await tab1.close();
    await tab2.close();
    await waitEnded(t, w1.sessionId);

    const dash = await openDashboard(context, t, `#/sessions/${w1.sessionId}?t=0`);
    await waitForView(dash, (s) => s.frame === 'true' && s.window === w1.windowId, 'tab 1');
    await waitFor(async () => (await dash.$$('.sv-tab')).length === 2, { what: 'two tab buttons' });
    assert.notEqual(await replayedText(dash, '#suggest'), null, 'tab 1 shows the home page');

    await dash.click(`.sv-tab[data-window="${w2.windowId}"]`);
    await waitForView(dash, (s) => s.window === w2.windowId && s.frame === 'true', 'tab 2');
    await waitFor(() => replayedText(dash, 'h1'), { what: 'the about page in tab 2' });
    assert.match((await replayedText(dash, 'h1'))!, /About/);
    assert.equal(await replayedText(dash, '#suggest'), null);
    assert.ok(await dash.isVisible('.sv-tabtag'), 'activity entries say which tab');

    // Clicking an entry of tab 1 switches back to tab 1.
    await dash.click('.sv-entry:has(.sv-tabtag:text("Tab 1")) .sv-entry-main >> nth=0');
    await waitForView(dash, (s) => s.window === w1.windowId, 'back on tab 1');
  });

  it('runs from its IIFE bundle in another host page under a nonce CSP, talking through the window adapters', async () => {
    // A host page like a VS Code webview: nonce scripts only, and the bundle as a file.
    const html = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-n0nce'; style-src ${t.origin} 'unsafe-inline'; img-src ${t.origin} data:; connect-src ${t.origin} ws://127.0.0.1:${t.port}; frame-src about: blob:">
<link rel="stylesheet" href="${t.base}/assets/viewer.css"></head>
<body style="margin:0;height:100vh"><div id="root" style="height:100%"></div>
<script nonce="n0nce" src="${t.base}/assets/viewer.iife.js"></script>
<script nonce="n0nce">
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  const V = window.SentieroViewer;
  const host = V.createHostWindowAdapter({ target: window, targetOrigin: location.origin });
  window.__got = [];
  host.addListener((m) => window.__got.push(m));
  window.__navigate = (route) => host.postMessage({ t: 'navigate', route });
  window.__viewer = V.mountViewer(document.getElementById('root'), {
    relayUrl: ${JSON.stringify(t.base)}, token: ${JSON.stringify(t.relay.token)}, theme: 'dark',
    adapter: V.createWindowAdapter({ target: window, targetOrigin: location.origin }), capabilities: ['open-source'],
  });
</script></body></html>`;
    // Served from another origin (another port) than the relay's.
    const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
    const port = await listen(server);
    try {
      await embedded(port);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  /** The embedded viewer lists a recorded session, opens it on the host's `navigate`, and reports its route. */
  async function embedded(port: number): Promise<void> {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(app);
    await app.close();
    await waitEnded(t, sessionId);
    const page = await context.newPage();
    await page.goto(`http://localhost:${port}/`);
    // The page's own origin is not the relay's: CORS for REST, and a plain WebSocket.
    await page.locator(`.sv-row[data-session="${sessionId}"]`).waitFor();
    await waitFor(() => page.evaluate(() => (window as unknown as { __got: Array<{ t: string }> }).__got.some((m) => m.t === 'connection')), { what: 'a connection message' });
    await page.evaluate((id) => (window as unknown as { __navigate(r: string): void }).__navigate(`#/sessions/${id}?t=0`), sessionId);
    await waitForView(page, (s) => s.frame === 'true', 'the replay in the embedded viewer');
    await page.click(`.sv-row, .sv-back`);
    await waitFor(() => page.evaluate(() => (window as unknown as { __got: Array<{ t: string; route?: string }> }).__got.some((m) => m.t === 'route' && m.route === '#/sessions')), { what: 'a route message' });
    const got = await page.evaluate(() => (window as unknown as { __got: Array<{ t: string }> }).__got.map((m) => m.t));
    assert.equal(got[0], 'ready');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), [], 'no CSP violation');
    assert.equal(await page.getAttribute('.sv-root', 'data-theme'), 'dark');
    assert.equal((await viewState(page)), undefined, 'back on the list');
  }
});
