/**
 * Captured assets in the relay, against real servers on 127.0.0.1 and a real LevelDB: what is
 * fetched (the app's own origins and the allowlist only, redirects checked again), what is kept
 * per session, the caps, failures recorded once and never retried, copies reused across
 * sessions for a while, erasure, and the captured copy served before the live proxy.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { listen, waitFor } from '../../test/helpers/net.ts';
import { type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { DEFAULT_CAPTURE_ASSETS, type RelayOptions, resolveOptions } from '../src/options.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

describe('captured assets: options', () => {
  it('is on by default, with no other origin, 5 MB, 200 URLs a session, 4 at once, 10 s and a minute of reuse', () => {
    assert.deepEqual(resolveOptions({}).captureAssets, { enabled: true, allowOrigins: [], maxBytes: 5_000_000, maxPerSession: 200, concurrency: 4, timeoutMs: 10_000, reuseMs: 60_000 });
    assert.deepEqual(resolveOptions({}).captureAssets, DEFAULT_CAPTURE_ASSETS);
    assert.equal(resolveOptions({ captureAssets: false }).captureAssets.enabled, false);
    assert.deepEqual(resolveOptions({ captureAssets: { allowOrigins: ['https://CDN.example:443/'] } }).captureAssets.allowOrigins, ['https://cdn.example']);
  });

  it('refuses a wrong value with a TypeError that names it', () => {
    assert.throws(() => resolveOptions({ captureAssets: 'yes' as never }), { name: 'TypeError', message: /"captureAssets"/ });
    assert.throws(() => resolveOptions({ captureAssets: { allowOrigins: ['https://cdn.example/path'] } }), { name: 'TypeError', message: /captureAssets\.allowOrigins/ });
    assert.throws(() => resolveOptions({ captureAssets: { concurrency: 0 } }), { name: 'TypeError', message: /captureAssets\.concurrency/ });
    assert.throws(() => resolveOptions({ captureAssets: { enabled: 1 as never } }), { name: 'TypeError', message: /captureAssets\.enabled/ });
    assert.throws(() => resolveOptions({ captureAssets: { origins: [] } as never }), { name: 'TypeError', message: /origins/ });
  });
});

describe('captured assets: against real servers', function () {
  this.timeout(60_000);
  let site: Server;
  let elsewhere: Server;
  let siteOrigin = '';
  let elsewhereOrigin = '';
  const siteHits: string[] = [];
  const elsewhereHits: string[] = [];
  let relays: TestRelay[] = [];

  before(async () => {
    site = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      siteHits.push(url);
      if (url === '/a.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('@import "b.css"; .a { background: url(a.png) }');
      }
      if (url === '/b.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('@import "c.css"; .b { color: red }');
      }
      if (url === '/c.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('@import "d.css"; .c { color: blue }');
      }
      if (url === '/d.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('.d { background: url(too-deep.png) }');
      }
      if (url === '/away.png') {
        res.writeHead(302, { location: `${elsewhereOrigin}/moved.png` });
        return res.end();
      }
      if (url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<p>not an asset</p>');
      }
      if (url.endsWith('.png')) {
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(PNG);
      }
      res.writeHead(404);
      res.end();
    });
    elsewhere = createServer((req, res) => {
      elsewhereHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    });
    siteOrigin = `http://127.0.0.1:${await listen(site)}`;
    elsewhereOrigin = `http://127.0.0.1:${await listen(elsewhere)}`;
  });

  afterEach(async () => {
    await Promise.all(relays.map((r) => r.close()));
    relays = [];
    siteHits.length = 0;
    elsewhereHits.length = 0;
  });

  after(async () => {
    for (const s of [site, elsewhere]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  async function relay(options: RelayOptions = {}): Promise<TestRelay> {
    const t = await startRelay({ allowedOrigins: [siteOrigin], ...options });
    relays.push(t);
    return t;
  }

  /** Sends one batch whose full snapshot names `srcs` as images and `hrefs` as stylesheets. */
  async function record(t: TestRelay, sessionId: string, seq: number, { srcs = [] as string[], hrefs = [] as string[] }): Promise<void> {
    let id = 10;
    const events = [
      { type: 4, timestamp: 1_700_000_000_000 + seq, data: { href: `${siteOrigin}/`, width: 800, height: 600 } },
      { type: 2, timestamp: 1_700_000_000_001 + seq, data: { initialOffset: { top: 0, left: 0 }, node: { type: 0, id: 1, childNodes: [
        { type: 2, id: 2, tagName: 'html', attributes: {}, childNodes: [
          ...hrefs.map((href) => ({ type: 2, id: id++, tagName: 'link', attributes: { rel: 'stylesheet', href }, childNodes: [] })),
          ...srcs.map((src) => ({ type: 2, id: id++, tagName: 'img', attributes: { src }, childNodes: [] })),
        ] },
      ] } } },
    ];
    const res = await fetch(`${t.base}/ingest`, {
      method: 'POST',
      body: JSON.stringify({ sessionId, windowId: 'w1', seq, events, meta: { url: `${siteOrigin}/`, userAgent: 'test', startedAt: 1_700_000_000_000 } }),
    });
    assert.equal(res.status, 200);
  }

  async function refsOf(t: TestRelay, sessionId: string, count: number) {
    return waitFor(async () => {
      const refs = await t.relay.store.listAssetRefs(sessionId);
      return refs.length >= count ? new Map(refs.map((r) => [r.url.slice(r.url.indexOf('/', 8)), r.hash ? 'kept' : r.error])) : undefined;
    }, { what: `${count} refs of ${sessionId}` });
  }

  it('follows @import and url() of fetched stylesheets to a depth, refuses what is not an asset and a redirect to another origin', async () => {
    const t = await relay();
    await record(t, 's1', 1, { hrefs: ['/a.css'], srcs: ['/away.png', '/page.html', '/missing.jpg'] });
    const refs = await refsOf(t, 's1', 8);
    assert.deepEqual(Object.fromEntries(refs), {
      '/a.css': 'kept', '/a.png': 'kept', '/b.css': 'kept', '/c.css': 'kept', '/d.css': 'kept',
      '/away.png': 'SENTIERO_FORBIDDEN', '/page.html': 'SENTIERO_ASSET_FAILED', '/missing.jpg': 'SENTIERO_ASSET_FAILED',
    });
    assert.ok(!siteHits.includes('/too-deep.png'), 'the URLs of a stylesheet three imports deep are not followed');
    assert.deepEqual(elsewhereHits, [], 'the redirect to another origin was not followed');
  });

  it('records a failure once and never retries it; caps the URLs of a session', async () => {
    const t = await relay({ captureAssets: { maxPerSession: 3 } });
    await record(t, 's1', 1, { srcs: ['/missing.jpg'] });
    await refsOf(t, 's1', 1);
    await record(t, 's1', 2, { srcs: ['/missing.jpg', '/1.png', '/2.png', '/3.png', '/4.png'] });
    const refs = await refsOf(t, 's1', 3);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(siteHits.filter((u) => u === '/missing.jpg').length, 1, 'fetched once');
    assert.deepEqual([...refs.keys()].sort(), ['/1.png', '/2.png', '/missing.jpg']);
    assert.equal((await t.relay.store.listAssetRefs('s1')).length, 3);
  });

  it('reuses a fresh copy for another session instead of fetching it again, and fetches again once reuseMs is over', async () => {
    const t = await relay({ captureAssets: { reuseMs: 60_000 } });
    await record(t, 's1', 1, { srcs: ['/x.png'] });
    await refsOf(t, 's1', 1);
    await record(t, 's2', 1, { srcs: ['/x.png'] });
    await refsOf(t, 's2', 1);
    assert.equal(siteHits.filter((u) => u === '/x.png').length, 1);
    const short = await relay({ captureAssets: { reuseMs: 1 } });
    await record(short, 's1', 1, { srcs: ['/y.png'] });
    await refsOf(short, 's1', 1);
    await new Promise((r) => setTimeout(r, 10));
    await record(short, 's2', 1, { srcs: ['/y.png'] });
    await refsOf(short, 's2', 1);
    assert.equal(siteHits.filter((u) => u === '/y.png').length, 2);
  });

  it('with no allowedOrigins, captures from this server\'s own loopback origin only, never from the origin a recording claims', async () => {
    const appHits: string[] = [];
    const t = await startRelay({}, (req, res) => {
      appHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    });
    relays.push(t);
    // The recording claims to be a page of the site's origin: that makes the site no more allowed.
    await record(t, 's1', 1, { srcs: [`${t.origin}/own.png`, `${siteOrigin}/claimed.png`] });
    const refs = await refsOf(t, 's1', 2);
    assert.deepEqual(Object.fromEntries(refs), { '/own.png': 'kept', '/claimed.png': 'SENTIERO_FORBIDDEN' });
    assert.deepEqual(appHits, ['/own.png']);
    assert.ok(!siteHits.includes('/claimed.png'));
  });

  it('captures nothing when off, and erases a session with its refs', async () => {
    const off = await relay({ captureAssets: false });
    await record(off, 's1', 1, { srcs: ['/off.png'] });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await off.relay.store.listAssetRefs('s1'), []);
    assert.ok(!siteHits.includes('/off.png'));
    const t = await relay();
    await record(t, 's1', 1, { srcs: ['/on.png'] });
    await refsOf(t, 's1', 1);
    assert.equal((await t.api('/api/sessions/s1', { method: 'DELETE' })).status, 204);
    assert.deepEqual(await t.relay.store.listAssetRefs('s1'), []);
  });

  it('in block mode serves captured copies only: the policy says so, and nothing is fetched live', async () => {
    const t = await relay({ viewerAssets: 'block' });
    await record(t, 's1', 1, { srcs: ['/kept.png'] });
    await refsOf(t, 's1', 1);
    const policy = (await (await t.api('/api/assets/policy')).json()) as { mode: string; key: string; captured: boolean };
    assert.equal(policy.mode, 'block');
    assert.equal(policy.captured, true);
    const url = (u: string, s = 's1') => `${t.base}/api/assets?k=${encodeURIComponent(policy.key)}&s=${s}&url=${encodeURIComponent(`${siteOrigin}${u}`)}`;
    siteHits.length = 0;
    const copy = await fetch(url('/kept.png'));
    assert.equal(copy.status, 200);
    assert.deepEqual(Buffer.from(await copy.arrayBuffer()), PNG);
    assert.equal((await fetch(url('/kept.png', 's2'))).status, 404, 'another session has no copy');
    assert.equal((await fetch(url('/other.png'))).status, 404);
    assert.deepEqual(siteHits, [], 'nothing was fetched live');
  });

  it('serves the session\'s copy before the live proxy, CSS with its URLs through the proxy with the same session, and needs the key', async () => {
    const t = await relay({ assetProxy: { allowPrivateOrigins: [siteOrigin] } });
    await record(t, 's1', 1, { hrefs: ['/a.css'] });
    await refsOf(t, 's1', 5);
    const key = ((await (await t.api('/api/assets/policy')).json()) as { key: string }).key;
    const url = (u: string, s = 's1') => `${t.base}/api/assets?k=${encodeURIComponent(key)}&s=${s}&url=${encodeURIComponent(`${siteOrigin}${u}`)}`;
    siteHits.length = 0;
    const css = await fetch(url('/a.css'));
    assert.equal(css.status, 200);
    assert.equal(css.headers.get('x-sentiero-asset'), 'captured');
    assert.match(css.headers.get('cache-control')!, /immutable/);
    assert.match(css.headers.get('content-type')!, /^text\/css/);
    const text = await css.text();
    assert.ok(text.includes(`${t.relay.basePath}/api/assets?k=${encodeURIComponent(key)}&s=s1&url=${encodeURIComponent(`${siteOrigin}/b.css`)}`), text);
    assert.deepEqual(siteHits, [], 'the copy came from the store');
    const other = await fetch(url('/a.css', 's2'));
    assert.equal(other.headers.get('x-sentiero-asset'), 'live', 'another session has no copy: the live proxy answers');
    assert.equal((await fetch(url('/a.css').replace(/k=[^&]+/, 'k=wrong'))).status, 401, 'the key is needed');
  });
});
