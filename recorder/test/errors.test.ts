/**
 * The recorder's optional error features in real Chromium against the fake relay:
 * `captureErrors` (uncaught errors, rejections, the budget), `captureException`, and
 * `linkRequests` (wrapping that keeps requests working and is undone by `stop()`).
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { ErrorEventPayload, RecordedEvent } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { ERROR_BUDGET } from '../src/features/errors.ts';
import { type Harness, type PageGlobal, TEST_PAGE, pageQuery, usePage } from './harness.ts';

function errorPayloads(h: Harness, g: PageGlobal): ErrorEventPayload[] {
  return h.events(g.sessionId, g.windowId)
    .filter((e: RecordedEvent) => e.type === 5 && (e.data as { tag?: string }).tag === 'sentiero/error@1')
    .map((e) => (e.data as { payload: ErrorEventPayload }).payload);
}

async function recording(page: Page): Promise<PageGlobal> {
  return waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: PageGlobal }).__SENTIERO__), { what: 'recording' });
}

describe('recorder: errors and request linking (real Chromium)', () => {
  const env = usePage({ allowPageErrors: true });

  it('captureErrors records uncaught errors with parsed frames, rejections of any value, and captureException', async () => {
    const { h, page } = env;
    h.pages.set('/shop', TEST_PAGE.replace('</body>', `<script>
      function explode() { throw new TypeError('the basket is empty'); }
    </script></body>`));
    await page.goto(`${h.origin}/shop${pageQuery({ captureErrors: true })}`);
    const g = await recording(page);
    await page.evaluate(() => {
      const w = window as unknown as { explode(): void; Sentiero: { captureException(e: unknown): void } };
      setTimeout(() => w.explode(), 0);
      void Promise.reject('a plain string reason');
      w.Sentiero.captureException(new RangeError('caught and reported'));
    });
    const payloads = await waitFor(() => {
      const p = errorPayloads(h, g);
      return p.length >= 3 ? p : undefined;
    }, { what: 'three error events' });
    const byName = new Map(payloads.map((p) => [p.name, p]));
    const thrown = byName.get('TypeError');
    assert.ok(thrown, `names: ${[...byName.keys()].join(', ')}`);
    assert.equal(thrown.message, 'the basket is empty');
    assert.match(thrown.stack, /explode/);
    assert.equal(thrown.frames?.[0]?.function, 'explode');
    assert.equal(thrown.frames?.[0]?.inApp, true);
    assert.equal(thrown.frames?.[0]?.file, `${h.origin}/shop${pageQuery({ captureErrors: true })}`);
    assert.ok(thrown.frames[0].line! > 1 && thrown.frames[0].column! > 1, `a position: ${JSON.stringify(thrown.frames[0])}`);
    assert.equal(byName.get('UnhandledRejection')?.message, 'a plain string reason');
    assert.equal(byName.get('RangeError')?.message, 'caught and reported');
  });

  it('writes at most the budget of errors a minute; without captureErrors only captureException records', async () => {
    const { h, page } = env;
    await page.goto(`${h.origin}/page${pageQuery({ captureErrors: true })}`);
    const g = await recording(page);
    await page.evaluate((n) => {
      for (let i = 0; i < n; i++) setTimeout(() => { throw new Error(`loop ${i}`); }, 0);
    }, ERROR_BUDGET.max + 15);
    await waitFor(() => errorPayloads(h, g).length >= ERROR_BUDGET.max, { what: 'the budget\'s worth of errors' });
    await page.evaluate(() => new Promise((r) => setTimeout(r, 1500)));
    await waitFor(() => h.stored.length > 0 && page.evaluate(() => (window as unknown as { Sentiero: { getStats(): { queued: number; pending: number } } }).Sentiero.getStats().pending === 0), { what: 'everything flushed' });
    assert.equal(errorPayloads(h, g).length, ERROR_BUDGET.max);

    const other = await env.context.newPage();
    await other.goto(`${h.origin}/page2${pageQuery({})}`);
    const g2 = await recording(other);
    await other.evaluate(() => {
      setTimeout(() => { throw new Error('not recorded'); }, 0);
      (window as unknown as { Sentiero: { captureException(e: unknown): void } }).Sentiero.captureException(new Error('recorded on demand'));
    });
    await waitFor(() => errorPayloads(h, g2).length >= 1, { what: 'the captured exception' });
    await other.evaluate(() => new Promise((r) => setTimeout(r, 1500)));
    assert.deepEqual(errorPayloads(h, g2).map((p) => p.message), ['recorded on demand']);
  });

  it('linkRequests keeps fetch and XHR working (Request objects and headers included) and stop() restores them', async () => {
    const { h, page } = env;
    await page.goto(`${h.origin}/page${pageQuery({ linkRequests: true })}`);
    const g = await recording(page);
    const result = await page.evaluate(async () => {
      const wrapped = !String(window.fetch).includes('[native code]');
      const a = await fetch(new Request('/page?r=a', { headers: { 'x-app': '1' } }));
      const b = await fetch('/page?r=b', { headers: [['x-app', '2']] });
      const c = await fetch(new URL('/page2?r=c', location.href));
      const d = await fetch('/page?r=d', { method: 'POST', body: 'hi', headers: new Headers({ 'x-app': '4', 'content-type': 'text/x-app' }) });
      const xhr = await new Promise<number>((resolve) => {
        const x = new XMLHttpRequest();
        x.open('GET', '/page?r=xhr');
        x.setRequestHeader('x-app', '3');
        x.onloadend = () => resolve(x.status);
        x.send();
      });
      (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop();
      const restored = String(window.fetch).includes('[native code]') && String(XMLHttpRequest.prototype.send).includes('[native code]');
      return { wrapped, statuses: [a.status, b.status, c.status, d.status, xhr], restored };
    });
    assert.deepEqual(result, { wrapped: true, statuses: [200, 200, 200, 404, 200], restored: true });
    const seen = (app: string | undefined, path: string): Record<string, unknown> | undefined =>
      h.requests.find((r) => r.path === path && r.headers['x-app'] === app)?.headers;
    for (const [app, path] of [['1', '/page'], ['2', '/page'], [undefined, '/page2'], ['4', '/page'], ['3', '/page']] as const) {
      const headers = seen(app, path);
      assert.ok(headers, `the server got ${path} with the page's own x-app: ${app} header`);
      assert.equal(headers['x-sentiero-session'], g.sessionId, `and the session header (x-app: ${app})`);
    }
    assert.equal(seen('4', '/page')!['content-type'], 'text/x-app', 'the page\'s content type is kept');
  });
});
