import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { waitFor } from '../../test/helpers/net.ts';
import { TEST_PAGE, pageQuery, type Harness, usePage } from './harness.ts';

const BREAK_STORAGE = `
  for (const name of ['localStorage', 'sessionStorage']) {
    Object.defineProperty(window, name, { configurable: true, get() { throw new DOMException('storage is disabled', 'SecurityError'); } });
  }`;

describe('recorder: never breaks the page (real Chromium)', () => {
  const env = usePage({ allowPageErrors: true });
  let h: Harness;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];
  beforeEach(() => ({ h, context, page, pageErrors } = env));

  it('sends the version of package.json in meta', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    assert.equal(conn.hello!.meta.recorder, `sentiero-recorder@${pkg.version}`);
    assert.equal(await page.evaluate(() => (window as unknown as { Sentiero: { RECORDER_VERSION: string } }).Sentiero.RECORDER_VERSION), pkg.version);
  });

  it('records with broken storage and a throwing onError, and no call throws into the page', async () => {
    await context.addInitScript({ content: BREAK_STORAGE });
    await page.goto(`${h.origin}/page${pageQuery({ maxBufferBytes: 'lots', blockSelector: '[[[', unknownOption: 1 }, { onError: 'throw' })}`);
    await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello despite broken storage' });
    const outcome = await page.evaluate(() => {
      const s = (window as unknown as { Sentiero: Record<string, (...a: unknown[]) => unknown> }).Sentiero;
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const calls: [string, unknown[]][] = [
        ['addEvent', [42]], ['addEvent', ['ok', circular]], ['addEvent', ['ok', 'not-an-object']], ['addEvent', ['fine', { a: 1 }]],
        ['start', [{ relay: 12 }]], ['getStats', []], ['getSessionId', []], ['optIn', []], ['optOut', []], ['stop', []], ['start', [null]], ['stop', []],
      ];
      const thrown: string[] = [];
      for (const [name, args] of calls) {
        try {
          s[name](...args);
        } catch (err) {
          thrown.push(`${name}: ${String(err)}`);
        }
      }
      return { thrown, errors: (window as unknown as { __errors: string[] }).__errors };
    });
    assert.deepEqual(outcome.thrown, []);
    for (const code of ['SENTIERO_RECORDER_BAD_OPTION', 'SENTIERO_RECORDER_STORAGE', 'SENTIERO_RECORDER_BAD_EVENT']) {
      assert.ok(outcome.errors.includes(code), `${code} reported (got ${outcome.errors.join(', ')})`);
    }
    await page.mouse.move(10, 10);
    await page.keyboard.press('Tab');
    await page.reload();
    await page.waitForTimeout(500);
    assert.deepEqual(pageErrors.map(String), [], 'no error reached the page');
  });

  it('reports a bad relay option and uses the default relay derived from the script URL', async () => {
    await page.goto(`${h.origin}/page${pageQuery({ relay: 'ftp://nowhere' })}`);
    await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello on the default relay' });
    const errors = await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);
    assert.ok(errors.some((e) => e.startsWith('SENTIERO_RECORDER_BAD_OPTION') && e.includes('"relay"')));
    assert.deepEqual(pageErrors.map(String), []);
  });

  it('records over a main-thread WebSocket where a Content-Security-Policy forbids workers', async () => {
    h.pages.set('/csp', TEST_PAGE.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`));
    await page.goto(`${h.origin}/csp${pageQuery()}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello without a worker' });
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string): void } }).Sentiero.addEvent('under-csp'));
    await waitFor(() => JSON.stringify(h.events(conn.hello!.sessionId, conn.hello!.windowId)).includes('under-csp'), { what: 'events delivered' });
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors), []);
    assert.deepEqual(pageErrors.map(String), []);
  });
  it('records with recordCanvas where a Content-Security-Policy forbids the workers rrweb samples canvases in', async () => {
    h.pages.set('/csp-canvas', TEST_PAGE.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`)
      .replace('<div id="grow"></div>', '<canvas id="c" width="50" height="50"></canvas><div id="grow"></div>'));
    await page.goto(`${h.origin}/csp-canvas${pageQuery({ recordCanvas: true })}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    await page.evaluate(() => {
      const ctx = (document.getElementById('c') as HTMLCanvasElement).getContext('2d')!;
      ctx.fillStyle = 'red';
      ctx.fillRect(0, 0, 50, 50);
      (window as unknown as { Sentiero: { addEvent(n: string): void } }).Sentiero.addEvent('canvas-under-csp');
    });
    await waitFor(() => JSON.stringify(h.events(conn.hello!.sessionId, conn.hello!.windowId)).includes('canvas-under-csp'), { what: 'events delivered' });
    assert.deepEqual(pageErrors.map(String), [], 'no error reached the page');
  });

  it('reports a wrong recordCanvas and records without canvases', async () => {
    h.pages.set('/canvas', TEST_PAGE.replace('<div id="grow"></div>', '<canvas id="c" width="50" height="50"></canvas><div id="grow"></div>'));
    await page.goto(`${h.origin}/canvas${pageQuery({ recordCanvas: { fps: 100 } })}`);
    const conn = await waitFor(() => h.connections.find((c) => c.hello), { what: 'hello' });
    await page.evaluate(() => {
      const ctx = (document.getElementById('c') as HTMLCanvasElement).getContext('2d')!;
      ctx.fillRect(0, 0, 50, 50);
    });
    await page.waitForTimeout(1500);
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string): void } }).Sentiero.addEvent('after-canvas'));
    await waitFor(() => JSON.stringify(h.events(conn.hello!.sessionId, conn.hello!.windowId)).includes('after-canvas'), { what: 'events delivered' });
    const errors = await page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);
    assert.ok(errors.some((e) => e.startsWith('SENTIERO_RECORDER_BAD_OPTION') && e.includes('"recordCanvas"')), errors.join('; '));
    const events = h.events(conn.hello!.sessionId, conn.hello!.windowId);
    assert.equal(events.filter((e) => e.type === 3 && (e.data as { source: number }).source === 9).length, 0, 'no canvas frame');
    assert.ok(!JSON.stringify(events).includes('rr_dataURL'), 'no canvas image in the snapshot');
  });
});
