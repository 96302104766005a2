import assert from 'node:assert/strict';
import { type DevToolsApi, type EvalExceptionInfo, createDevToolsAdapter, themeOf } from '../src/devtools-adapter.ts';
import { INSPECT_EXPRESSION } from '../src/inspected.ts';
import type { DevToolsToPanel } from '../src/messages.ts';
import { waitFor } from '../../test/helpers/net.ts';

/** A fake `browser.devtools`: the page's answer is whatever `answer` holds. */
function fakeApi(withOpenResource = true, known?: (url: string) => boolean) {
  let answer: [unknown, EvalExceptionInfo | undefined] = [{ url: 'http://a.test/', readyState: 'complete', recorder: null, recorderLoaded: false }, undefined];
  const navigated = new Set<(url: string) => void>();
  const opened: unknown[][] = [];
  const expressions: string[] = [];
  const api: DevToolsApi = {
    inspectedWindow: { eval: async (expression) => { expressions.push(expression); return answer; } },
    network: { onNavigated: { addListener: (fn) => navigated.add(fn), removeListener: (fn) => navigated.delete(fn) } },
    panels: {
      themeName: 'dark',
      // As Chromium answers: a status to the callback, an error for a URL DevTools does not know.
      ...(withOpenResource ? { openResource: (url: string, line: number, column: number, callback: (status?: unknown) => void) => {
        opened.push([url, line, column]);
        const ok = !known || known(url);
        setTimeout(() => callback(ok ? { code: 'OK' } : { code: 'E_NOTFOUND', isError: true }), 0);
      } } : {}),
    },
  };
  return {
    api, opened, expressions, navigated,
    set(value: unknown, info?: EvalExceptionInfo) { answer = [value, info]; },
  };
}

describe('the DevTools adapter', () => {
  it('reads the page at once, reports only changes while polling, and again after a navigation', async () => {
    const f = fakeApi();
    const adapter = createDevToolsAdapter(f.api, { pollMs: 20, afterNavigationMs: 5 });
    const got: DevToolsToPanel[] = [];
    const off = adapter.addListener((m) => got.push(m));
    await waitFor(() => got.some((m) => m.t === 'page'), { what: 'the first reading' });
    assert.deepEqual(got[0], { t: 'theme', theme: 'dark' });
    assert.equal(f.expressions[0], INSPECT_EXPRESSION);
    await waitFor(() => f.expressions.length >= 4, { what: 'a few polls' });
    assert.equal(got.filter((m) => m.t === 'page').length, 1, 'an unchanged page is not reported again');

    f.set({ url: 'http://a.test/', readyState: 'complete', recorderLoaded: true, recorder: { sessionId: 's-2', windowId: 'w-1', relay: 'http://a.test/sentiero' } });
    await waitFor(() => got.filter((m) => m.t === 'page').length === 2, { what: 'the rollover' });
    const last = got.at(-1) as Extract<DevToolsToPanel, { t: 'page' }>;
    assert.equal(last.page.recorder?.sessionId, 's-2');

    for (const fn of f.navigated) fn('http://a.test/next');
    await waitFor(() => got.filter((m) => m.t === 'page').length === 3, { what: 'a forced reading after the navigation' });
    assert.ok(got.some((m) => m.t === 'navigated' && m.url === 'http://a.test/next'));

    off();
    assert.equal(f.navigated.size, 0, 'the last listener gone, DevTools is not listened to any more');
    const polls = f.expressions.length;
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(f.expressions.length <= polls + 1, 'and the page is not read any more');
  });

  it('says when DevTools cannot read the page', async () => {
    const f = fakeApi();
    f.set(undefined, { isError: true, code: 'E_PROTOCOLERROR', description: 'Cannot access a chrome:// URL' });
    const adapter = createDevToolsAdapter(f.api, { pollMs: 20 });
    const got: DevToolsToPanel[] = [];
    const off = adapter.addListener((m) => got.push(m));
    const m = await waitFor(() => got.find((x) => x.t === 'page-unreadable'), { what: 'page-unreadable' });
    assert.deepEqual(m, { t: 'page-unreadable', message: 'Cannot access a chrome:// URL' });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(got.filter((x) => x.t === 'page-unreadable').length, 1, 'said once');
    off();
  });

  it('does not report one failed reading between good ones (a navigation in progress)', async () => {
    const f = fakeApi();
    let calls = 0;
    const good = f.api.inspectedWindow.eval;
    f.api.inspectedWindow.eval = async (expression) => (++calls === 2 ? Promise.reject(new Error('Inspected frame has gone')) : good(expression));
    const adapter = createDevToolsAdapter(f.api, { pollMs: 20 });
    const got: DevToolsToPanel[] = [];
    const off = adapter.addListener((m) => got.push(m));
    await waitFor(() => calls >= 5, { what: 'a few readings' });
    off();
    assert.deepEqual(got.map((m) => m.t), ['theme', 'page']);
  });

  it('opens a frame at 0-based line and column (what openResource takes), and only where DevTools can', () => {
    const f = fakeApi();
    const adapter = createDevToolsAdapter(f.api);
    assert.equal(adapter.canOpenResource, true);
    adapter.postMessage({ t: 'open-resource', url: 'http://a.test/app.js', line: 37, column: 9 });
    adapter.postMessage({ t: 'open-resource', url: 'http://a.test/app.js', line: 1 });
    assert.deepEqual(f.opened, [['http://a.test/app.js', 36, 8], ['http://a.test/app.js', 0, 0]]);
    const without = fakeApi(false);
    const a2 = createDevToolsAdapter(without.api);
    assert.equal(a2.canOpenResource, false);
    a2.postMessage({ t: 'open-resource', url: 'http://a.test/app.js', line: 3 });
  });

  it('opens the first location DevTools knows: an original source when the page serves it, else the running script', async () => {
    const served = fakeApi(true, (url) => url === 'http://a.test/src/cart.ts');
    const fallbacks = [{ url: 'http://a.test/src/cart.ts', line: 12, column: 5 }, { url: 'http://a.test/assets/app.min.js', line: 1, column: 825 }];
    createDevToolsAdapter(served.api).postMessage({ t: 'open-resource', url: 'http://a.test/assets/src/cart.ts', line: 12, column: 5, fallbacks });
    await waitFor(() => served.opened.length === 2, { what: 'the second try' });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(served.opened, [['http://a.test/assets/src/cart.ts', 11, 4], ['http://a.test/src/cart.ts', 11, 4]], 'stops at the first one DevTools has');

    const minifiedOnly = fakeApi(true, (url) => url.endsWith('.min.js'));
    createDevToolsAdapter(minifiedOnly.api).postMessage({ t: 'open-resource', url: 'http://a.test/assets/src/cart.ts', line: 12, column: 5, fallbacks });
    await waitFor(() => minifiedOnly.opened.length === 3, { what: 'the running script' });
    assert.deepEqual(minifiedOnly.opened[2], ['http://a.test/assets/app.min.js', 0, 824]);
  });

  it('maps DevTools theme names', () => {
    assert.equal(themeOf('dark'), 'dark');
    assert.equal(themeOf('default'), 'light');
    assert.equal(themeOf(undefined), 'light');
  });
});
