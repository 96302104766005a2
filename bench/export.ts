/**
 * HTML export of a large session: `GET <base>/api/sessions/:id/export.html` streamed to nowhere,
 * against the raw limit measured in the same run — the same stored batches read from the same
 * LevelDB and gzipped, with no base64, no HTML and no HTTP. Memory: the relay's heap while the
 * export streams, sampled, against the size of the file (the export must not hold the file).
 * `node --conditions=development --expose-gc --import tsx bench/run.ts export` (the heap is
 * measured only with `--expose-gc`); SENTIERO_BENCH_EXPORT_COPIES sets the session's size
 * (copies of the 45 s fixture, default 120, about 130 MB of events).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { createRelay } from '@sentiero/relay';
import { LevelStore } from '@sentiero/storage';
import { fixtureEvents, fmt, loadLine, table } from './_lib.ts';

const COPIES = Number(process.env.SENTIERO_BENCH_EXPORT_COPIES ?? 120);
const SESSION = 'bench-export-session-0001';
const WINDOW = 'bench-export-window-0001';
const dir = mkdtempSync(path.join(tmpdir(), 'sentiero-bench-export-'));

const fixture = fixtureEvents();
const span = fixture[fixture.length - 1]!.timestamp - fixture[0]!.timestamp + 1000;
const store = new LevelStore({ location: dir });
await store.open();
let seq = 0;
let rawBytes = 0;
for (let copy = 0; copy < COPIES; copy++) {
  for (let i = 0; i < fixture.length; i += 200) {
    const events = fixture.slice(i, i + 200).map((e) => ({ ...e, timestamp: e.timestamp + copy * span }));
    const json = JSON.stringify(events);
    rawBytes += json.length;
    await store.append({ sessionId: SESSION, windowId: WINDOW, seq: ++seq, events, receivedAt: Date.now(), bytes: json.length });
  }
}

/** The raw limit: read the batches and gzip them, nothing else. */
async function rawGzip(): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const gzip = createGzip({ level: 6 });
  let bytes = 0;
  gzip.on('data', (c: Buffer) => { bytes += c.length; });
  for await (const b of store.readBatchesJson(SESSION)) {
    if (!gzip.write(`{"windowId":${JSON.stringify(b.windowId)},"seq":${b.seq},"events":${b.eventsJson}}\n`)) await once(gzip, 'drain');
  }
  gzip.end();
  await once(gzip, 'end');
  return { ms: performance.now() - t0, bytes };
}

const relay = createRelay({ store, token: 'bench-viewer-token-0123456789' });
const server: Server = createServer();
relay.attach(server);
await relay.ready;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

/**
 * The export over HTTP. With `sample`, the live heap (after a full collection, every 250 ms) is
 * sampled while it streams: that run is slowed by the collections, so its time is not reported.
 */
async function exportOnce(sample: boolean): Promise<{ ms: number; bytes: number; heapGrowth: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = sample && globalThis.gc ? setInterval(() => {
    globalThis.gc!();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 250) : undefined;
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/sentiero/api/sessions/${SESSION}/export.html`, { headers: { authorization: `Bearer ${relay.token}` } });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const ms = performance.now() - t0;
  clearInterval(sampler);
  return { ms, bytes, heapGrowth: peak - base };
}

await exportOnce(false);
const raw = await rawGzip();
const ex = await exportOnce(false);
const mem = await exportOnce(true);
console.log(loadLine());
console.log(`A session of ${COPIES} copies of the fixture: ${seq} batches, ${fmt(rawBytes / 1e6)} MB of events as JSON.\n`);
if (!globalThis.gc) console.log('(run with --expose-gc to measure the heap)');
table(['', 'time', 'MB/s of events', 'output', 'live heap growth while streaming'], [
  ['raw: store → gzip (no base64, no HTML, no HTTP)', `${fmt(raw.ms, 0)} ms`, fmt(rawBytes / 1e6 / (raw.ms / 1000)), `${fmt(raw.bytes / 1e6)} MB gzip`, '—'],
  ['export.html over HTTP (server and client in this process)', `${fmt(ex.ms, 0)} ms`, fmt(rawBytes / 1e6 / (ex.ms / 1000)), `${fmt(ex.bytes / 1e6)} MB file`, globalThis.gc ? `${fmt(mem.heapGrowth / 1e6)} MB` : '—'],
]);
console.log(`\nexport / raw time: ${fmt(ex.ms / raw.ms, 2)}×${globalThis.gc ? `; live heap growth / file size: ${fmt((100 * mem.heapGrowth) / mem.bytes, 1)} %` : ''}`);

await relay.close();
server.closeAllConnections();
await new Promise((r) => server.close(r));
rmSync(dir, { recursive: true, force: true });
