/**
 * The relay on a Next.js custom server (examples/next), after a real `next build` (about a
 * minute and a half on this machine, hence a long test): the app and a root catch-all route
 * still answer, ingest, REST and watch work through the server, and a real page is recorded;
 * then the same in `dev: true`, next to Next's HMR socket.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MemoryStore } from '@sentiero/relay';
import { NEXT_DIR, createNextServer } from '../../examples/next/server.ts';
import { launchChromium } from '../../test/helpers/browser.ts';
import { listen, waitFor } from '../../test/helpers/net.ts';
import { checkHost } from './host-check.ts';

const TOKEN = 'next-test-token-0123456789';

describe('relay on a Next.js custom server', function () {
  this.timeout(600_000);
  before(() => {
    const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('next/package.json')), 'dist/bin/next');
    execFileSync(process.execPath, [bin, 'build', NEXT_DIR], { env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: 'pipe' });
  });

  it('answers its own routes and the relay’s, and records a page rendered by Next', async () => {
    const { server, relay, closeNext } = await createNextServer({ relayOptions: { store: new MemoryStore(), token: TOKEN } });
    const port = await listen(server);
    const origin = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      // The first request makes Next add its own upgrade listener; the sockets checked after it must survive it.
      assert.match(await (await fetch(`${origin}/docs/a/b`)).text(), /docs\/a\/b/, 'the root catch-all route');
      await checkHost(origin, TOKEN);

      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      await page.fill('#name', 'Ada');
      const sessionId = (await page.waitForFunction(() => (window as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__?.sessionId).then((h) => h.jsonValue()))!;
      await waitFor(async () => ((await relay.store.getSession(sessionId))?.eventCount ?? 0) >= 2, { what: 'the page’s session in the relay' });
    } finally {
      await browser.close();
      await relay.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await closeNext();
    }
  });

  it('in dev mode too, where Next\'s HMR socket still opens through nextHttpServer (in a process of its own)', () => {
    execFileSync(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(import.meta.dirname, 'fixtures/next-dev-check.ts')], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: 'pipe',
    });
  });
});
