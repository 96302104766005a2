/** The relay attached to servers of the common Node frameworks, unchanged: their routes keep working, and ours answer. */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { type Relay, MemoryStore, createRelay } from '@sentiero/relay';
import { listen } from '../../test/helpers/net.ts';
import { checkHost } from './host-check.ts';

const TOKEN = 'framework-test-token-0123456789';

function check(port: number): Promise<void> {
  return checkHost(`http://127.0.0.1:${port}`, TOKEN);
}

describe('relay under frameworks', () => {
  let relay: Relay;
  let close: () => Promise<void>;
  beforeEach(() => { relay = createRelay({ store: new MemoryStore(), token: TOKEN }); });
  afterEach(async () => {
    await close();
    await relay.close();
  });

  const closeServer = (server: Server) => () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };

  it('plain node:http', async () => {
    const server = createServer((req, res) => res.end(req.url === '/hello' ? 'hi from the app' : 'nope'));
    relay.attach(server);
    close = closeServer(server);
    await check(await listen(server));
  });

  it('Express, attached to its server', async () => {
    const app = express();
    app.get('/hello', (_req, res) => { res.send('hi from the app'); });
    const server = createServer(app);
    relay.attach(server);
    close = closeServer(server);
    await check(await listen(server));
  });

  it('Express, as middleware plus handleUpgrade', async () => {
    const app = express();
    app.use(relay.handler);
    app.get('/hello', (_req, res) => { res.send('hi from the app'); });
    const server = createServer(app);
    server.on('upgrade', (req, socket, head) => {
      if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
    });
    close = closeServer(server);
    await check(await listen(server));
  });

  it('Fastify, attached to fastify.server', async () => {
    const app = Fastify();
    app.get('/hello', async () => 'hi from the app');
    relay.attach(app.server);
    await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
    await check((app.server.address() as AddressInfo).port);
  });

  it('Koa, attached to the server app.listen() returns', async () => {
    const app = new Koa();
    app.use((ctx) => {
      if (ctx.path === '/hello') ctx.body = 'hi from the app';
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    relay.attach(server);
    close = closeServer(server);
    await check((server.address() as AddressInfo).port);
  });
});
