/**
 * Ingest: Sentiero's figures beside the raw limits measured in the same run.
 *
 * 1. Ingest throughput: events per second through the relay into LevelDB with acks, beside
 *    plain `ws` + `JSON.parse` + LevelDB batch writes with no other logic, with the same
 *    permessage-deflate options as the relay's sockets and the same client (goal ratio ≥ 0.85).
 * 2. Storage: bytes on disk beside the raw JSON bytes of the same events (goal ≤ 0.15).
 * 3. HTTP ingest (the recorder's fallback and its beacons): events per second posted to the
 *    relay, beside a plain Node HTTP server + `JSON.parse` + the same LevelDB write, and beside
 *    the relay given the same bodies with one space after the opening brace, which it parses
 *    whole and serialises again instead of keeping the events' text (`parseIngestPost`).
 *    `BENCH_HTTP=off` leaves this part out.
 *
 * The events are the shared fixture (a real 45 s rrweb recording) repeated with shifted
 * timestamps, batched as the recorder batches them (≤ 50 events or 1 s per batch).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Level } from 'level';
import { WebSocketServer } from 'ws';
import { LevelStore, createRelay } from '@sentiero/relay';
import { type Ev, RELAY_DEFLATE, fixtureEvents, loadLine, median } from './_lib.ts';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 12);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WINDOW = 16;
/** Requests in flight at once in the HTTP part (a page's fallback sends one batch at a time; a few pages at once). */
const HTTP_WINDOW = 4;

function loadBatches(): { batches: Ev[][]; rawBytes: number; events: number } {
  const base = fixtureEvents();
  const span = base[base.length - 1]!.timestamp - base[0]!.timestamp + 1000;
  const all: Ev[] = [];
  for (let r = 0; r < REPEAT; r++) for (const e of base) all.push({ ...e, timestamp: e.timestamp + r * span });
  const batches: Ev[][] = [];
  let cur: Ev[] = [];
  for (const e of all) {
    if (cur.length && (cur.length >= 50 || e.timestamp - cur[0]!.timestamp >= 1000)) {
      batches.push(cur);
      cur = [];
    }
    cur.push(e);
  }
  if (cur.length) batches.push(cur);
  return { batches, rawBytes: Buffer.byteLength(JSON.stringify(all)), events: all.length };
}

function duKb(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** Posts `bodies` to `url` from a worker, `HTTP_WINDOW` at a time; resolves to the ms it took. */
function post(url: string, bodies: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./ingest-http-client.js', import.meta.url), { workerData: { url, bodies, window: HTTP_WINDOW } });
    w.once('message', (m: { ms: number }) => resolve(m.ms));
    w.once('error', reject);
  });
}

function drive(url: string, frames: string[], hello: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./ingest-client.js', import.meta.url), { workerData: { url, frames, window: WINDOW, hello } });
    w.once('message', (m: { ms: number }) => resolve(m.ms));
    w.once('error', reject);
  });
}

/** Plain ws + JSON.parse + one LevelDB batch write per message, ack after the write. */
async function raw(frames: string[]): Promise<{ ms: number; kb: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-raw-'));
  const db = new Level<string, string>(dir);
  await db.open();
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: RELAY_DEFLATE, maxPayload: 8 * 1024 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { seq: number; events: unknown[] };
      const key = `s!w!${String(m.seq).padStart(10, '0')}`;
      db.batch([{ type: 'put', key, value: JSON.stringify(m.events) }]).then(() => ws.send(`{"t":"ack","seq":${m.seq}}`));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const ms = await drive(`ws://127.0.0.1:${port}/`, frames, '');
  wss.close();
  server.close();
  await db.close();
  const kb = duKb(dir);
  rmSync(dir, { recursive: true, force: true });
  return { ms, kb };
}

/** The relay with its LevelStore, through the real ingest socket. */
async function product(frames: string[], round: number): Promise<{ ms: number; kb: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-relay-'));
  const compression = process.env.BENCH_COMPRESSION as 'brotli' | 'gzip' | 'none' | undefined;
  const relay = createRelay({
    ...(compression ? { store: new LevelStore({ location: dir, compression }) } : { dataDir: dir }),
    limits: { maxMessagesPerSecond: 1_000_000 },
    // BENCH_ANALYTICS=off: no digests (bench/analytics.ts compares both).
    analytics: process.env.BENCH_ANALYTICS !== 'off',
  });
  const server = createServer();
  relay.attach(server);
  await relay.ready;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const hello = JSON.stringify({ t: 'hello', v: 1, sessionId: `bench-${round}`, windowId: 'w1', lastSeq: 0, meta: { url: 'http://bench/', userAgent: 'bench', startedAt: 0 } });
  const ms = await drive(`ws://127.0.0.1:${port}/sentiero/ingest`, frames, hello);
  server.close();
  await relay.close();
  const kb = duKb(dir);
  rmSync(dir, { recursive: true, force: true });
  return { ms, kb };
}

/** Plain Node HTTP + JSON.parse + one LevelDB batch write per request, answered after the write. */
async function rawHttp(bodies: string[]): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-raw-http-'));
  const db = new Level<string, string>(dir);
  await db.open();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sessionId: string; windowId: string; seq: number; events: unknown[] };
      const key = `${m.sessionId}!${m.windowId}!${String(m.seq).padStart(10, '0')}`;
      db.batch([{ type: 'put', key, value: JSON.stringify(m.events) }]).then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"ack":${m.seq}}`);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ms = await post(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, bodies);
  server.closeAllConnections();
  server.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

/** The relay with its LevelStore, through `POST /ingest`. */
async function productHttp(bodies: string[]): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-relay-http-'));
  const relay = createRelay({ dataDir: dir, limits: { maxMessagesPerSecond: 1_000_000 }, analytics: process.env.BENCH_ANALYTICS !== 'off' });
  const server = createServer();
  relay.attach(server);
  await relay.ready;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ms = await post(`http://127.0.0.1:${(server.address() as { port: number }).port}/sentiero/ingest`, bodies);
  server.closeAllConnections();
  server.close();
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const { batches, rawBytes, events } = loadBatches();
const rawFrames = batches.map((events, i) => JSON.stringify({ seq: i + 1, events }));
const relayFrames = batches.map((events, i) => JSON.stringify({ t: 'batch', seq: i + 1, events }));
console.log(`ingest: ${events} events in ${batches.length} batches (${(rawBytes / 1e6).toFixed(1)} MB of JSON), ${ROUNDS} rounds, up to ${WINDOW} batches in flight; ${loadLine()}`);

const rawMs: number[] = [];
const relayMs: number[] = [];
let rawKb = 0;
let relayKb = 0;
// BENCH_ONLY=relay runs the relay side alone (for `node --cpu-prof`).
const only = process.env.BENCH_ONLY;
for (let r = 0; r < ROUNDS; r++) {
  const a = only === 'relay' ? { ms: NaN, kb: NaN } : await raw(rawFrames);
  const b = only === 'raw' ? { ms: NaN, kb: NaN } : await product(relayFrames, r);
  rawMs.push(a.ms);
  relayMs.push(b.ms);
  rawKb = a.kb;
  relayKb = b.kb;
}
const rawRate = events / (median(rawMs) / 1000);
const relayRate = events / (median(relayMs) / 1000);
console.log('');
console.log('| measure | Sentiero relay | raw limit | ratio | goal | met |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(`| events/s into LevelDB with acks | ${Math.round(relayRate)} | ${Math.round(rawRate)} (ws + JSON.parse + level batch) | ${(relayRate / rawRate).toFixed(2)} | ≥ 0.85 | ${relayRate / rawRate >= 0.85 ? 'yes' : 'no'} |`);
console.log(`| bytes on disk | ${relayKb * 1024} | ${rawBytes} (raw JSON) | ${((relayKb * 1024) / rawBytes).toFixed(3)} | ≤ 0.15 | ${(relayKb * 1024) / rawBytes <= 0.15 ? 'yes' : 'no'} |`);
console.log(`| (raw baseline's own LevelDB folder) | | ${rawKb * 1024} | ${((rawKb * 1024) / rawBytes).toFixed(3)} | | |`);

if (process.env.BENCH_HTTP !== 'off' && !only) {
  // As the recorder's postBody writes them (recorder/src/transport.ts), the first of each window with its meta.
  const meta = JSON.stringify({ url: 'http://bench/', userAgent: 'bench', startedAt: 0 });
  const bodiesOf = (round: number, open: string) => batches.map((evs, i) =>
    `${open}"sessionId":"bench-http-${round}","windowId":"w1","seq":${i + 1},"events":${JSON.stringify(evs)}${i === 0 ? `,"meta":${meta}` : ''}}`);
  const rawHttpMs: number[] = [];
  const keptMs: number[] = [];
  const wholeMs: number[] = [];
  // Whichever of the two relay runs goes second in a round is faster (a warmer process): they take turns.
  for (let r = 0; r < ROUNDS; r++) {
    rawHttpMs.push(await rawHttp(bodiesOf(r, '{')));
    const kept = async () => keptMs.push(await productHttp(bodiesOf(r, '{')));
    const whole = async () => wholeMs.push(await productHttp(bodiesOf(r, '{ ')));
    if (r % 2) await whole().then(kept);
    else await kept().then(whole);
  }
  const rate = (ms: number[]) => events / (median(ms) / 1000);
  console.log('');
  console.log(`HTTP ingest: the same batches posted, ${HTTP_WINDOW} requests in flight, ${ROUNDS} rounds (median)`);
  console.log('');
  console.log('| measure | Sentiero relay | raw limit | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| events/s posted into LevelDB | ${Math.round(rate(keptMs))} | ${Math.round(rate(rawHttpMs))} (node:http + JSON.parse + level batch) | ${(rate(keptMs) / rate(rawHttpMs)).toFixed(2)} |`);
  console.log(`| the same, bodies parsed whole (events serialised again) | ${Math.round(rate(wholeMs))} | | ${(rate(wholeMs) / rate(rawHttpMs)).toFixed(2)} |`);
}
console.log(`(${loadLine()})`);
