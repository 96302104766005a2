/**
 * The extension in real Chromium (Debian's), loaded unpacked with `--load-extension`, DevTools
 * opened on the inspected tab and the Sentiero panel selected over CDP, against the demo app
 * with its real relay: the panel finds the page's session and shows it live, follows a
 * reload and a navigation, lists an error and opens its frame in the Sources panel, and says
 * clearly when the page has no recorder, the relay is down, or the token is wrong.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRelay } from '@sentiero/relay';
import { MemoryStore } from '@sentiero/storage';
import { startDemo } from '../../test/helpers/demo.ts';
import { listen, waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { CHROME_DIST, buildExtension } from './helpers/build.ts';
import { type ChromiumDevTools, launchWithDevTools } from './helpers/chromium.ts';

interface PageSentiero { sessionId: string; windowId: string; relay: string }

/** Set to a folder to keep screenshots of the panel (docs/screenshots is where the docs take them from). */
const SHOTS = process.env.SENTIERO_SCREENSHOTS;
/** The demo's build output: its minified script and the source map the relay reads. */
const DEMO_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/demo/dist');

const js = (v: unknown) => JSON.stringify(v);

/** The panel, read and driven through its page. */
function panelOf(b: ChromiumDevTools) {
  return {
    status: () => b.panel<string>('document.getElementById("app").dataset.status'),
    notice: () => b.panel<string>('document.getElementById("sp-notice-text").textContent'),
    sessionId: () => b.panel<string>('document.getElementById("sp-session-id").textContent'),
    events: () => b.panel<number>('Number(document.getElementById("sp-event-count").dataset.count)'),
    waitStatus: (status: string, timeoutMs = 30_000) =>
      b.waitInPanel(`document.getElementById("app").dataset.status === ${js(status)}`, `the panel's status to be ${status}`, timeoutMs),
    enterToken: (token: string) => b.panel(`(() => {
      const input = document.getElementById('sp-token'); input.value = ${js(token)};
      document.getElementById('sp-token-form').requestSubmit(); return true; })()`),
    /** The text of the page the viewer replays (rrweb's sandboxed iframe is same-origin with the panel). */
    replayed: () => b.panel<string>(`[...document.querySelectorAll('#sp-viewer iframe')].map((f) => f.contentDocument?.body?.textContent ?? '').join(' ')`),
    errors: () => b.panel<Array<{ name: string; message: string; frames: string[] }>>(`[...document.querySelectorAll('#sp-error-list .sp-error')].map((li) => ({
      name: li.querySelector('.sp-error-name').textContent, message: li.querySelector('.sp-error-message').textContent,
      frames: [...li.querySelectorAll('.sp-frame')].map((f) => f.dataset.url + ':' + f.dataset.line) }))`),
  };
}

async function pageSentiero(b: ChromiumDevTools): Promise<PageSentiero> {
  return waitFor(() => b.page.evaluate(() => (window as unknown as { __SENTIERO__?: PageSentiero }).__SENTIERO__), { what: 'window.__SENTIERO__' });
}

async function shot(b: ChromiumDevTools, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await b.undock(1280, 800);
  writeFileSync(path.join(SHOTS, name), await b.screenshot());
}

describe('DevTools panel in real Chromium', function () {
  this.timeout(240_000);
  let t: TestRelay | undefined;
  let b: ChromiumDevTools | undefined;
  const servers: Server[] = [];

  before(async () => { await buildExtension(); });
  afterEach(async () => {
    await b?.close();
    b = undefined;
    await t?.close().catch(() => undefined);
    t = undefined;
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('shows the inspected page\'s session live, follows a reload, and lists an error that opens in Sources', async () => {
    // The relay maps the demo's minified script through its source map (which the page does not serve).
    t = await startDemo({ sourceMapsDir: DEMO_DIST });
    b = await launchWithDevTools(CHROME_DIST);
    const panel = panelOf(b);
    await b.page.goto(`${t.origin}/`);
    await b.openPanel();

    // First visit to this relay: the panel asks for its token, once, naming the origin.
    await panel.waitStatus('need-token');
    assert.match(await panel.notice(), new RegExp(`viewer token of the relay at ${t.origin.replace(/[.:/]/g, '\\$&')}`));
    await panel.enterToken(t.relay.token);
    await panel.waitStatus('connected');

    const first = await pageSentiero(b);
    assert.equal(first.relay, t.base);
    assert.equal(await panel.sessionId(), first.sessionId, 'the panel shows the inspected page\'s own session');

    // What the test does in the page shows up in the panel, live: events, and the replayed page.
    const before = await waitFor(async () => (await panel.events()) || undefined, { what: 'the backlog in the panel' });
    await b.page.click('#suggest');
    await b.page.click('#suggest');
    await waitFor(async () => (await panel.events()) > before, { timeoutMs: 30_000, what: 'live events in the panel' });
    await waitFor(async () => /Book the team lunch/.test(await panel.replayed()), { timeoutMs: 30_000, what: 'the clicks replayed live in the viewer' });

    // A reload: same tab, same session; the panel stays on it and keeps receiving it live.
    await b.page.reload();
    const after = await pageSentiero(b);
    assert.equal(after.sessionId, first.sessionId);
    assert.equal(after.windowId, first.windowId);
    const beforeClicks = await panel.events();
    for (let i = 0; i < 3; i++) await b.page.click('#suggest');
    await waitFor(async () => (await panel.events()) > beforeClicks, { timeoutMs: 30_000, what: 'events after the reload' });
    await waitFor(async () => /Review the pull request/.test(await panel.replayed()), { timeoutMs: 30_000, what: 'the reloaded page replayed live' });
    assert.equal(await panel.status(), 'connected');
    assert.equal(await panel.sessionId(), first.sessionId, 'the panel followed the reload in the same session');

    // An error thrown in the page appears in the panel's list, with its frames.
    await b.page.click('#boom');
    const errors = await waitFor(async () => { const e = await panel.errors(); return e.length ? e : undefined; }, { timeoutMs: 30_000, what: 'the error in the panel' });
    assert.equal(errors[0]!.name, 'TypeError');
    assert.match(errors[0]!.message, /items/);
    assert.ok(errors[0]!.frames.some((f) => f.startsWith(`${t!.origin}/`)), `a frame of the app: ${errors[0]!.frames.join(', ')}`);
    // Listed source-mapped, as the dashboard and VS Code show it, with the minified position beside it.
    const labels = await b.panel<string[]>('[...document.querySelector("#sp-error-list .sp-frames li").querySelectorAll(".sp-frame")].map((f) => f.textContent)');
    assert.match(labels[0]!, /^app\.js:\d+:\d+$/, `the original first: ${labels.join(' ')}`);
    assert.match(labels[1]!, /^app\.min\.js:1:\d+$/, `the running one beside it: ${labels.join(' ')}`);
    await shot(b, 'devtools-chromium.png');

    // Its first frame opens in DevTools' Sources panel: the page does not serve the original, so on the script that threw.
    const frameUrl = await b.panel<string>('document.querySelector("#sp-error-list button.sp-frame").dataset.url');
    await b.panel('document.querySelector("#sp-error-list button.sp-frame").click()');
    const shown = await waitFor(() => b!.frontend<{ tab: string; url: string } | null>(`(async () => {
      const L = await import('./ui/legacy/legacy.js');
      const S = await import('./panels/sources/sources.js');
      const view = S.SourcesPanel.SourcesPanel.instance().visibleView;
      const tab = L.InspectorView.InspectorView.instance().tabbedPane.selectedTabId;
      return tab === 'sources' && view && view.uiSourceCode ? { tab, url: view.uiSourceCode().url() } : null; })()`), { timeoutMs: 30_000, what: 'the Sources panel' });
    assert.equal(shown.url, frameUrl);
  });

  it('says when the page has no recorder, then follows a navigation to a recorded page', async () => {
    t = await startDemo();
    const plain = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>No recorder</title><h1>A page without Sentiero</h1>');
    });
    servers.push(plain);
    const port = await listen(plain);
    b = await launchWithDevTools(CHROME_DIST);
    const panel = panelOf(b);
    await b.page.goto(`http://127.0.0.1:${port}/`);
    await b.openPanel();
    await panel.waitStatus('no-recorder');
    assert.match(await panel.notice(), /This page has no Sentiero recorder/);
    await shot(b, 'devtools-chromium-no-recorder.png');

    await b.page.goto(`${t.origin}/`);
    await panel.waitStatus('need-token');
    await panel.enterToken(t.relay.token);
    await panel.waitStatus('connected');
    assert.equal(await panel.sessionId(), (await pageSentiero(b)).sessionId);
  });

  it('says when the relay is down, and comes back when it is up again', async () => {
    t = await startDemo();
    b = await launchWithDevTools(CHROME_DIST);
    const panel = panelOf(b);
    await b.page.goto(`${t.origin}/`);
    await b.openPanel();
    await panel.waitStatus('need-token');
    await panel.enterToken(t.relay.token);
    await panel.waitStatus('connected');
    const { sessionId } = await pageSentiero(b);

    const { port, relay: { token } } = t;
    // The relay first (it closes its sockets), then the server: the server waits for upgraded sockets.
    await t.relay.close();
    await t.close();
    t = undefined;
    await panel.waitStatus('unreachable', 60_000);
    assert.match(await panel.notice(), new RegExp(`Cannot reach the relay at http://127\\.0\\.0\\.1:${port}/sentiero`));
    await shot(b, 'devtools-chromium-unreachable.png');

    // The same relay comes back on the same port (a new, empty store): the panel reconnects by itself.
    const relay = createRelay({ store: new MemoryStore(), token, ingestKey: 'test_ingest_key_0123456789' });
    const server = createServer((_req, res) => { res.writeHead(404); res.end(); });
    relay.attach(server);
    await relay.ready;
    servers.push(server);
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
    try {
      await panel.waitStatus('connected', 60_000);
      assert.equal(await panel.sessionId(), sessionId);
    } finally {
      server.closeAllConnections();
      await relay.close();
    }
  });

  it('says when the token is wrong (one saved on the options page), and takes the right one in the panel', async () => {
    t = await startDemo();
    b = await launchWithDevTools(CHROME_DIST);
    const panel = panelOf(b);
    await b.page.goto(`${t.origin}/`);
    await b.openPanel();
    await panel.waitStatus('need-token');

    // The options page saves a wrong token for this origin; the panel hears it and tries it.
    const options = await b.context.newPage();
    await options.goto(`chrome-extension://${b.extensionId}/options.html`);
    await options.fill('#origin', t.origin);
    await options.fill('#token', 'not-the-token-0123456789');
    await options.click('#add button[type=submit]');
    await options.waitForSelector(`#origins td:text-is("${t.origin}")`);
    await waitFor(async () => /refused the viewer token/.test(await panel.notice()), { timeoutMs: 30_000, what: 'the refused token notice' });
    assert.equal(await panel.status(), 'need-token');
    await shot(b, 'devtools-chromium-wrong-token.png');

    await panel.enterToken(t.relay.token);
    await panel.waitStatus('connected');
    assert.equal(await panel.sessionId(), (await pageSentiero(b)).sessionId);
    // "All sessions" shows the relay's list in the viewer; "Back to this page" returns to the page's session.
    assert.equal(await b.panel<boolean>('document.getElementById("sp-follow").hidden'), true);
    await b.panel('document.getElementById("sp-sessions").click()');
    await b.waitInPanel('!document.getElementById("sp-follow").hidden', 'the "Back to this page" button');
    await b.panel('document.getElementById("sp-follow").click()');
    await b.waitInPanel('document.getElementById("sp-follow").hidden', 'following the page again');

    // The options page shows the token the panel saved (its last four characters).
    await options.waitForSelector(`#origins td.masked:text-matches("${t.relay.token.slice(-4)}$")`);
    await options.close();
  });
});
