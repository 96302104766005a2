/**
 * Measures what each compression stores for the shared fixture (854 rrweb events, ~1 MB of
 * JSON) repeated with shifted timestamps and batched as the recorder batches it (≤ 50 events
 * or 1 s per batch), the way `bench/ingest.ts` feeds the relay:
 *
 *   node --conditions=development --import tsx storage/scripts/measure-compression.ts [repeat]
 *
 * `repeat` (default 12, as the bench) is how many times the fixture is played; `SENTIERO_FIXTURE`
 * names another fixture. For each codec it prints the sum of the stored batch values, every
 * byte the store wrote (keys and values of all its records), the LevelDB folder right after
 * close (apparent bytes, and allocated bytes as `du` counts them), each as a ratio of the raw
 * JSON, and the time spent appending with up to 16 batches in flight: the wall-clock time, and
 * the CPU time of the process (event loop and libuv's thread pool, where compression runs),
 * which a busy machine disturbs less.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RecordedEvent } from '@sentiero/protocol';
import { LevelStore } from '@sentiero/storage';
import type { BatchInput, Compression } from '@sentiero/storage';
import { Level } from 'level';

const fixture = process.env.SENTIERO_FIXTURE ?? new URL('../../../shared/fixtures/acme-crm-45s.rrweb.json', import.meta.url);
const repeat = Number(process.argv[2] ?? 12);
const IN_FLIGHT = 16;

const base = JSON.parse(await readFile(fixture, 'utf8')) as RecordedEvent[];
const span = base[base.length - 1].timestamp - base[0].timestamp + 1000;
const all: RecordedEvent[] = [];
for (let r = 0; r < repeat; r++) for (const e of base) all.push({ ...e, timestamp: e.timestamp + r * span });
const batches: RecordedEvent[][] = [];
let current: RecordedEvent[] = [];
for (const e of all) {
  if (current.length > 0 && (current.length >= 50 || e.timestamp - current[0].timestamp >= 1000)) {
    batches.push(current);
    current = [];
  }
  current.push(e);
}
if (current.length > 0) batches.push(current);
const rawBytes = Buffer.byteLength(JSON.stringify(all));
const meta = { url: 'https://crm.acme.test/app', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', startedAt: all[0].timestamp };

/** Counts the bytes of keys and values every root LevelDB writes while `run` runs (abstract-level's `write` event). */
async function countWritten(run: () => Promise<void>): Promise<number> {
  const proto = Level.prototype as unknown as { batch: (...args: unknown[]) => unknown };
  const original = proto.batch;
  let bytes = 0;
  const watched = new WeakSet<object>();
  const size = (v: unknown): number => (v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : (v as Uint8Array).length);
  proto.batch = function (this: Level<string, string>, ...args: unknown[]) {
    if (!watched.has(this)) {
      watched.add(this);
      this.on('write', (ops: { key: unknown; value?: unknown }[]) => { for (const op of ops) bytes += size(op.key) + size(op.value); });
    }
    return original.apply(this, args);
  };
  try {
    await run();
  } finally {
    proto.batch = original;
  }
  return bytes;
}

const root = await mkdtemp(path.join(tmpdir(), 'sentiero-measure-'));
const rows: string[][] = [['codec', 'stored values', 'ratio', 'written', 'ratio', 'folder', 'ratio', 'du', 'ratio', 'append ms', 'cpu ms']];
try {
  for (const compression of ['brotli-window', 'brotli', 'gzip', 'none'] as Compression[]) {
    const location = path.join(root, compression);
    const store = new LevelStore({ location, compression });
    await store.open();
    let ms = 0;
    let cpu = 0;
    const written = await countWritten(async () => {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batches.length) {
          const i = next++;
          const events = batches[i];
          const input: BatchInput = { sessionId: 'fixture', windowId: 'w1', seq: i + 1, events, receivedAt: events[events.length - 1].timestamp + 5, meta };
          await store.append(input);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      ms = performance.now() - started;
      const used = process.cpuUsage(cpuBefore);
      cpu = (used.user + used.system) / 1000;
      await store.close();
    });
    let apparent = 0;
    let allocated = 0;
    for (const name of await readdir(location)) {
      const s = await stat(path.join(location, name));
      apparent += s.size;
      allocated += s.blocks * 512;
    }
    const db = new Level<string, string>(location);
    const stored = db.sublevel<string, Uint8Array>('batches', { valueEncoding: 'view' });
    let values = 0;
    for await (const value of stored.values()) values += value.length;
    await db.close();
    const ratio = (n: number): string => (n / rawBytes).toFixed(4);
    rows.push([compression, String(values), ratio(values), String(written), ratio(written), String(apparent), ratio(apparent), String(allocated), ratio(allocated), ms.toFixed(0), cpu.toFixed(0)]);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(`fixture ×${repeat}: ${all.length} events in ${batches.length} batches, ${rawBytes} bytes of JSON`);
for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(13) : c.padStart(i % 2 === 0 ? 7 : 13))).join(' '));
