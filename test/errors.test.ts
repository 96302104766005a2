/**
 * Errors end to end in real Chromium: the demo app (recorder with `captureErrors` and
 * `linkRequests`, its script minified with a source map the relay reads) records through a
 * real relay into a real LevelDB. Browser errors become groups mapped to the original source
 * and linked to the session at the time they happened; the same error counts in its group;
 * a resolved group regresses; a server error raised by the page's request is linked to the
 * page's session.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ErrorGroup, ErrorGroupDetail, SessionSummary } from '@sentiero/protocol';
import { launchChromium } from './helpers/browser.ts';
import { startDemo, storedBatches } from './helpers/demo.ts';
import { listen, waitFor } from './helpers/net.ts';
import type { TestRelay } from './helpers/relay.ts';

const demoDir = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'examples', 'demo');
const APP_JS = path.join(demoDir, 'public', 'app.js');

/** The 1-based line of the first line of `file` that contains `text`. */
function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} is in ${file}`);
  return i + 1;
}

async function sessionGroups(t: TestRelay, sessionId: string): Promise<ErrorGroup[]> {
  return ((await (await t.api(`/api/errors?sessionId=${sessionId}`)).json()) as { groups: ErrorGroup[] }).groups;
}

async function detail(t: TestRelay, id: string): Promise<ErrorGroupDetail> {
  return (await (await t.api(`/api/errors/${id}`)).json()) as ErrorGroupDetail;
}

describe('errors end to end: the demo in real Chromium', function () {
  this.timeout(180_000);
  let browser: Browser;
  let dir: string;
  let t: TestRelay;
  let context: BrowserContext;
  let other: Server;
  let otherOrigin: string;
  const otherHeaders: IncomingHttpHeaders[] = [];

  before(async () => {
    // The demo's own build (examples/demo/build.config.js), into a folder of this test's: a minified script and its source map.
    dir = mkdtempSync(path.join(tmpdir(), 'sentiero-errors-e2e-'));
    const { default: targets } = (await import(path.join(demoDir, 'build.config.js'))) as { default: BuildOptions[] };
    await Promise.all(targets.map((target) => build({ ...target, absWorkingDir: demoDir, outfile: path.join(dir, 'assets', 'app.min.js'), logLevel: 'warning' })));
    assert.doesNotMatch(readFileSync(path.join(dir, 'assets', 'app.min.js'), 'utf8'), /cartTotal/, 'the script is minified');
    // Another origin, to see which requests carry the session header.
    other = createServer((req, res) => {
      otherHeaders.push(req.headers);
      res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/plain' });
      res.end('ok');
    });
    otherOrigin = `http://127.0.0.1:${await listen(other)}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    other?.closeAllConnections();
    await new Promise((r) => other?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    t = await startDemo({ sourceMapsDir: dir, limits: { liveGraceMs: 1000 } }, { assetsDir: path.join(dir, 'assets') });
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context?.close();
    await t?.close();
  });

  async function open(): Promise<{ page: Page; sessionId: string }> {
    const page = await context.newPage();
    await page.goto(`${t.origin}/`);
    const { sessionId } = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'window.__SENTIERO__' });
    return { page, sessionId };
  }

  it('a browser error becomes a group mapped to the source, linked to the session at its time; it counts, and regresses once resolved', async () => {
    const { page, sessionId } = await open();
    await page.click('#boom');
    const [g] = await waitFor(async () => {
      const list = await sessionGroups(t, sessionId);
      return list.length ? list : undefined;
    }, { what: 'the browser error\'s group' });
    assert.equal(g!.name, 'TypeError');
    assert.equal(g!.origin, 'browser');
    assert.equal(g!.count, 1);
    const top = g!.culprit!;
    assert.match(top.file!, /\/assets\/app\.min\.js$/, 'the running file is the bundle');
    assert.equal(top.line, 1, 'minified: everything is on line 1');
    assert.ok(top.original, 'mapped through the source map');
    assert.ok(top.original.file.endsWith('public/app.js'), `the original file: ${top.original.file}`);
    assert.equal(top.original.line, lineOf(APP_JS, 'cart.items.reduce'));

    // Linked to the session at the right time: the stored timeline has the error right after the click that caused it.
    const d = await detail(t, g!.id);
    assert.equal(d.sessions.length, 1);
    assert.equal(d.sessions[0]!.sessionId, sessionId);
    const events = (await storedBatches(t, sessionId)).flatMap((b) => b.events);
    const errorEvent = events.find((e) => e.type === 5 && e.data?.tag === 'sentiero/error@1');
    assert.ok(errorEvent, 'the error is in the timeline');
    assert.equal(errorEvent.data.payload.groupId, g!.id, 'the timeline event names its group');
    assert.equal(d.sessions[0]!.firstSeen, errorEvent.timestamp);
    const click = events.filter((e) => e.type === 3 && e.data?.source === 2 && e.data?.type === 2).pop();
    assert.ok(click && click.timestamp <= errorEvent.timestamp, 'the click came first');
    const session = (await (await t.api(`/api/sessions/${sessionId}`)).json()) as SessionSummary;
    assert.ok(errorEvent.timestamp >= session.startedAt && errorEvent.timestamp <= session.lastEventAt);
    assert.equal(session.errorCount, 1);

    // The same error again: one more in the same group, no new group.
    await page.click('#boom');
    await waitFor(async () => (await sessionGroups(t, sessionId))[0]?.count === 2, { what: 'the second occurrence' });
    assert.equal((await sessionGroups(t, sessionId)).length, 1);

    // Resolved, then it happens again: regressed.
    const patched = await t.api(`/api/errors/${g!.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'resolved' }) });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as ErrorGroup).status, 'resolved');
    await page.click('#boom');
    const regressed = await waitFor(async () => {
      const [x] = await sessionGroups(t, sessionId);
      return x?.count === 3 ? x : undefined;
    }, { what: 'the third occurrence' });
    assert.equal(regressed.status, 'regressed');
    assert.equal(((await (await t.api(`/api/sessions/${sessionId}`)).json()) as SessionSummary).errorCount, 3);
  });

  it('a server error raised by the page\'s request is linked to the page\'s session; cross-origin requests carry no session header', async () => {
    const { page, sessionId } = await open();
    await page.click('#server-fail');
    const server = await waitFor(async () => (await sessionGroups(t, sessionId)).find((g) => g.origin === 'server'), { what: 'the server error linked to the session' });
    assert.equal(server.message, 'the demo server failed on purpose');
    const occ = (await detail(t, server.id)).occurrences[0]!;
    assert.equal(occ.sessionId, sessionId);
    assert.equal(occ.url, '/api/fail');
    assert.equal(occ.via, 'capture');

    // XMLHttpRequest is linked as fetch is.
    await page.evaluate(() => new Promise<void>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', '/api/fail?via=xhr');
      xhr.onloadend = () => resolve();
      xhr.send();
    }));
    await waitFor(async () => (await detail(t, server.id)).sessions[0]?.count === 2, { what: 'the XHR\'s server error' });

    // Another origin never gets the header (it would also make the request preflighted).
    await page.evaluate(async (url) => { await fetch(url); }, `${otherOrigin}/cross`);
    await waitFor(() => otherHeaders.length > 0, { what: 'the cross-origin request' });
    assert.equal(otherHeaders[otherHeaders.length - 1]!['x-sentiero-session'], undefined);

    // Unhandled rejections and Sentiero.captureException are recorded too.
    await page.evaluate(() => {
      void Promise.reject(new RangeError('the coupon service is down'));
      (window as unknown as { Sentiero: { captureException(e: unknown): void } }).Sentiero.captureException(new SyntaxError('bad coupon JSON'));
    });
    const names = await waitFor(async () => {
      const list = await sessionGroups(t, sessionId);
      const n = list.map((g) => g.name).sort();
      return n.includes('RangeError') && n.includes('SyntaxError') ? n : undefined;
    }, { what: 'the rejection and the captured exception' });
    assert.deepEqual(names, ['Error', 'RangeError', 'SyntaxError']);
  });
});
