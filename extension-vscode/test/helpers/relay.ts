/** A real relay on a fixed port and data folder, so that a test can stop it and start it again where clients expect it. */
import { type RequestListener, type Server, createServer } from 'node:http';
import { WebSocket } from 'ws';
import { type Relay, type RelayOptions, createRelay } from '@sentiero/relay';
import { DEMO_DIST, createApp } from '../../../examples/demo/src/app.ts';
import { listen } from '../../../test/helpers/net.ts';
import { Inbox } from '../../../test/helpers/relay.ts';

/** The viewer token of the test relays. */
export const TOKEN = 'vscode-test-viewer-token-0123456789';

/** A running relay. */
export interface RunningRelay {
  relay: Relay;
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>/sentiero` */
  base: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Stops the server and closes the store (the data folder stays). */
  stop(): Promise<void>;
}

/** Starts a relay on `port` (0: any free one) with its LevelDB in `dataDir`, in front of `app` (default: 404 for everything else). */
export async function startRelayAt(port: number, dataDir: string, options: RelayOptions = {}, app?: RequestListener): Promise<RunningRelay> {
  const relay = createRelay({ dataDir, token: TOKEN, ingestKey: 'vscode_test_ingest_key_0123456789', ...options });
  const server = createServer(app ?? ((_req, res) => {
    res.writeHead(404);
    res.end();
  }));
  relay.attach(server);
  await relay.ready;
  let actual = port;
  if (port) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } else {
    actual = await listen(server);
  }
  return {
    relay, server, port: actual, base: `http://127.0.0.1:${actual}${relay.basePath}`, origin: `http://127.0.0.1:${actual}`,
    async stop() {
      // The relay closes its sockets (watchers get 1001); only then can the server finish closing.
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await relay.close();
      await closed;
    },
  };
}

/** Records a small session through the ingest socket, as a recorder would; returns the open socket (the session is live while it is). */
export async function recordSession(r: RunningRelay, sessionId: string, url = 'http://127.0.0.1/page'): Promise<Inbox> {
  const ws = new WebSocket(`ws://127.0.0.1:${r.port}${r.relay.basePath}/ingest`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const inbox = new Inbox(ws);
  const now = Date.now();
  inbox.send({ t: 'hello', v: 1, sessionId, windowId: `${sessionId}-w1`, lastSeq: 0, meta: { url, userAgent: 'Mozilla/5.0 test', startedAt: now } });
  await inbox.next((m) => m.t === 'welcome');
  inbox.send({ t: 'batch', seq: 1, events: [{ type: 4, timestamp: now, data: { href: url, width: 800, height: 600 } }] });
  await inbox.next((m) => m.t === 'ack');
  return inbox;
}

/**
 * The demo app (its pages record themselves, their script is minified with a source map the
 * relay reads, and `/api/fail` reports to the relay) in front of a relay on `port`, with its
 * LevelDB in `dataDir`.
 */
export async function startDemoAt(port: number, dataDir: string, options: RelayOptions = {}): Promise<RunningRelay> {
  let started: RunningRelay | undefined;
  const app = createApp({ relay: { captureException: (err, context) => started!.relay.captureException(err, context) } });
  started = await startRelayAt(port, dataDir, { sourceMapsDir: DEMO_DIST, ...options }, app);
  return started;
}
