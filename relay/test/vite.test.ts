/** The Vite plugin on a real Vite dev server, with a real Chromium page: the session is recorded and HMR keeps working. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { InlineConfig, Logger, ViteDevServer } from 'vite';
import { WebSocket } from 'ws';
import { sentieroVite, resolveViteOptions } from '@sentiero/relay/vite';
import { launchChromium } from '../../test/helpers/browser.ts';
import { listen, waitFor } from '../../test/helpers/net.ts';

// A dynamic import: with a static one, Vite's build under mocha fails in its manifest plugin (no HTML output); this way it does not.
const { build, createLogger, createServer } = await import('vite');

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/vite');
const TOKEN = 'vite-test-token-0123456789';

/** A copy of examples/vite in a temp folder (the test edits it and the relay writes its LevelDB there). */
function copyExample(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sentiero-vite-'));
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.endsWith('vite.config.ts') });
  return dir;
}

/** A Vite logger that keeps what it is told. */
function recordingLogger(): Logger & { lines: string[] } {
  const base = createLogger('silent');
  const lines: string[] = [];
  return { ...base, lines, info: (m) => { lines.push(m); }, warn: (m) => { lines.push(m); }, error: (m) => { lines.push(m); } };
}

describe('Vite plugin', function () {
  this.timeout(120_000);
  let browser: Browser;
  let root: string;
  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });
  beforeEach(() => { root = copyExample(); });
  afterEach(() => { rmSync(root, { recursive: true, force: true }); });

  const inline = (extra: InlineConfig = {}): InlineConfig => ({ root, configFile: false, logLevel: 'silent', ...extra });

  describe('vite dev', () => {
    let server: ViteDevServer;
    afterEach(async () => { await server?.close(); });

    it('records the page Vite serves, in a LevelDB under the root, and HMR still updates it', async () => {
      const logger = recordingLogger();
      const plugin = sentieroVite({ relay: { token: TOKEN } });
      server = await createServer(inline({ plugins: [plugin], customLogger: logger, server: { port: 0, host: '127.0.0.1', strictPort: false } }));
      await server.listen();
      const origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '');

      assert.ok(logger.lines.some((l) => l.includes(`/sentiero/#token=${TOKEN}`)), 'the dashboard URL with the token is printed');
      assert.equal(plugin.api.dashboardUrl, `${origin}/sentiero/#token=${TOKEN}`);

      const page = await browser.newPage();
      const hmrSockets: string[] = [];
      page.on('websocket', (ws) => hmrSockets.push(ws.url()));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => document.body.dataset.message === 'Hello from Vite');
      const sessionId = await page.waitForFunction(() => (window as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__?.sessionId).then((h) => h.jsonValue());
      await page.fill('#name', 'Ada');

      const session = await waitFor(async () => {
        const res = await fetch(`${origin}/sentiero/api/sessions/${sessionId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { eventCount: number };
        return body.eventCount >= 2 ? body : undefined;
      }, { what: 'the session to reach the relay', timeoutMs: 30_000 });
      assert.ok(session.eventCount >= 2);
      assert.ok(readdirSync(path.join(root, '.sentiero-data')).length > 0, 'the LevelDB is in <root>/.sentiero-data');
      assert.equal((await fetch(`${origin}/sentiero/api/sessions`)).status, 401);

      // A watch socket through Vite's server, next to Vite's own HMR socket.
      const watch = new WebSocket(`${origin.replace('http', 'ws')}/sentiero/watch`);
      await new Promise((resolve, reject) => { watch.once('open', resolve); watch.once('error', reject); });
      watch.close();
      assert.ok(hmrSockets.some((u) => new URL(u).pathname === '/'), `Vite's HMR socket opened (${hmrSockets.join(', ')})`);
      assert.ok(hmrSockets.some((u) => u.endsWith('/sentiero/ingest')), 'the recorder socket opened');

      writeFileSync(path.join(root, 'main.js'), readFileSync(path.join(root, 'main.js'), 'utf8').replace("'Hello from Vite'", "'Hello again'"));
      await page.waitForFunction(() => document.body.dataset.message === 'Hello again', undefined, { timeout: 30_000 });
      assert.equal(await page.evaluate(() => (window as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__?.sessionId), sessionId, 'an HMR update is not a reload: the same recording goes on');
      await page.close();
    });

    it('closes the relay when the dev server closes, so the next server opens the same LevelDB, with the same kept token', async () => {
      const plugin = sentieroVite();
      server = await createServer(inline({ plugins: [plugin], server: { port: 0, host: '127.0.0.1' } }));
      await server.listen();
      const relay = plugin.api.relay!;
      await relay.ready;
      assert.equal(readFileSync(path.join(root, '.sentiero-data', 'dev-token'), 'utf8'), relay.token);
      await server.close();
      const second = sentieroVite();
      server = await createServer(inline({ plugins: [second], server: { port: 0, host: '127.0.0.1' } }));
      await server.listen();
      await second.api.relay!.ready;
      assert.equal(second.api.relay!.token, relay.token, 'a token pasted into the DevTools panel stays valid');
      const before = second.api.relay!;
      await server.restart();
      assert.notEqual(second.api.relay, before, 'a restart makes a new relay');
      await second.api.relay!.ready;
    });

    it('in middleware mode, serves the relay through Vite\'s middlewares', async () => {
      const plugin = sentieroVite({ relay: { token: TOKEN } });
      server = await createServer(inline({ plugins: [plugin], server: { middlewareMode: true } }));
      const host = createHttpServer(server.middlewares);
      const port = await listen(host);
      try {
        await plugin.api.relay!.ready;
        const script = await fetch(`http://127.0.0.1:${port}/sentiero/recorder.js`);
        assert.match(script.headers.get('content-type') ?? '', /javascript/);
        assert.equal((await fetch(`http://127.0.0.1:${port}/sentiero/api/sessions`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      } finally {
        host.closeAllConnections();
        await new Promise((r) => host.close(r));
      }
    });

    it('with inject: false, serves the relay but leaves the HTML alone', async () => {
      server = await createServer(inline({ plugins: [sentieroVite({ inject: false, relay: { token: TOKEN } })], server: { port: 0, host: '127.0.0.1' } }));
      await server.listen();
      const origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
      const html = await (await fetch(`${origin}/`)).text();
      assert.doesNotMatch(html, /recorder\.js|Sentiero\.start/);
      const script = await fetch(`${origin}/sentiero/recorder.js`);
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type') ?? '', /javascript/, 'the relay answers, not Vite\'s HTML fallback');
    });
  });

  describe('vite build', () => {
    const built = async (options?: Parameters<typeof sentieroVite>[0]) => {
      const outDir = path.join(root, 'dist');
      await build(inline({ plugins: [sentieroVite(options)], build: { outDir, emptyOutDir: true } }));
      return readFileSync(path.join(outDir, 'index.html'), 'utf8');
    };

    it('holds no recorder unless asked', async () => {
      const html = await built();
      assert.match(html, /<h1>Sentiero \+ Vite<\/h1>/);
      assert.doesNotMatch(html, /recorder\.js|Sentiero\.start/);
    });

    it('with build.relayUrl, holds the recorder pointed at that relay, with the recorder options', async () => {
      const html = await built({ build: { relayUrl: 'https://relay.example/sentiero' }, recorder: { linkRequests: true, maskTextSelector: '</script>' } });
      assert.match(html, /<script src="https:\/\/relay\.example\/sentiero\/recorder\.js"><\/script>\s*<script>Sentiero\.start\(\{"linkRequests":true,"maskTextSelector":"\\u003c\/script>"\}\)<\/script>/);
    });
  });

  it('checks its options', () => {
    assert.throws(() => resolveViteOptions({ build: { relayUrl: 'relay.example' } }), { name: 'TypeError', message: /"build\.relayUrl"/ });
    assert.throws(() => resolveViteOptions({ recorder: { onError() {} } as never }), { name: 'TypeError', message: /"recorder\.onError"/ });
    assert.throws(() => resolveViteOptions({ inject: 'yes' as never }), { name: 'TypeError', message: /"inject"/ });
    assert.throws(() => sentieroVite({ relay: { basePath: 'nope' } }), { name: 'TypeError', message: /"basePath"/ });
  });
});
