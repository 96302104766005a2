/**
 * Hono on Node through @hono/node-server, with the Sentiero relay attached to the
 * `http.Server` it creates: no adapter needed. The app keeps its own WebSocket route
 * (`/echo`) next to the relay's sockets. Run: `npm run build && node --conditions=development
 * --import tsx examples/hono/server.ts` (PORT, default 3000).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer, upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import { type Relay, type RelayOptions, createRelay } from '@sentiero/relay';

/** A page with the recorder, as every example serves it. */
export const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Sentiero + Hono</title>
<script src="/sentiero/recorder.js"></script><script>Sentiero.start()</script></head>
<body><h1>Sentiero + Hono</h1><label>Name <input id="name"></label></body></html>`;

/** The Hono app: the page, `GET /hello`, and a WebSocket echo at `/echo`. */
export function createApp(): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html(PAGE));
  app.get('/hello', (c) => c.text('hi from the app'));
  app.get('/echo', upgradeWebSocket(() => ({ onMessage: (event, ws) => ws.send(String(event.data)) })));
  return app;
}

/** The Node server with the relay attached; listen on it yourself, close the relay on shutdown. */
export function createHonoServer(relayOptions: RelayOptions = {}): { server: Server; relay: Relay } {
  const app = createApp();
  const server = createAdaptorServer({ fetch: app.fetch, websocket: { server: new WebSocketServer({ noServer: true }) } }) as Server;
  const relay = createRelay(relayOptions);
  relay.attach(server);
  return { server, relay };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { server, relay } = createHonoServer();
  await relay.ready;
  server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    console.log(`app:       http://127.0.0.1:${port}/`);
    console.log(`dashboard: http://127.0.0.1:${port}${relay.basePath}/#token=${relay.token}`);
  });
  process.once('SIGINT', () => { server.close(); server.closeAllConnections(); void relay.close(); });
}
