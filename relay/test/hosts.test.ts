/** The relay on more hosts, each through its example in examples/: the app still answers, and ingest, REST and watch work through its server. */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { MemoryStore, createRelay, nextHttpServer } from '@sentiero/relay';
import { createHonoServer } from '../../examples/hono/server.ts';
import { type NestPlatform, createNestServer } from '../../examples/nest/server.ts';
import { listen } from '../../test/helpers/net.ts';
import { Inbox } from '../../test/helpers/relay.ts';
import { checkHost } from './host-check.ts';

const TOKEN = 'host-test-token-0123456789';

describe('relay on more hosts', () => {
  it('Hono on @hono/node-server, attached to the server it creates, next to its own WebSocket route', async () => {
    const { server, relay } = createHonoServer({ store: new MemoryStore(), token: TOKEN });
    const port = await listen(server);
    try {
      await checkHost(`http://127.0.0.1:${port}`, TOKEN);
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.match(page, /<script src="\/sentiero\/recorder\.js"><\/script>/);
      const echo = new Inbox(new WebSocket(`ws://127.0.0.1:${port}/echo`));
      await new Promise((resolve, reject) => { echo.ws.once('open', resolve); echo.ws.once('error', reject); });
      echo.send({ t: 'ping' });
      assert.deepEqual(await echo.next((m) => m.t === 'ping'), { t: 'ping' }, "the app's own WebSocket still works");
      echo.ws.close();
    } finally {
      await relay.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  for (const platform of ['express', 'fastify'] as NestPlatform[]) {
    it(`NestJS on the ${platform} platform, attached to app.getHttpServer()`, async () => {
      const { app, relay } = await createNestServer(platform, { store: new MemoryStore(), token: TOKEN });
      await app.listen(0, '127.0.0.1');
      const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
      try {
        await checkHost(`http://127.0.0.1:${port}`, TOKEN);
        const page = await fetch(`http://127.0.0.1:${port}/`);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
        assert.match(await page.text(), /Sentiero\.start\(\)/);
      } finally {
        await relay.close();
        await app.close();
      }
    });
  }

  it('nextHttpServer: an upgrade listener added through it, which ends every upgrade (as Next does for a path its routes match), never sees the relay’s', async () => {
    const server = createServer((_req, res) => res.end('hi from the app'));
    const relay = createRelay({ store: new MemoryStore(), token: TOKEN });
    relay.attach(server);
    const seen: string[] = [];
    nextHttpServer(server, relay).on('upgrade', (req: { url: string }, socket: { end(): void }) => {
      seen.push(req.url);
      socket.end();
    });
    const port = await listen(server);
    try {
      await checkHost(`http://127.0.0.1:${port}`, TOKEN);
      const other = new WebSocket(`ws://127.0.0.1:${port}/_next/hmr`);
      await new Promise((r) => other.once('close', r).once('error', () => undefined));
      assert.deepEqual(seen, ['/_next/hmr'], 'other upgrades still reach the listener');
    } finally {
      await relay.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
