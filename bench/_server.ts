/**
 * The server side of the relay benchmarks, run as a child process so that its RSS is its own.
 * `BENCH_CHILD` says which server:
 * - `relay`: the Sentiero relay on a plain http.Server, with a LevelDB in a temp folder;
 * - `raw-ingest`: plain `ws` + `JSON.parse` + one LevelDB batch write per message, ack after it;
 * - `raw-fanout`: plain `ws` (its defaults) that sends every message received on `/ingest`,
 *   unchanged, to every socket on `/watch`;
 * - `raw-redis-ingest`: plain `ws` + `JSON.parse` + one Redis HSET per message (pipelined by
 *   ioredis), ack after it (`redis.url`); the events' JSON as it is, or compressed with the
 *   store's codec when `compression` is given.
 * With `redis` ({ url, prefix }), `relay` runs on that Redis (store and bus) instead of LevelDB;
 * `compression` then sets its `RedisStore`'s.
 * `deflate`, when given, replaces the permessage-deflate options of every WebSocketServer in
 * the process at upgrade time (to measure a setting on the relay without changing its code).
 * Sends `{ port }` once listening; on `"stop"`, closes and exits. `BENCH_PROBE=1` prints its event
 * loop's delay on stop, and `BENCH_PROFILE` writes a CPU profile (`_probe.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Level } from 'level';
import { type PerMessageDeflateOptions, WebSocketServer } from 'ws';
import { RedisStore, createRelay } from '@sentiero/relay';
import { type Compression, encodeBatchText, encodeBatchTextSync } from '../storage/src/codec.ts';
import { SYNC_ENCODE_BYTES } from '../storage/src/redis-store.ts';
import { RELAY_DEFLATE } from './_lib.ts';

/** What the parent asks for. */
export interface ServerSpec {
  mode: 'relay' | 'raw-ingest' | 'raw-fanout' | 'raw-redis-ingest';
  redis?: { url: string; prefix: string };
  deflate?: PerMessageDeflateOptions | false;
  limits?: Record<string, number>;
  token?: string;
  compression?: Compression;
}


const spec = JSON.parse(process.env.BENCH_CHILD ?? '{}') as ServerSpec;
const probe = process.env.BENCH_PROBE ? await import('./_probe.ts') : undefined;
const dir = mkdtempSync(path.join(tmpdir(), `bench-${spec.mode}-`));

if (spec.deflate !== undefined) {
  const handleUpgrade = WebSocketServer.prototype.handleUpgrade;
  const deflate = spec.deflate;
  WebSocketServer.prototype.handleUpgrade = function patched(this: WebSocketServer, ...args: Parameters<typeof handleUpgrade>) {
    this.options.perMessageDeflate = deflate;
    return handleUpgrade.apply(this, args);
  };
}

const server = createServer();
server.on('error', (err) => console.error(err));
let close: () => Promise<void>;

if (spec.mode === 'relay') {
  const where = spec.redis && spec.compression ? { store: new RedisStore({ ...spec.redis, compression: spec.compression }) } : spec.redis ? { redis: spec.redis } : { dataDir: dir };
  const relay = createRelay({ ...where, token: spec.token ?? 'bench-token-0123456789', limits: spec.limits ?? {}, logger: { info() {}, warn() {}, error: (m: string, err?: unknown) => console.error(m, err instanceof Error ? err.message : '') } });
  relay.attach(server);
  await relay.ready;
  close = () => relay.close();
} else if (spec.mode === 'raw-ingest') {
  const db = new Level<string, string>(dir);
  await db.open();
  const wss = new WebSocketServer({ server, perMessageDeflate: RELAY_DEFLATE, maxPayload: 4 * 1024 * 1024 });
  wss.on('connection', (ws) => {
    let n = 0;
    const id = Math.random().toString(36).slice(2);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; seq: number; events: unknown[] };
      if (m.t === 'hello') return ws.send('{"t":"welcome","ackedSeq":0}');
      const key = `${id}!${String(++n).padStart(10, '0')}`;
      db.batch([{ type: 'put', key, value: JSON.stringify(m.events) }]).then(() => ws.send(`{"t":"ack","seq":${m.seq}}`));
    });
    ws.on('error', () => {});
  });
  close = async () => {
    wss.close();
    await db.close();
  };
} else if (spec.mode === 'raw-redis-ingest') {
  const redis = new Redis(spec.redis!.url, { enableAutoPipelining: true });
  const wss = new WebSocketServer({ server, perMessageDeflate: RELAY_DEFLATE, maxPayload: 4 * 1024 * 1024 });
  wss.on('connection', (ws) => {
    const id = Math.random().toString(36).slice(2);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; seq: number; events: unknown[] };
      if (m.t === 'hello') return ws.send('{"t":"welcome","ackedSeq":0}');
      const json = JSON.stringify(m.events);
      const compression = spec.compression;
      // As the relay's RedisStore: small batches compressed on the event loop, large ones on the thread pool.
      const value = !compression ? Promise.resolve(json)
        : json.length <= SYNC_ENCODE_BYTES && compression !== 'brotli-window' ? Promise.resolve(Buffer.from(encodeBatchTextSync(Buffer.from(json), compression)))
          : encodeBatchText(Buffer.from(json), compression).then((v) => Buffer.from(v));
      void value.then((v) => redis.hset(`${spec.redis!.prefix}{${id}}`, String(m.seq), v)).then(() => ws.send(`{"t":"ack","seq":${m.seq}}`));
    });
    ws.on('error', () => {});
  });
  close = async () => {
    wss.close();
    await redis.quit();
  };
} else {
  const wss = new WebSocketServer({ server });
  const watchers = new Set<import('ws').WebSocket>();
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (req.url === '/watch') {
      watchers.add(ws);
      ws.on('close', () => watchers.delete(ws));
      return;
    }
    ws.on('message', (data) => {
      for (const w of watchers) w.send(data, { binary: false });
    });
  });
  close = async () => {
    wss.close();
  };
}

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
process.on('message', async (m) => {
  if (m !== 'stop') return;
  await probe?.report();
  server.closeAllConnections();
  server.close();
  await close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
process.on('disconnect', () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
