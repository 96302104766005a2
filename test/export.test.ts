/**
 * HTML export and viewer privacy, end to end in real Chromium: a page of its own origin (with a
 * stylesheet, an image, a font and script payloads in its text, attributes and URLs) is recorded
 * through a real relay into a real LevelDB; its export replays from disk with every request
 * refused to the same DOM the page had, runs none of the payloads, and a replay in the dashboard
 * makes no request to the recorded site (its assets come through the relay's proxy).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, playedToEnd } from './helpers/browser.ts';
import { listen, waitFor } from './helpers/net.ts';
import { type TestRelay, startRelay } from './helpers/relay.ts';

/** Sets `pwned` wherever it runs (the page, the viewer, the replay's iframe) and opens a dialog. */
const RUN = "window.pwned=1;try{window.top.pwned=1}catch(e){};alert('pwned')";
const PAYLOAD_TEXT = `</script><script>${RUN}</script> <!-- \u2028 \u2029 </style> ]]> `;
const PAYLOAD_ATTR = `"></div></script><script>${RUN}</script><!--\u2028`;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** The recorded site's page: its own stylesheet, image and font, and the payloads, all set as data (inert in the page too). */
function sitePage(relayBase: string): string {
  const js = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<link rel="stylesheet" href="/site.css">
<style>@font-face { font-family: Site; src: url(/site.woff2) format("woff2"); } #content { font-family: Site, sans-serif; } .hero { background-image: url("/hero.png"); min-height: 20px; }</style>
</head><body>
<div id="content">
  <h1 id="title">Welcome</h1>
  <div class="hero"></div>
  <img id="logo" src="/logo.png" srcset="/logo.png 1x, /logo-2x.png 2x" alt="logo" width="10" height="10">
  <a id="js" href="javascript:${RUN}">Pay</a>
  <img id="jsimg" src="javascript:${RUN}" alt="">
  <p id="payload"></p>
  <div id="attr">attributes</div>
  <ul id="list"></ul>
  <button id="add" type="button">Add</button>
</div>
<script src="${relayBase}/recorder.js"></script>
<script>
  Sentiero.start({ relay: ${js(relayBase)} });
  document.getElementById('payload').textContent = ${js(PAYLOAD_TEXT)};
  document.getElementById('attr').setAttribute('data-x', ${js(PAYLOAD_ATTR)});
  document.getElementById('attr').setAttribute('title', ${js(PAYLOAD_TEXT)});
  let n = 0;
  document.getElementById('add').addEventListener('click', () => {
    const li = document.createElement('li');
    li.textContent = 'item ' + (++n) + ' ' + ${js(PAYLOAD_TEXT)};
    li.setAttribute('data-href', 'javascript:' + ${js(RUN)});
    document.getElementById('list').append(li);
  });
  Sentiero.addEvent(${js(PAYLOAD_TEXT)}, { html: ${js(PAYLOAD_ATTR)}, url: ${js(`javascript:${RUN}`)} });
</script></body></html>`;
}

/** What the live page showed at the end, to compare the replay with. */
interface Shown { title: string; payload: string; list: string[]; dataX: string | null; attrTitle: string | null }

function shown(page: Page, frame?: string): Promise<Shown> {
  return page.evaluate((sel) => {
    const doc = sel ? document.querySelector<HTMLIFrameElement>(sel)!.contentDocument! : document;
    return {
      title: doc.getElementById('title')!.textContent!,
      payload: doc.getElementById('payload')!.textContent!,
      list: [...doc.querySelectorAll('#list li')].map((li) => li.textContent!),
      dataX: doc.getElementById('attr')!.getAttribute('data-x'),
      attrTitle: doc.getElementById('attr')!.getAttribute('title'),
    };
  }, frame);
}

describe('HTML export and viewer privacy in real Chromium', function () {
  this.timeout(240_000);
  let browser: Browser;
  let t: TestRelay;
  let site: Server;
  let siteOrigin = '';
  /** Requests the recorded site got: path and user agent. */
  const siteLog: Array<{ url: string; ua: string }> = [];
  let sessionId = '';
  let live: Shown;
  const tmp = mkdtempSync(path.join(tmpdir(), 'sentiero-export-'));

  before(async () => {
    browser = await launchChromium();
    let relayBase = '';
    site = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      siteLog.push({ url, ua: String(req.headers['user-agent'] ?? '') });
      if (url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(sitePage(relayBase));
      }
      if (url === '/site.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('@import "/more.css"; #title { background: url(card.png) no-repeat; }');
      }
      if (url === '/more.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('#list { list-style-image: url("/bullet.png"); }');
      }
      if (url.endsWith('.png')) {
        res.writeHead(200, { 'content-type': 'image/png', 'set-cookie': 'tracker=1' });
        return res.end(PNG);
      }
      if (url.endsWith('.woff2')) {
        res.writeHead(200, { 'content-type': 'font/woff2' });
        return res.end(Buffer.alloc(64));
      }
      res.writeHead(404);
      res.end();
    });
    siteOrigin = `http://127.0.0.1:${await listen(site)}`;
    t = await startRelay({
      limits: { liveGraceMs: 1000 },
      allowedOrigins: [siteOrigin],
      // The recorded site is on this machine: the proxy may fetch from it because it is allowlisted (and only then; see relay/test/asset-proxy.test.ts).
      assetProxy: { allowPrivateOrigins: [siteOrigin] },
    });
    relayBase = t.base;

    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(`${siteOrigin}/`);
    sessionId = (await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' })).sessionId;
    for (let i = 0; i < 3; i++) {
      await page.click('#add');
      await page.waitForTimeout(150);
    }
    await page.waitForTimeout(1500);
    live = await shown(page);
    assert.equal(live.list.length, 3);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'the payloads are inert in the page itself');
    await context.close();
    await waitFor(async () => {
      const res = await t.api(`/api/sessions/${sessionId}`);
      return res.status === 200 && !((await res.json()) as { live: boolean }).live;
    }, { what: 'the session to end', timeoutMs: 40_000 });
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    site?.closeAllConnections();
    await new Promise((r) => site?.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Downloads the export to a file and returns its path and text. */
  async function exportFile(): Promise<{ file: string; html: string; res: Response }> {
    const res = await t.api(`/api/sessions/${sessionId}/export.html`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const file = path.join(tmp, `export-${Date.now()}.html`);
    writeFileSync(file, html);
    return { file, html, res };
  }

  /** Opens the export from disk in a context that refuses every request and has no network. */
  async function openOffline(file: string): Promise<{ page: Page; context: BrowserContext; requests: string[]; dialogs: string[] }> {
    const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 800 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    context.on('request', (r) => { if (!/^(file|data|blob|about):/.test(r.url())) requests.push(r.url()); });
    context.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await context.route((url) => url.protocol !== 'file:', (route) => route.abort());
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    return { page, context, requests, dialogs };
  }

  it('exports one file that replays offline, with no token and no network, to the DOM the page had', async () => {
    const { file, html, res } = await exportFile();
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="sentiero-${sessionId}.html"`);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+';[^"]*connect-src 'none'/);
    assert.equal((await t.api(`/api/sessions/${sessionId}/export.html`, { token: null })).status, 401, 'the export needs the viewer token');

    const { page, context, requests, dialogs } = await openOffline(file);
    await playedToEnd(page);
    assert.deepEqual(await shown(page, '.sv-replay iframe'), live, 'the replay ends on the DOM the page had');
    assert.equal(await page.locator('[data-action="download"]').count(), 0, 'an export has no download button');
    assert.deepEqual(requests, [], 'the export made no request');
    assert.deepEqual(dialogs, []);
    await context.close();
  });

  it('runs none of the recorded payloads: text, attributes, URLs, event names', async () => {
    const { file, html } = await exportFile();
    // Nothing recorded is in the file as markup or script: the data is base64 only.
    assert.ok(!html.includes('pwned'), 'no recorded text appears raw in the file');
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [' type="application/octet-stream" id="sentiero-session"', ' type="application/octet-stream" id="sentiero-events"', ''], 'two inert data elements and the player');

    const { page, context, requests, dialogs } = await openOffline(file);
    const violations: string[] = [];
    await page.exposeFunction('__violation', (v: string) => violations.push(v));
    await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __violation(v: string): void }).__violation(`${e.violatedDirective} ${e.blockedURI}`)));
    await playedToEnd(page);
    // The recorded javascript: link, clicked inside the replay, and the custom event opened in the sidebar.
    await page.evaluate(() => (document.querySelector<HTMLIFrameElement>('.sv-replay iframe')?.contentDocument?.getElementById('js') as HTMLAnchorElement | null)?.click());
    const entry = page.locator('.sv-entry[data-kind="custom"]');
    const ws = (v: string | null) => (v ?? '').replace(/\s+/g, ' ').trim();
    assert.equal(ws(await entry.locator('.sv-entry-label').textContent()), ws(PAYLOAD_TEXT), 'the event name is shown as text');
    await entry.locator('.sv-entry-main').click();
    await page.waitForTimeout(1000);

    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'nothing ran in the page');
    assert.equal(await page.evaluate(() => (document.querySelector<HTMLIFrameElement>('.sv-replay iframe')!.contentWindow as unknown as { pwned?: number }).pwned), undefined, 'nothing ran in the replay');
    assert.deepEqual(dialogs, [], 'no dialog');
    assert.deepEqual(requests, [], 'no request');
    assert.equal(await page.$$eval('script', (els) => els.length), 3, 'no script element was added to the page');
    assert.deepEqual(violations.filter((v) => v.startsWith('script-src')), [], 'nothing even tried to run a script');
    assert.equal((await shown(page, '.sv-replay iframe')).payload, PAYLOAD_TEXT, 'the payload is replayed as text');
    await context.close();
  });

  it('replays in the dashboard with no request to the recorded site: its assets come through the relay', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, acceptDownloads: true });
    const requests: string[] = [];
    context.on('request', (r) => { if (!/^(data|blob|about):/.test(r.url())) requests.push(r.url()); });
    const page = await context.newPage();
    await page.goto(`${t.base}/#token=${encodeURIComponent(t.relay.token)}`);
    await page.waitForSelector('.sv-app');
    siteLog.length = 0;
    await page.evaluate((id) => { location.hash = `#/sessions/${id}`; }, sessionId);
    await playedToEnd(page);
    await page.waitForTimeout(500);

    assert.ok(requests.length > 0);
    assert.deepEqual(requests.filter((u) => !u.startsWith(`${t.origin}/`)), [], 'every request of the dashboard goes to the relay');
    const proxied = requests.filter((u) => u.startsWith(`${t.base}/api/assets?`)).map((u) => new URL(u).searchParams.get('url'));
    for (const asset of ['/logo.png', '/hero.png', '/site.woff2']) assert.ok(proxied.includes(`${siteOrigin}${asset}`), `${asset} came through the proxy: ${proxied.join(' ')}`);
    assert.ok(proxied.length > 0 && requests.filter((u) => u.startsWith(`${t.base}/api/assets?`)).every((u) => new URL(u).searchParams.get('s') === sessionId), 'the asset URLs name the session, whose captured copies the relay serves first');
    assert.deepEqual(siteLog.filter((r) => r.ua !== 'Sentiero-asset-proxy/1'), [], 'the recorded site saw only the relay, never the viewer\'s browser');
    assert.ok(siteLog.every((r) => r.url !== '/'), 'the page itself was never fetched');

    // The CSP is the backstop: an asset URL the rewriting missed is refused by the browser, not fetched from the site.
    await page.evaluate((origin) => {
      const doc = document.querySelector<HTMLIFrameElement>('.sv-replay iframe')!.contentDocument!;
      const img = doc.createElement('img');
      img.src = `${origin}/direct.png`;
      doc.body.append(img);
      const style = doc.createElement('style');
      style.textContent = `body { background: url(${origin}/direct-bg.png); }`;
      doc.head.append(style);
    }, siteOrigin);
    await page.waitForTimeout(1000);
    assert.deepEqual(siteLog.filter((r) => r.url.startsWith('/direct')), [], 'the dashboard\'s CSP refused the direct loads');

    // "Download replay" saves the export.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="download"]')]);
    assert.equal(download.suggestedFilename(), `sentiero-${sessionId}.html`);
    const saved = readFileSync((await download.path())!, 'utf8');
    assert.match(saved, /^<!doctype html>[\s\S]*id="sentiero-events">[A-Za-z0-9+/=]+<\/script>[\s\S]*<\/html>\n$/);
    await context.close();
  });
});
