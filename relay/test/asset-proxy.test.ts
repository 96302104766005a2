/**
 * The viewer's asset proxy against real servers on 127.0.0.1: it needs its key, refuses
 * loopback, private, link-local and metadata addresses (by IP and by a name that resolves to
 * one, and after a redirect), other schemes, other content types and oversize answers; it
 * sends no cookie; it fetches an allowlisted private origin and rewrites the URLs inside CSS.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { rewriteCssUrls } from '@sentiero/protocol';
import { listen } from '../../test/helpers/net.ts';
import { type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { assetKey } from '../src/asset-proxy.ts';
import { assetType, isPublicAddress } from '../src/guarded-fetch.ts';
import { resolveOptions } from '../src/options.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

describe('asset proxy: which addresses are public', () => {
  it('refuses loopback, private, link-local, metadata, multicast and reserved addresses, in IPv4 and IPv6 forms', () => {
    for (const ip of [
      '127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:7f00:1',
      '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '64:ff9b::10.0.0.1', 'ff02::1',
    ]) assert.equal(isPublicAddress(ip), false, ip);
  });

  it('lets public addresses through, and nothing that is not an IP', () => {
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(ip), true, ip);
    assert.equal(isPublicAddress('example.com'), false);
  });

  it('takes images, fonts and CSS only', () => {
    assert.equal(assetType('image/png'), 'image/png');
    assert.equal(assetType('font/woff2'), 'font/woff2');
    assert.equal(assetType('application/vnd.ms-fontobject'), 'application/vnd.ms-fontobject');
    assert.equal(assetType('text/css; charset=iso-8859-1'), 'text/css; charset=utf-8');
    for (const t of ['text/html', 'application/javascript', 'application/json', 'application/octet-stream', undefined, 'image/png" onerror']) assert.equal(assetType(t), undefined, String(t));
  });
});

describe('asset proxy: CSS URL rewriting', () => {
  const map = (u: string) => `P(${u})`;
  it('rewrites url() in every quoting, and @import strings, leaving fragments alone', () => {
    assert.equal(rewriteCssUrls('a{b:url(x.png)}', map), 'a{b:url("P(x.png)")}');
    assert.equal(rewriteCssUrls('a{b:url( "x y.png" )}', map), 'a{b:url("P(x y.png)")}');
    assert.equal(rewriteCssUrls("a{b:URL('x.png')}", map), 'a{b:url("P(x.png)")}');
    assert.equal(rewriteCssUrls('@import "a.css"; @import url(b.css);', map), '@import "P(a.css)"; @import url("P(b.css)");');
    assert.equal(rewriteCssUrls('a{fill:url(#grad)}', map), 'a{fill:url(#grad)}');
    assert.equal(rewriteCssUrls('a{b:url("x\\"y.png")}', map), 'a{b:url("P(x\\"y.png)")}');
  });
});

describe('asset proxy: options', () => {
  it('defaults to proxy mode, no private origins, 5 MB and 10 s', () => {
    const o = resolveOptions({});
    assert.equal(o.viewerAssets, 'proxy');
    assert.deepEqual(o.assetProxy, { allowPrivateOrigins: [], maxBytes: 5_000_000, timeoutMs: 10_000 });
  });
  it('refuses a wrong mode, a wrong origin and an unknown setting with a TypeError that names them', () => {
    assert.throws(() => resolveOptions({ viewerAssets: 'direct' as never }), { name: 'TypeError', message: /viewerAssets/ });
    assert.throws(() => resolveOptions({ assetProxy: { allowPrivateOrigins: ['http://x.example/path'] } }), { name: 'TypeError', message: /allowPrivateOrigins/ });
    assert.throws(() => resolveOptions({ assetProxy: { maxBytes: 0 } }), { name: 'TypeError', message: /assetProxy\.maxBytes/ });
    assert.throws(() => resolveOptions({ assetProxy: { cookies: true } as never }), { name: 'TypeError', message: /cookies/ });
  });
});

describe('asset proxy: against real servers', function () {
  this.timeout(30_000);
  let site: Server;
  let siteOrigin = '';
  let t: TestRelay;
  let open: TestRelay;
  const seen: Array<{ url: string; cookie?: string; authorization?: string; referer?: string }> = [];

  before(async () => {
    site = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      seen.push({ url, cookie: req.headers.cookie, authorization: req.headers.authorization, referer: req.headers.referer });
      if (url === '/a.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'set-cookie': 'tracker=1' });
        return res.end(PNG);
      }
      if (url === '/a.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        return res.end('@import "b.css"; body { background: url(img/bg.png) } .x { background: url(data:image/png;base64,AAAA) } .y { background: url(javascript:alert(1)) }');
      }
      if (url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<script>alert(1)</script>');
      }
      if (url === '/big.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.alloc(2048));
      }
      if (url.startsWith('/redirect?')) {
        res.writeHead(302, { location: new URL(req.url!, 'http://x').searchParams.get('to')! });
        return res.end();
      }
      res.writeHead(404);
      res.end();
    });
    siteOrigin = `http://127.0.0.1:${await listen(site)}`;
    t = await startRelay({});
    open = await startRelay({ assetProxy: { allowPrivateOrigins: [siteOrigin], maxBytes: 1024 } });
  });
  after(async () => {
    await t?.close();
    await open?.close();
    site?.closeAllConnections();
    await new Promise((r) => site?.close(r));
  });

  const get = (r: TestRelay, url: string, key: string | null = assetKey(r.relay.token), headers: Record<string, string> = {}) =>
    fetch(`${r.base}/api/assets?${key === null ? '' : `k=${encodeURIComponent(key)}&`}url=${encodeURIComponent(url)}`, { headers });
  const code = async (res: Response) => ((await res.json()) as { code: string }).code;

  it('gives the policy and its key to the viewer token only', async () => {
    assert.equal((await t.api('/api/assets/policy', { token: null })).status, 401);
    assert.deepEqual(await (await t.api('/api/assets/policy')).json(), { mode: 'proxy', key: assetKey(t.relay.token) });
  });

  it('needs its key (or the viewer token)', async () => {
    const none = await get(open, `${siteOrigin}/a.png`, null);
    assert.equal(none.status, 401);
    assert.equal(await code(none), 'SENTIERO_UNAUTHORIZED');
    assert.equal((await get(open, `${siteOrigin}/a.png`, 'wrong-key')).status, 401);
    assert.equal((await get(open, `${siteOrigin}/a.png`, null, { authorization: `Bearer ${open.relay.token}` })).status, 200);
    assert.ok(seen.every((s) => s.url !== '/a.png' || !s.authorization), 'the viewer token is never passed on');
  });

  it('refuses 127.0.0.1 on another port, localhost, private and metadata addresses, before connecting', async () => {
    seen.length = 0;
    for (const url of [
      `${siteOrigin}/a.png`, `http://localhost:${new URL(siteOrigin).port}/a.png`, 'http://10.0.0.1/a.png', 'http://192.168.0.1/a.png',
      'http://169.254.169.254/latest/meta-data/', 'http://[::1]:80/a.png', 'http://[::ffff:127.0.0.1]/a.png', 'http://0.0.0.0/a.png',
      `http://127.0.0.1:${t.port}/sentiero/health`,
    ]) {
      const res = await get(t, url);
      assert.equal(res.status, 403, url);
      assert.equal(await code(res), 'SENTIERO_FORBIDDEN', url);
    }
    assert.deepEqual(seen, [], 'the site was never contacted');
  });

  it('refuses other schemes and bad URLs', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.png', 'javascript:alert(1)', 'not a url', 'http://user:pw@example.com/a.png']) {
      const res = await get(t, url);
      assert.equal(res.status, 400, url);
      assert.equal(await code(res), 'SENTIERO_INVALID_MESSAGE', url);
    }
  });

  it('fetches an allowlisted private origin: image served inert, no cookie either way', async () => {
    seen.length = 0;
    const res = await get(open, `${siteOrigin}/a.png`, assetKey(open.relay.token), { cookie: 'session=viewer' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy')!, /sandbox/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*', 'fonts load in CORS mode from the extensions');
    assert.equal(res.headers.get('set-cookie'), null, 'the site\'s cookie is not passed back');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG);
    assert.deepEqual(seen, [{ url: '/a.png', cookie: undefined, authorization: undefined, referer: undefined }], 'no cookie, credential or referrer was sent');
  });

  it('rewrites the URLs inside proxied CSS to come back through the proxy', async () => {
    const key = assetKey(open.relay.token);
    const css = await (await get(open, `${siteOrigin}/a.css`, key)).text();
    const via = (u: string) => `/sentiero/api/assets?k=${encodeURIComponent(key)}&url=${encodeURIComponent(u)}`;
    assert.ok(css.includes(`@import "${via(`${siteOrigin}/b.css`)}"`), css);
    assert.ok(css.includes(`url("${via(`${siteOrigin}/img/bg.png`)}")`), css);
    assert.ok(css.includes('url("data:image/png;base64,AAAA")'), css);
    assert.ok(css.includes('url("data:,")') && !css.includes('javascript:'), css);
  });

  it('refuses other content types, oversize answers, and a redirect to an address it would refuse', async () => {
    const key = assetKey(open.relay.token);
    const html = await get(open, `${siteOrigin}/page.html`, key);
    assert.equal(html.status, 502);
    assert.equal(await code(html), 'SENTIERO_ASSET_FAILED');
    const big = await get(open, `${siteOrigin}/big.png`, key);
    assert.equal(big.status, 413);
    assert.equal(await code(big), 'SENTIERO_PAYLOAD_TOO_LARGE');
    const redirected = await get(open, `${siteOrigin}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${t.port}/sentiero/health`)}`, key);
    assert.equal(redirected.status, 403);
    assert.equal(await code(redirected), 'SENTIERO_FORBIDDEN');
    const missing = await get(open, `${siteOrigin}/nothing.png`, key);
    assert.equal(missing.status, 502);
  });

  it('is off in block mode (with capture off: no copies to serve either)', async () => {
    const blocked = await startRelay({ viewerAssets: 'block', captureAssets: false });
    try {
      assert.deepEqual(await (await blocked.api('/api/assets/policy')).json(), { mode: 'block' });
      assert.equal((await get(blocked, 'http://example.com/a.png')).status, 404);
    } finally {
      await blocked.close();
    }
  });
});
