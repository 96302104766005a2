/**
 * Captured assets, end to end: real Chromium records a page of the app's own origin (a
 * stylesheet with an `@import`ed one, a web font, images) and a stylesheet from another origin
 * that sends no CORS header, through a real relay into a real LevelDB. The relay keeps copies;
 * the site then changes and then deletes its stylesheets, font and images, and the dashboard's
 * replay still shows the computed styles and the font the live page had. The relay refuses to
 * fetch from 127.0.0.1 on a port that is not allowlisted and from private and metadata
 * addresses named in a recording: that server sees no request, and the refusal is recorded
 * and logged with its code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, playedToEnd } from './helpers/browser.ts';
import { listen, waitFor } from './helpers/net.ts';
import { type TestRelay, startRelay } from './helpers/relay.ts';
import { waitEnded } from '../viewer/test/helpers.ts';

const FONTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fonts');
const FONT_V1 = readFileSync(path.join(FONTS, 'open-sans-regular.woff2'));
const FONT_V2 = readFileSync(path.join(FONTS, 'source-code-pro-500.woff2'));
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** The site's stylesheets as deployed: version 1 is recorded; version 2 is a later deploy. */
const CSS = {
  1: {
    main: '@import "/base.css"; @font-face { font-family: Capt; src: url(/capt.woff2) format("woff2"); } #title { color: rgb(200, 10, 10); } #sample { font: 24px Capt, monospace; display: inline-block; }',
    base: '#box { width: 123px; height: 45px; background: url(/bg.png); }',
  },
  2: {
    main: '@import "/base.css"; @font-face { font-family: Capt; src: url(/capt.woff2) format("woff2"); } #title { color: rgb(0, 0, 255); } #sample { font: 30px Capt, monospace; display: inline-block; }',
    base: '#box { width: 300px; height: 10px; }',
  },
} as const;

function sitePage(relayBase: string, crossOrigin: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Captured</title>
<link rel="stylesheet" href="/main.css">
<link rel="stylesheet" href="${crossOrigin}/cross.css">
</head><body>
<h1 id="title">Title</h1>
<span id="sample">Wide glyphs mmmm iiii</span>
<div id="box"></div>
<div id="cross">cross-origin</div>
<img id="logo" src="/logo.png" alt="">
<script src="${relayBase}/recorder.js"></script>
<script>Sentiero.start({ relay: ${JSON.stringify(relayBase)} });</script>
</body></html>`;
}

/** What the test compares between the live page and its replay. */
interface Looks {
  color: string;
  box: string;
  sampleWidth: number;
  fontLoaded: boolean;
  crossMargin: string;
  crossBorder: string;
  crossPadding: string;
  logoWidth: number;
}

/** Reads the looks of the document in `page` (or of the replay's iframe, `frame`), once its fonts are loaded. */
function looks(page: Page, frame?: string): Promise<Looks> {
  return page.evaluate(async (sel) => {
    const doc = sel ? document.querySelector<HTMLIFrameElement>(sel)!.contentDocument! : document;
    const win = doc.defaultView!;
    await doc.fonts.ready;
    const [title, box, cross] = ['title', 'box', 'cross'].map((id) => win.getComputedStyle(doc.getElementById(id)!));
    return {
      color: title!.color,
      box: `${box!.width} x ${box!.height}`,
      sampleWidth: Math.round(doc.getElementById('sample')!.getBoundingClientRect().width),
      fontLoaded: [...doc.fonts].some((f) => f.family.replace(/"/g, '') === 'Capt' && f.status === 'loaded'),
      crossMargin: cross!.marginLeft,
      crossBorder: `${cross!.borderTopWidth} ${cross!.borderTopColor}`,
      crossPadding: cross!.paddingTop,
      logoWidth: (doc.getElementById('logo') as HTMLImageElement).naturalWidth,
    };
  }, frame);
}

describe('captured assets in real Chromium', function () {
  this.timeout(240_000);
  let browser: Browser;
  let t: TestRelay;
  let site: Server;
  let cross: Server;
  let other: Server;
  let siteOrigin = '';
  let crossOrigin = '';
  let otherOrigin = '';
  /** What the site serves: the recorded version, a later deploy, or nothing but the page. */
  let deployed: 1 | 2 | 'gone' = 1;
  const otherRequests: string[] = [];
  const warnings: string[] = [];
  let sessionId = '';
  let live: Looks;

  before(async () => {
    browser = await launchChromium();
    let relayBase = '';
    site = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      if (url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(sitePage(relayBase, crossOrigin));
      }
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      };
      if (deployed !== 'gone') {
        if (url === '/main.css') return send('text/css', CSS[deployed].main);
        if (url === '/base.css') return send('text/css', CSS[deployed].base);
        if (url === '/capt.woff2') return send('font/woff2', deployed === 1 ? FONT_V1 : FONT_V2);
        if (url.endsWith('.png')) return send('image/png', PNG);
      }
      res.writeHead(404);
      res.end();
    });
    // Another origin, no CORS header: the page can use its stylesheet, but cannot read its rules (so the recording has only its URL).
    cross = createServer((req, res) => {
      if (req.url === '/cross.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('@import "imported.css"; #cross { margin-left: 37px; border-top: 3px solid rgb(1, 2, 3); }');
      }
      if (req.url === '/imported.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('#cross { padding-top: 11px; background-image: url(dot.png); }');
      }
      if (req.url === '/dot.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(PNG);
      }
      res.writeHead(404);
      res.end();
    });
    // 127.0.0.1 on a port nobody allowlisted: the relay must never connect to it.
    other = createServer((req, res) => {
      otherRequests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    });
    siteOrigin = `http://127.0.0.1:${await listen(site)}`;
    crossOrigin = `http://127.0.0.1:${await listen(cross)}`;
    otherOrigin = `http://127.0.0.1:${await listen(other)}`;
    t = await startRelay({
      limits: { liveGraceMs: 1000 },
      allowedOrigins: [siteOrigin],
      captureAssets: { allowOrigins: [crossOrigin] },
      // The live proxy may reach the site (so a replay that did not use the captured copies would show the new deploy), but not the other origin.
      assetProxy: { allowPrivateOrigins: [siteOrigin] },
      logger: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    relayBase = t.base;

    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(`${siteOrigin}/`);
    sessionId = (await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' })).sessionId;
    live = await looks(page);
    assert.equal(live.fontLoaded, true, 'the live page uses the web font');
    assert.equal(live.crossMargin, '37px', 'the live page uses the cross-origin stylesheet');
    assert.equal(live.crossPadding, '11px', 'and what it imports');
    await page.waitForTimeout(1000);
    await context.close();
    await waitEnded(t, sessionId);
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    for (const s of [site, cross, other]) {
      s?.closeAllConnections();
      await new Promise((r) => s?.close(r));
    }
  });

  /** The session's captured URLs, once those expected are there. */
  async function captured(id: string, urls: string[]): Promise<Map<string, { hash?: string; error?: string }>> {
    return waitFor(async () => {
      const refs = new Map((await t.relay.store.listAssetRefs(id)).map((r) => [r.url, r]));
      return urls.every((u) => refs.has(u)) ? refs : undefined;
    }, { what: `the captured assets of ${id}`, timeoutMs: 30_000 });
  }

  /** Replays the session in the dashboard and reads its looks. */
  async function replayed(): Promise<Looks> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${t.base}/#token=${encodeURIComponent(t.relay.token)}`);
    await page.waitForSelector('.sv-app');
    await page.evaluate((id) => { location.hash = `#/sessions/${id}`; }, sessionId);
    await playedToEnd(page);
    await page.waitForTimeout(500);
    const seen = await looks(page, '.sv-replay iframe');
    await context.close();
    return seen;
  }

  it('keeps the stylesheet the recording names by URL, what it @imports, the font and the images, once each, content-addressed', async () => {
    // rrweb puts the text of stylesheets it can read (the site's own, and what they import) in the recording: of those, the
    // recording names only the URLs inside (the font, the background). A cross-origin stylesheet it cannot read is named by URL.
    const refs = await captured(sessionId, [
      ...['/capt.woff2', '/bg.png', '/logo.png'].map((p) => `${siteOrigin}${p}`),
      ...['/cross.css', '/imported.css', '/dot.png'].map((p) => `${crossOrigin}${p}`),
    ]);
    for (const [url, ref] of refs) assert.ok(ref.hash, `${url} was captured: ${ref.error ?? ''}`);
    const font = await t.relay.store.getAsset(refs.get(`${siteOrigin}/capt.woff2`)!.hash!);
    assert.equal(font?.type, 'font/woff2');
    assert.deepEqual(Buffer.from(font!.body), FONT_V1);
    assert.equal(refs.get(`${siteOrigin}/bg.png`)!.hash, refs.get(`${siteOrigin}/logo.png`)!.hash, 'the same bytes are kept once');
  });

  it('replays with the styles and the font the page had after the site changed them, and after it deleted them', async () => {
    deployed = 2;
    const afterChange = await replayed();
    assert.deepEqual(afterChange, live, 'after a deploy that changed the CSS and the font');
    deployed = 'gone';
    const afterDelete = await replayed();
    assert.deepEqual(afterDelete, live, 'after the CSS, the font and the images were deleted');
  });

  it('styles the replay with a cross-origin stylesheet that sends no CORS header', async () => {
    const seen = await replayed();
    assert.equal(seen.crossMargin, '37px');
    assert.equal(seen.crossBorder, '3px rgb(1, 2, 3)');
    assert.equal(seen.crossPadding, '11px', 'with what it @imports');
  });

  it('refuses 127.0.0.1 on another port and private or metadata addresses: no request, the refusal recorded and logged with its code', async () => {
    const id = 'captured-refusal-1';
    const urls = [`${otherOrigin}/secret.png`, `${otherOrigin}/in-css.png`, 'http://10.1.2.3/x.css', 'http://169.254.169.254/latest/meta-data.png'];
    const events = [
      { type: 4, timestamp: 1_700_000_000_000, data: { href: `${siteOrigin}/`, width: 800, height: 600 } },
      { type: 2, timestamp: 1_700_000_000_001, data: { initialOffset: { top: 0, left: 0 }, node: { type: 0, id: 1, childNodes: [
        { type: 2, id: 2, tagName: 'html', attributes: {}, childNodes: [
          { type: 2, id: 3, tagName: 'head', attributes: {}, childNodes: [{ type: 2, id: 4, tagName: 'link', attributes: { rel: 'stylesheet', href: urls[2] }, childNodes: [] }] },
          { type: 2, id: 5, tagName: 'body', attributes: { style: `background: url(${urls[1]})` }, childNodes: [
            { type: 2, id: 6, tagName: 'img', attributes: { src: urls[0] }, childNodes: [] },
            { type: 2, id: 7, tagName: 'img', attributes: { src: urls[3] }, childNodes: [] },
          ] },
        ] },
      ] } } },
    ];
    const res = await fetch(`${t.base}/ingest`, {
      method: 'POST',
      body: JSON.stringify({ sessionId: id, windowId: 'w1', seq: 1, events, meta: { url: `${siteOrigin}/`, userAgent: 'test', startedAt: 1_700_000_000_000 } }),
    });
    assert.equal(res.status, 200);
    const refs = await captured(id, urls);
    for (const url of urls) assert.deepEqual([url, refs.get(url)?.error], [url, 'SENTIERO_FORBIDDEN']);
    assert.deepEqual(otherRequests, [], 'the server on the other port saw no request');
    for (const host of [otherOrigin, 'http://10.1.2.3', 'http://169.254.169.254']) {
      assert.ok(warnings.some((w) => w.includes(host) && w.includes('SENTIERO_FORBIDDEN')), `the refusal of ${host} is logged with its code: ${warnings.join(' | ')}`);
    }
    // The replay's proxy has no copy to serve, and refuses to fetch them live too.
    const key = ((await (await t.api('/api/assets/policy')).json()) as { key: string }).key;
    for (const url of urls) {
      const proxied = await fetch(`${t.base}/api/assets?k=${encodeURIComponent(key)}&s=${id}&url=${encodeURIComponent(url)}`);
      assert.equal(proxied.status, 403, url);
    }
    assert.deepEqual(otherRequests, []);
  });
});
