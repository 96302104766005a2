/**
 * A Next.js custom server with the Sentiero relay attached to its `http.Server`. The relay
 * answers under `/sentiero` (requests and sockets) before Next sees them; Next gets the server
 * through `nextHttpServer()`, so that its own upgrade listener (which ends any upgrade one of
 * its routes matches, e.g. a root catch-all) never sees the relay's sockets.
 * Run: `npm run build && npx next build examples/next && node --conditions=development
 * --import tsx examples/next/server.ts` (PORT, default 3000; NODE_ENV=development for `next dev`).
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import nextModule from 'next';
import { type Relay, type RelayOptions, createRelay, nextHttpServer } from '@sentiero/relay';

// `next` is CommonJS: in ESM its default export is the factory itself, which its types call `.default`.
const next = nextModule as unknown as typeof nextModule.default;

/** Where the Next app (app/, next.config.mjs) is. */
export const NEXT_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Prepares Next (`dev: false` needs a `next build` first) and returns its server with the relay attached; listen on it yourself. */
export async function createNextServer({ dev = false, relayOptions = {} }: { dev?: boolean; relayOptions?: RelayOptions } = {}): Promise<{ server: Server; relay: Relay; closeNext(): Promise<void> }> {
  let handle: ReturnType<ReturnType<typeof next>['getRequestHandler']> | undefined;
  const server = createServer((req, res) => void handle!(req, res));
  const relay = createRelay(relayOptions);
  relay.attach(server);
  const app = next({ dev, dir: NEXT_DIR, quiet: true, httpServer: nextHttpServer(server, relay) });
  await app.prepare();
  handle = app.getRequestHandler();
  return { server, relay, closeNext: () => app.close() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { server, relay } = await createNextServer({ dev: process.env.NODE_ENV === 'development' });
  await relay.ready;
  server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    console.log(`app:       http://127.0.0.1:${port}/`);
    console.log(`dashboard: http://127.0.0.1:${port}${relay.basePath}/#token=${relay.token}`);
  });
  process.once('SIGINT', () => { void relay.close(); server.close(); server.closeAllConnections(); });
}
