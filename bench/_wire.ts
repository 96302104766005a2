/**
 * Bytes on the wire per transport, for `recorder-overhead`: one CRM session with console and
 * network capture on, recorded three times against a small fake relay on 127.0.0.1 — over the
 * WebSocket (permessage-deflate with the relay's own settings, bytes counted on the TCP socket),
 * over the HTTP fallback (the WebSocket upgrade refused; POST bodies, gzip where the browser has
 * `CompressionStream`), and by the unload beacons of a page whose relay stopped acknowledging
 * (`stop()` after the batches were left unacknowledged for more than a second). Each is set
 * against the JSON of the events it carried.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { DEFAULT_RECORDER_CONFIG } from '@sentiero/protocol';
import { listen, waitFor } from '../test/helpers/net.ts';
import { RELAY_DEFLATE } from './_lib.ts';

/** How the recorder's events reach the fake relay. */
type Path = 'ws' | 'http' | 'beacon';

interface Tally { json: number; wire: number; messages: number; gzip: number }

/** The events' JSON inside a batch frame or an ingest POST body. */
const eventsJson = (text: string): number => {
  const at = text.indexOf('"events":');
  if (at < 0) return 0;
  const end = text.lastIndexOf(',"meta":');
  return Buffer.byteLength(text.slice(at + 9, end > at ? end : -1));
};

async function record(browser: Browser, html: string, recorderJs: string, path: Path): Promise<Tally> {
  const tally: Tally = { json: 0, wire: 0, messages: 0, gzip: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string): void => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/rec.js') return send('text/javascript', recorderJs);
    if (url.pathname === '/page') return send('text/html', html);
    if (url.pathname === '/api/ping') return send('application/json', '{"ok":true}');
    if (req.method === 'POST' && url.pathname === '/sentiero/ingest') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const gz = body[0] === 0x1f && body[1] === 0x8b;
        const text = (gz ? gunzipSync(body) : body).toString('utf8');
        tally.wire += body.length;
        tally.json += eventsJson(text);
        tally.messages++;
        if (gz) tally.gzip++;
        const seq = (JSON.parse(text) as { seq: number }).seq;
        send('application/json', JSON.stringify({ ack: seq }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: RELAY_DEFLATE });
  wss.on('connection', (ws, req: IncomingMessage) => {
    const socket = req.socket;
    const handshake = socket.bytesRead;
    ws.on('message', (data) => {
      const text = String(data);
      const m = JSON.parse(text) as { t: string; seq?: number };
      if (m.t === 'hello') ws.send(JSON.stringify({ t: 'welcome', ackedSeq: 0, config: DEFAULT_RECORDER_CONFIG }));
      else if (m.t === 'batch' && path === 'ws') {
        tally.json += eventsJson(text);
        tally.messages++;
        ws.send(`{"t":"ack","seq":${m.seq}}`);
      }
    });
    if (path === 'ws') ws.on('close', () => { tally.wire += socket.bytesRead - handshake; });
  });
  server.on('upgrade', (req, socket, head) => {
    if (path === 'http') socket.destroy();
    else wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const port = await listen(server);
  const context = await browser.newContext();
  try {
    const p: Page = await context.newPage();
    await p.goto(`http://127.0.0.1:${port}/page`);
    const stats = () => p.evaluate(() => (window as any).Sentiero.getStats() as { mode: string; pending: number; queued: number });
    if (path === 'http') await waitFor(async () => (await stats()).mode === 'http', { what: 'the HTTP fallback', timeoutMs: 30_000 });
    await p.evaluate(async () => {
      const w = (window as any).__workloads['crm-session'];
      await w.setup();
      await w.run(document.getElementById('bench'));
    });
    if (path === 'beacon') {
      // The relay has stopped acknowledging: the batches wait, are gzipped in the background, and go as beacons when the page does.
      await p.waitForTimeout(1700);
      await p.evaluate(() => (window as any).Sentiero.stop());
      let seen = -1;
      await waitFor(async () => {
        await new Promise((r) => setTimeout(r, 700));
        const done = tally.messages === seen && seen > 0;
        seen = tally.messages;
        return done;
      }, { what: 'the beacons', timeoutMs: 30_000 });
    } else {
      await p.evaluate(() => (window as any).__settle(300));
      await p.close();
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await context.close();
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  return tally;
}

/** Records the CRM session once per transport; returns the table's lines. */
export async function measureWireBytes(browser: Browser, o: { page: string; recorderJs: string }): Promise<string[]> {
  const lines = [
    '| transport (CRM session, capture on) | messages | gzip | events JSON bytes | bytes on the wire | wire / JSON |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const names: Record<Path, string> = { ws: 'WebSocket (permessage-deflate)', http: 'HTTP fallback (POST)', beacon: 'unload beacons (relay not acknowledging)' };
  for (const path of ['ws', 'http', 'beacon'] as const) {
    const t = await record(browser, o.page, o.recorderJs, path);
    lines.push(`| ${names[path]} | ${t.messages} | ${path === 'ws' ? '—' : t.gzip} | ${t.json} | ${t.wire} | ${(t.wire / t.json).toFixed(3)} (goal ≤ 0.10) |`);
  }
  return lines;
}
