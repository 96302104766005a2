/**
 * Measures what each compression stores for the shared fixture (854 rrweb events, ~1 MB of
 * JSON) written in batches of 50 events, the way the relay writes it:
 *
 *   node --conditions=development --import tsx storage/scripts/measure-compression.ts [fixture.json]
 *
 * For each codec it prints the sum of the stored batch values, the LevelDB folder right
 * after close (apparent bytes, and allocated bytes as `du` counts them), each as a ratio of
 * the raw JSON, and the time spent appending.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RecordedEvent } from '@sentiero/protocol';
import { LevelStore } from '@sentiero/storage';
import type { Compression } from '@sentiero/storage';
import { Level } from 'level';

const fixturePath = process.argv[2] ?? process.env.SENTIERO_FIXTURE ?? '/work/shared/fixtures/acme-crm-45s.rrweb.json';
const raw = await readFile(fixturePath);
const events = JSON.parse(raw.toString('utf8')) as RecordedEvent[];
const root = await mkdtemp(path.join(tmpdir(), 'sentiero-measure-'));

const rows: string[][] = [['codec', 'stored values', 'ratio', 'folder', 'ratio', 'du (allocated)', 'ratio', 'append ms']];
try {
  for (const compression of ['brotli', 'gzip', 'none'] as Compression[]) {
    const location = path.join(root, compression);
    const store = new LevelStore({ location, compression });
    await store.open();
    const started = performance.now();
    for (let i = 0, seq = 1; i < events.length; i += 50, seq++) {
      await store.append({ sessionId: 'fixture', windowId: 'w1', seq, events: events.slice(i, i + 50), receivedAt: seq });
    }
    const ms = performance.now() - started;
    await store.close();
    let apparent = 0;
    let allocated = 0;
    for (const name of await readdir(location)) {
      const s = await stat(path.join(location, name));
      apparent += s.size;
      allocated += s.blocks * 512;
    }
    const db = new Level<string, string>(location);
    const batches = db.sublevel<string, Uint8Array>('batches', { valueEncoding: 'view' });
    let values = 0;
    for await (const value of batches.values()) values += value.length;
    await db.close();
    const ratio = (n: number): string => (n / raw.length).toFixed(4);
    rows.push([compression, String(values), ratio(values), String(apparent), ratio(apparent), String(allocated), ratio(allocated), ms.toFixed(0)]);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(`fixture: ${fixturePath}: ${events.length} events, ${raw.length} bytes of JSON, batches of 50`);
for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(7) : c.padStart(14))).join(' '));
