/**
 * Network capture (`captureNetwork`) in real Chromium against the fake relay: fetch, XHR,
 * sendBeacon and WebSocket opens (a failed and an aborted request among them), the recorder's
 * own traffic never recorded, headers and bodies absent by default and present when allowed,
 * streaming responses untouched, a throwing fetch left to throw, `stop()` undoing the wrappers,
 * and the HTTP fallback in gzip.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import type { NetworkPayload } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { type Harness, type PageGlobal, TEST_PAGE, customEvents, pageQuery, usePage } from './harness.ts';

const networkOf = (h: Harness, g: PageGlobal): NetworkPayload[] =>
  customEvents(h.events(g.sessionId, g.windowId), 'sentiero/network@1').map((e) => e.payload as unknown as NetworkPayload);

async function recording(page: Page): Promise<PageGlobal> {
  return waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: PageGlobal }).__SENTIERO__), { what: 'recording' });
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => (_req: IncomingMessage, res: ServerResponse) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-app': 'server-says-hi', 'set-cookie': 'sid=SECRET-COOKIE', ...headers });
  res.end(text);
};

function appRoutes(h: Harness): void {
  h.routes.set('/api/items', json(200, { items: ['a', 'b'], filler: 'f'.repeat(2000) }));
  h.routes.set('/api/broken', json(500, { error: 'nope' }));
  h.routes.set('/api/slow', (_req, res) => { setTimeout(() => { if (!res.destroyed) json(200, { late: true })(_req, res); }, 5000); });
  h.routes.set('/api/echo', (_req, res, body) => json(201, { got: body.toString('utf8') })(_req, res));
  h.routes.set('/collect', (_req, res) => { res.writeHead(204).end(); });
  h.routes.set('/api/stream', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const tick = setInterval(() => {
      res.write(`data: part-${++n}\n\n`);
      if (n === 3) {
        clearInterval(tick);
        res.end();
      }
    }, 50);
  });
}

/** Every kind of request the page can make, run in the page; the statuses it saw. */
async function exercise(page: Page, origin: string): Promise<Record<string, unknown>> {
  return page.evaluate(async (origin) => {
    const out: Record<string, unknown> = {};
    const r1 = await fetch('/api/items', { headers: { 'x-app': 'client-1', cookie: 'c=SECRET-REQ-COOKIE' } });
    out.items = (await r1.json() as { items: string[] }).items.join(',');
    out.broken = (await fetch('/api/broken')).status;
    out.echo = (await (await fetch('/api/echo', { method: 'post', body: 'REQUEST-BODY-77', headers: { 'content-type': 'text/plain' } })).json() as { got: string }).got;
    try {
      await fetch('http://127.0.0.1:1/unreachable');
    } catch (e) {
      out.failed = (e as Error).name;
    }
    const ac = new AbortController();
    const slow = fetch('/api/slow', { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    try {
      await slow;
    } catch (e) {
      out.aborted = (e as Error).name;
    }
    const res = await fetch('/api/stream');
    out.stream = await res.text();
    out.xhr = await new Promise((resolve) => {
      const x = new XMLHttpRequest();
      x.open('GET', '/api/items?via=xhr');
      x.setRequestHeader('x-app', 'client-xhr');
      x.onloadend = () => resolve(x.status);
      x.send();
    });
    out.xhrAborted = await new Promise((resolve) => {
      const x = new XMLHttpRequest();
      x.open('GET', '/api/slow?via=xhr');
      x.onabort = () => resolve('abort');
      x.send();
      setTimeout(() => x.abort(), 100);
    });
    out.beacon = navigator.sendBeacon('/collect', 'BEACON-BODY');
    out.ws = await new Promise((resolve) => {
      const ws = new WebSocket(`${origin.replace('http', 'ws')}/app-socket`);
      ws.onopen = () => ws.send('hello');
      ws.onmessage = (ev) => {
        resolve(`${ws instanceof WebSocket} ${ws.readyState === WebSocket.OPEN} ${String(ev.data)}`);
        ws.close();
      };
    });
    out.wsFailed = await new Promise((resolve) => {
      const ws = new WebSocket(`${origin.replace('http', 'ws')}/no-socket-here`);
      ws.onclose = () => resolve('closed');
    });
    return out;
  }, origin);
}

const EXPECTED = {
  items: 'a,b', broken: 500, echo: 'REQUEST-BODY-77', failed: 'TypeError', aborted: 'AbortError',
  stream: 'data: part-1\n\ndata: part-2\n\ndata: part-3\n\n', xhr: 200, xhrAborted: 'abort', beacon: true, ws: 'true true hello', wsFailed: 'closed',
};

describe('recorder: network capture (real Chromium)', () => {
  const env = usePage();

  it('records fetch, XHR, beacons and WebSocket opens (failed and aborted too), without headers or bodies by default, and never the relay\'s own traffic', async () => {
    const { h, page } = env;
    appRoutes(h);
    // The recorder's own socket on the main thread, through the WebSocket the feature wraps.
    await page.addInitScript('delete window.Worker');
    await page.goto(`${h.origin}/page${pageQuery({ captureNetwork: true })}`);
    const g = await recording(page);
    // A reconnect: the recorder's next socket is made through the wrapped WebSocket.
    await waitFor(() => h.connections[0]?.hello, { what: 'the first socket' });
    h.connections[0]!.socket.terminate();
    await waitFor(() => h.connections[1]?.hello, { what: 'the socket after a reconnect' });
    assert.deepEqual(await exercise(page, h.origin), EXPECTED);
    const n = await waitFor(() => {
      const x = networkOf(h, g);
      return x.length >= 11 ? x : undefined;
    }, { what: 'eleven network events' });
    const find = (type: string, path: string) => n.find((p) => p.type === type && p.url === `${h.origin}${path}`);
    const items = find('fetch', '/api/items');
    assert.ok(items, n.map((p) => `${p.type} ${p.url}`).join('\n'));
    assert.equal(items.method, 'GET');
    assert.equal(items.status, 200);
    assert.equal(items.contentType, 'application/json');
    assert.ok(items.responseSize! > 2000, 'the size from Content-Length');
    assert.ok(items.startedAt > 0 && items.durationMs >= 0);
    assert.equal(find('fetch', '/api/broken')?.status, 500);
    const echo = find('fetch', '/api/echo');
    assert.equal(echo?.method, 'POST');
    assert.equal(echo?.requestSize, 'REQUEST-BODY-77'.length);
    const failed = n.find((p) => p.url === 'http://127.0.0.1:1/unreachable');
    assert.equal(failed?.failed, true);
    assert.equal(failed?.status, 0);
    const aborted = find('fetch', '/api/slow');
    assert.equal(aborted?.aborted, true);
    assert.equal(aborted?.failed, undefined);
    assert.equal(find('fetch', '/api/stream')?.status, 200);
    assert.equal(find('xhr', '/api/items?via=xhr')?.status, 200);
    assert.ok(find('xhr', '/api/items?via=xhr')!.responseSize! > 2000);
    assert.equal(find('xhr', '/api/slow?via=xhr')?.aborted, true);
    const beacon = find('beacon', '/collect');
    assert.equal(beacon?.method, 'POST');
    assert.equal(beacon?.requestSize, 'BEACON-BODY'.length);
    const ws = find('websocket', '/app-socket'.replace(/^/, '')) ?? n.find((p) => p.type === 'websocket' && p.url.endsWith('/app-socket'));
    assert.equal(ws?.status, 101);
    assert.ok(ws?.url.startsWith('ws://'));
    const wsFailed = n.find((p) => p.type === 'websocket' && p.url.endsWith('/no-socket-here'));
    assert.equal(wsFailed?.failed, true);
    assert.ok(h.connections.length > 0, 'the recorder\'s socket was open');
    for (const p of n) {
      assert.equal(p.requestHeaders, undefined, 'no request headers by default');
      assert.equal(p.responseHeaders, undefined, 'no response headers by default');
      assert.equal(p.requestBody, undefined, 'no request body by default');
      assert.equal(p.responseBody, undefined, 'no response body by default');
      assert.ok(!p.url.includes('/sentiero/'), `the relay's own traffic is not recorded: ${p.url}`);
    }
    const wire = h.raw.join('\n');
    for (const secret of ['REQUEST-BODY-77', 'BEACON-BODY', 'server-says-hi', 'SECRET-COOKIE', 'SECRET-REQ-COOKIE']) assert.ok(!wire.includes(secret), `${secret} is not sent by default`);
  });

  it('records allowed headers and bodies (capped, never cookies), over the HTTP fallback in gzip, with the relay\'s own posts and beacons left out', async () => {
    const { h, page } = env;
    appRoutes(h);
    h.behaviour.refuseUpgrade = true;
    const opts = { captureNetwork: true, networkHeaders: ['X-App', 'content-type', 'cookie', 'set-cookie'], networkBodies: ['/api/'], networkBodyMaxBytes: 512 };
    await page.goto(`${h.origin}/page${pageQuery(opts)}`);
    const g = await recording(page);
    assert.deepEqual(await exercise(page, h.origin), EXPECTED);
    await waitFor(() => h.posts.some((p) => JSON.stringify(p.events).includes('no-socket-here')) || undefined, { what: 'the last request posted' });
    const stoppedAt = Date.now();
    await page.evaluate(() => (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop());
    const n = await waitFor(() => {
      const x = networkOf(h, g);
      return x.length >= 11 ? x : undefined;
    }, { what: 'eleven network events' });
    const items = n.find((p) => p.type === 'fetch' && p.url.endsWith('/api/items'))!;
    assert.deepEqual(items.requestHeaders, { 'x-app': 'client-1' }, 'listed request headers only, never the cookie');
    assert.deepEqual(items.responseHeaders, { 'x-app': 'server-says-hi', 'content-type': 'application/json' }, 'never set-cookie');
    assert.match(items.responseBody ?? '', /^\{"items":\["a","b"\],"filler":"fff/);
    assert.ok(Buffer.byteLength(items.responseBody!) <= 512, 'the body is capped');
    assert.equal(items.bodyTruncated, true);
    const echo = n.find((p) => p.url.endsWith('/api/echo'))!;
    assert.equal(echo.requestBody, 'REQUEST-BODY-77');
    assert.equal(echo.responseBody, '{"got":"REQUEST-BODY-77"}');
    assert.equal(n.find((p) => p.url.endsWith('/api/stream'))?.responseBody, undefined, 'an event stream is never read');
    const xhr = n.find((p) => p.type === 'xhr' && p.url.endsWith('via=xhr') && p.status === 200)!;
    assert.deepEqual(xhr.requestHeaders, { 'x-app': 'client-xhr' });
    assert.ok(xhr.responseBody?.startsWith('{"items"'));
    assert.equal(n.find((p) => p.type === 'beacon')?.requestBody, undefined, '/collect is not an allowed body URL');
    assert.ok(!h.raw.join('\n').includes('BEACON-BODY'), 'the body of a URL not allowed is in nothing sent to the relay');
    for (const p of n) assert.ok(!p.url.includes('/sentiero/'), `the relay's own traffic is not recorded: ${p.url}`);
    assert.ok(h.posts.length > 0, 'the recorder posted over HTTP');
    assert.ok(!h.raw.join('\n').includes('SECRET-COOKIE') && !h.raw.join('\n').includes('SECRET-REQ-COOKIE'));
    // Posts before stop() went over fetch; what stop() hands to sendBeacon goes plain unless a post had gzipped it already.
    const big = h.posts.filter((p) => p.at < stoppedAt && JSON.stringify(p.events).length > 2048);
    assert.ok(big.length > 0 && big.every((p) => p.gzip), `large posts went in gzip: ${h.posts.map((p) => `${p.at < stoppedAt} ${p.gzip} ${p.wireBytes}/${JSON.stringify(p.events).length}`).join(', ')}`);
    for (const p of big) assert.ok(p.wireBytes < JSON.stringify(p.events).length / 3, `gzip pays (${p.wireBytes} bytes)`);
  });

  it('leaves a throwing fetch and XHR to throw, keeps recording, and stop() restores every original (request linking on too)', async () => {
    const { h, page } = env;
    h.pages.set('/broken', TEST_PAGE.replace('<script src="/sentiero/recorder.js"></script>', `<script>
      window.fetch = function () { throw new Error('the page fetch broke'); };
    </script><script src="/sentiero/recorder.js"></script>`));
    appRoutes(h);
    await page.goto(`${h.origin}/broken${pageQuery({ captureNetwork: true, linkRequests: true })}`);
    const g = await recording(page);
    const result = await page.evaluate(async () => {
      let thrown = '';
      try {
        await fetch('/api/items');
      } catch (e) {
        thrown = (e as Error).message;
      }
      const wrapped = String(XMLHttpRequest.prototype.send).includes('[native code]') === false && String(WebSocket).includes('[native code]') === false;
      const x = new XMLHttpRequest();
      let xhrThrown = '';
      try {
        x.send();
      } catch (e) {
        xhrThrown = (e as Error).name;
      }
      (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop();
      const restored = String(XMLHttpRequest.prototype.send).includes('[native code]') && String(XMLHttpRequest.prototype.open).includes('[native code]')
        && String(WebSocket).includes('[native code]') && String(navigator.sendBeacon).includes('[native code]') && !Object.prototype.hasOwnProperty.call(navigator, 'sendBeacon');
      return { thrown, xhrThrown, wrapped, restored, fetchBack: String(window.fetch).includes('the page fetch broke') };
    });
    assert.deepEqual(result, { thrown: 'the page fetch broke', xhrThrown: 'InvalidStateError', wrapped: true, restored: true, fetchBack: true });
    await waitFor(() => h.events(g.sessionId, g.windowId).length > 2 || undefined, { what: 'the recording went on' });
  });
});
