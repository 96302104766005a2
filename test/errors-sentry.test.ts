/**
 * Sentry SDK compatibility, with the real, unmodified SDKs pointed at a relay by their DSN:
 * `@sentry/node` in a process of its own, and `@sentry/browser` (with its replay integration)
 * bundled and minified into a page that real Chromium loads from another origin.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import type { ErrorGroup, ErrorGroupDetail, SessionSummary } from '@sentiero/protocol';
import { launchChromium } from './helpers/browser.ts';
import { listen, waitFor } from './helpers/net.ts';
import { type TestRelay, startRelay } from './helpers/relay.ts';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const NODE_SCRIPT = path.join(root, 'relay', 'test', 'fixtures', 'sentry-node.mjs');
const BROWSER_APP = path.join(root, 'test', 'fixtures', 'sentry-browser-app.ts');

/** The 1-based line of the first line of `file` that contains `text`. */
function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} is in ${file}`);
  return i + 1;
}

async function groups(t: TestRelay): Promise<ErrorGroup[]> {
  return ((await (await t.api('/api/errors')).json()) as { groups: ErrorGroup[] }).groups;
}

async function group(t: TestRelay, id: string): Promise<ErrorGroupDetail> {
  return (await (await t.api(`/api/errors/${id}`)).json()) as ErrorGroupDetail;
}

function runNodeSdk(dsn: string): Promise<{ flushed: boolean; statuses: Array<number | null> }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [NODE_SCRIPT, dsn], { timeout: 90_000, cwd: root }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the SDK process failed: ${err.message}\n${stderr}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`unexpected output: ${stdout}\n${stderr}`));
      }
    });
  });
}

describe('Sentry SDK compatibility (real SDKs)', function () {
  this.timeout(180_000);
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay(); });
  afterEach(async () => { await t?.close(); });

  it('@sentry/node: errors arrive grouped, with their stack (the large one gzipped); with a wrong key 403 and nothing stored', async () => {
    const wrong = await runNodeSdk(`http://wrong_key_0000000000000000@127.0.0.1:${t.port}/sentiero/1`);
    assert.deepEqual(wrong.statuses, [403, 403]);
    assert.deepEqual(await groups(t), []);

    const result = await runNodeSdk(`http://${t.relay.ingestKey}@127.0.0.1:${t.port}/sentiero/1`);
    assert.deepEqual(result.statuses, [200, 200]);
    const list = await groups(t);
    assert.equal(list.length, 1, 'both occurrences in one group (the amounts in the message do not count)');
    const g = await group(t, list[0]!.id);
    assert.equal(g.name, 'RangeError');
    assert.equal(g.count, 2);
    assert.equal(g.origin, 'server');
    assert.equal(g.culprit?.function, 'chargeCard');
    assert.equal(g.culprit?.file, NODE_SCRIPT);
    assert.equal(g.culprit?.line, lineOf(NODE_SCRIPT, 'throw new RangeError'));
    const linked = g.occurrences.find((o) => o.sessionId === 'sess-node-sdk');
    assert.ok(linked, 'the sentiero.session tag links the occurrence');
    assert.deepEqual(linked.user, { id: 'customer-7' });
    assert.equal(linked.release, 'shop@2.0.0');
    assert.equal(linked.via, 'sentry');
    assert.ok(g.occurrences.every((o) => o.frames.length >= 2), 'with their stacks');
  });

  describe('@sentry/browser in Chromium', () => {
    let browser: Browser;
    let dir: string;
    let pages: Server;
    let pageOrigin: string;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'sentiero-sentry-browser-'));
      await build({
        entryPoints: [BROWSER_APP], outfile: path.join(dir, 'shop.min.js'), bundle: true, minify: true, sourcemap: true, format: 'iife',
        platform: 'browser', target: 'es2020', logLevel: 'warning',
      });
      const script = readFileSync(path.join(dir, 'shop.min.js'), 'utf8');
      pages = createServer((req, res) => {
        if (req.url === '/assets/shop.min.js') {
          res.writeHead(200, { 'content-type': 'text/javascript' });
          return res.end(script);
        }
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1><p>Spring sale</p><button id="buy">Buy</button><script src="/assets/shop.min.js"></script></body></html>');
      });
      pageOrigin = `http://127.0.0.1:${await listen(pages)}`;
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      pages?.closeAllConnections();
      await new Promise((r) => pages?.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it('a thrown error arrives grouped and mapped to its source; its replay is stored as a session, linked to the error', async () => {
      const upload = await fetch(`${t.base}/api/sourcemaps`, {
        method: 'POST', headers: { authorization: `Bearer ${t.relay.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ file: `${pageOrigin}/assets/shop.min.js`, map: readFileSync(path.join(dir, 'shop.min.js.map'), 'utf8') }),
      });
      assert.equal(upload.status, 201);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${pageOrigin}/`);
        await page.evaluate((dsn) => window.startSentry(dsn), `http://${t.relay.ingestKey}@127.0.0.1:${t.port}/sentiero/1`);
        await page.click('#buy');
        await page.click('#buy');
        const [g] = await waitFor(async () => {
          const list = await groups(t);
          return list.length && list[0]!.count >= 2 ? list : undefined;
        }, { timeoutMs: 60_000, what: 'two occurrences from the browser SDK' });
        assert.equal((await groups(t)).length, 1, 'one group');
        assert.equal(g!.name, 'TypeError');
        assert.match(g!.message, /^discount (SPRING|SUMMER) has expired$/);
        assert.equal(g!.origin, 'browser');
        const top = g!.culprit!;
        assert.equal(top.file, `${pageOrigin}/assets/shop.min.js`);
        assert.ok(top.original?.file.endsWith('test/fixtures/sentry-browser-app.ts'), `mapped to the source, not the bundle: ${top.original?.file}`);
        assert.equal(top.original?.line, lineOf(BROWSER_APP, 'throw new TypeError'));
        const statuses = await page.evaluate(() => window.sentryStatuses);
        assert.ok(statuses.length >= 2 && statuses.every((s) => s === 200), `the relay answered the SDK with 200s: ${statuses.join(', ')}`);

        // The replay integration's segments (rrweb events) are stored as a session, and the errors link to it.
        const replay = await waitFor(async () => {
          const sessions = ((await (await t.api('/api/sessions')).json()) as { sessions: SessionSummary[] }).sessions;
          return sessions.find((s) => s.windows.includes('sentry-replay') && s.eventCount > 0);
        }, { timeoutMs: 60_000, what: 'the Sentry replay stored as a session' });
        const lines = (await (await t.api(`/api/sessions/${replay.id}/events`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { events: Array<{ type: number }> });
        assert.ok(lines.flatMap((l) => l.events).some((e) => e.type === 2), 'the replay holds an rrweb full snapshot');
        const detail = await group(t, g!.id);
        assert.ok(detail.sessions.some((s) => s.sessionId === replay.id), 'the error is linked to the replay\'s session');
      } finally {
        await context.close();
      }
    });

    it('with a wrong key the relay answers 403 and stores nothing', async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${pageOrigin}/`);
        await page.evaluate((dsn) => window.startSentry(dsn), `http://wrong_key_0000000000000000@127.0.0.1:${t.port}/sentiero/1`);
        await page.click('#buy');
        const statuses = await waitFor(async () => {
          const s = await page.evaluate(() => window.sentryStatuses);
          return s.length ? s : undefined;
        }, { timeoutMs: 60_000, what: 'the relay\'s answer to the SDK' });
        assert.equal(statuses[0], 403);
        assert.deepEqual(await groups(t), []);
        assert.deepEqual(((await (await t.api('/api/sessions')).json()) as { sessions: unknown[] }).sessions, []);
      } finally {
        await context.close();
      }
    });
  });
});
