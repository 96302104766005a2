/** Starts a real relay on a real http.Server on 127.0.0.1, with a LevelDB in a temp folder unless told otherwise. */
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { type Relay, type RelayOptions, createRelay } from '@sentiero/relay';
import { listen } from './net.ts';

/** A running relay and what a test needs to talk to it. */
export interface TestRelay {
  relay: Relay;
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `http://127.0.0.1:<port>/sentiero` */
  base: string;
  dataDir: string;
  /** GET/POST/DELETE under the base with the viewer token (pass `token: null` for none). */
  api(pathname: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** Opens a WebSocket under the base (`/ingest` or `/watch`). */
  socket(pathname: string, headers?: Record<string, string>): Promise<WebSocket>;
  close(): Promise<void>;
}

/** Starts a relay; `app` is the app's own request listener (default: 200 "app"). */
export async function startRelay(options: RelayOptions = {}, app?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<TestRelay> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-test-'));
  const relay = createRelay({ dataDir: options.store ? undefined : dataDir, token: 'test-viewer-token-0123456789', ingestKey: 'test_ingest_key_0123456789', ...options });
  const server = createServer(app ?? ((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('app'); }));
  relay.attach(server);
  await relay.ready;
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  const base = `${origin}${relay.basePath}`;
  const sockets = new Set<WebSocket>();
  return {
    relay, server, port, origin, base, dataDir,
    api(pathname, init = {}) {
      const { token = relay.token, ...rest } = init;
      const headers: Record<string, string> = { ...(rest.headers as Record<string, string>) };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      return fetch(`${base}${pathname}`, { ...rest, headers });
    },
    socket(pathname, headers = {}) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${relay.basePath}${pathname}`, { headers });
      sockets.add(ws);
      return new Promise((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      });
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      // The relay first: it closes the sockets browsers still hold, which server.close() would wait for.
      await relay.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects the parsed messages of a socket and lets a test wait for one that matches. */
export class Inbox {
  readonly messages: Array<Record<string, unknown>> = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(String(d)));
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits for a message for which `match` is true (searching those already received too). */
  async next(match: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before the message came`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a message');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  /** Waits for the socket to close and returns the code and reason. */
  async closedWith(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the socket to close');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
    return this.closed;
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }
}

/** A realistic sequence of rrweb events for tests: the shared fixture (854 events of a real page). */
export async function fixtureEvents(): Promise<Array<{ type: number; timestamp: number; data: unknown }>> {
  const { readFile } = await import('node:fs/promises');
  const file = new URL('../../../shared/fixtures/acme-crm-45s.rrweb.json', import.meta.url);
  return JSON.parse(await readFile(file, 'utf8'));
}
