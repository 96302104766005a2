/**
 * Connections: the relay's RSS with 1,000 concurrent recorder sockets, each sending 5 small
 * events every 2 s, and their ack p50/p99; beside it, the raw limit measured in the same run:
 * plain `ws` (same permessage-deflate options) + `JSON.parse` + a LevelDB batch write per
 * message. Goal: relay RSS < 300 MB. Then:
 * - RSS per permessage-deflate setting of the relay's sockets (the shipped one, the previous
 *   one with context takeover, tighter windows/memLevel, none);
 * - the shipped relay stepped up 1k, 2k, 4k… sockets until ack p99 passes 1 s (or the
 *   connections fail, or `BENCH_MAX_CONNECTIONS`); down 500, 250… when 1k already does.
 * Relay and recorders run in separate processes, so the RSS is the relay's own.
 */
import type { PerMessageDeflateOptions } from 'ws';
import { FIXTURE, child, fmt, loadLine, rssOf, stopServer, table, watchRss } from './_lib.ts';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 16);
const MAX_CONNECTIONS = Number(process.env.BENCH_MAX_CONNECTIONS ?? 8000);
const KILL_MB = 2048;

interface Run { base: number; peak: number; end: number; p50: number; p99: number; acks: number; sent: number; connected: number; failed: number; exceeded: boolean }

async function run(mode: 'relay' | 'raw-ingest', connections: number, deflate?: PerMessageDeflateOptions | false): Promise<Run> {
  const server = child('_server.ts', { mode, limits: { maxMessagesPerSecond: 1_000, maxSocketsPerAddress: 100_000 }, ...(deflate !== undefined ? { deflate } : {}) });
  const pid = server.proc.pid!;
  const rss = watchRss(server, KILL_MB, 100);
  try {
    const { port } = await server.next<{ port: number }>();
    await new Promise((r) => setTimeout(r, 300));
    const base = rssOf(pid).rss;
    const load = child('recorders-load.js', { port, connections, fixture: FIXTURE });
    try {
      const { connected, failed } = await load.next<{ connected: number; failed: number }>();
      load.send('measure');
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const end = rssOf(pid).rss;
      load.send('report');
      const r = await load.next<{ acks: number; p50: number; p99: number; sent: number }>();
      return { base, peak: rss.state.peak, end, ...r, connected, failed, exceeded: rss.state.exceeded };
    } finally {
      await load.stop();
    }
  } finally {
    rss.stop();
    await stopServer(server);
  }
}

const rssCell = (r: Run) => (r.exceeded ? `exceeded ${KILL_MB} MB` : `${fmt(r.base, 0)} → ${fmt(r.peak, 0)}`);
const ackCell = (r: Run) => `${fmt(r.p50, 0)} / ${fmt(r.p99, 0)}`;
const lostCell = (r: Run) => `${r.sent - r.acks}${r.failed ? ` (+${r.failed} not connected)` : ''}`;

console.log(`connections: ${CONNECTIONS} recorder sockets, 5 events each every 2 s, ${SECONDS} s measured; ${loadLine()}`);

const relay = await run('relay', CONNECTIONS);
const raw = await run('raw-ingest', CONNECTIONS);
console.log('');
table(['measure', 'Sentiero relay', 'raw limit (ws + JSON.parse + level, same deflate)', 'ratio', 'goal', 'met'], [
  [`RSS with ${CONNECTIONS} sockets, MB (idle → peak)`, rssCell(relay), rssCell(raw), fmt(relay.peak / raw.peak, 2), '< 300 MB', relay.peak < 300 && !relay.exceeded ? 'yes' : 'no'],
  ['ack p50 / p99, ms', ackCell(relay), ackCell(raw), fmt(relay.p99 / raw.p99, 2), '', ''],
  ['batches not acked in time', lostCell(relay), lostCell(raw), '', '', ''],
]);

const settings: Array<[string, PerMessageDeflateOptions | false]> = [
  ['context takeover (before): threshold 1024, level 1', { threshold: 1024, zlibDeflateOptions: { level: 1 }, concurrencyLimit: 10 }],
  ['+ serverNoContextTakeover (shipped)', { serverNoContextTakeover: true, threshold: 1024, zlibDeflateOptions: { level: 1 }, concurrencyLimit: 10 }],
  ['+ serverNoContextTakeover, memLevel 4, clientMaxWindowBits 12', { serverNoContextTakeover: true, clientMaxWindowBits: 12, threshold: 1024, zlibDeflateOptions: { level: 1, memLevel: 4 }, concurrencyLimit: 10 }],
  ['context takeover, serverMaxWindowBits 10, memLevel 4', { serverMaxWindowBits: 10, threshold: 1024, zlibDeflateOptions: { level: 1, memLevel: 4 }, concurrencyLimit: 10 }],
  ['no permessage-deflate', false],
];
const rows: string[][] = [];
for (const [name, deflate] of settings) {
  const r = await run('relay', CONNECTIONS, deflate);
  rows.push([name, rssCell(r), fmt(r.peak - r.base, 0), ackCell(r)]);
}
console.log('');
table([`relay socket setting (${CONNECTIONS} sockets)`, 'RSS MB (idle → peak)', 'growth MB', 'ack p50 / p99 ms'], rows);

// Doubles from CONNECTIONS while ack p99 stays under 1 s; when CONNECTIONS already passes it, halves instead (down to 125).
const steps: Array<[number, string[]]> = [];
const passes = (r: Run, n: number) => r.exceeded || r.p99 > 1000 || r.failed > n / 10 || r.sent - r.acks > r.sent / 10;
let crossed = '';
for (let n = CONNECTIONS, dir = 0; n >= 125 && n <= MAX_CONNECTIONS; n = dir > 0 ? n * 2 : n / 2) {
  const r = await run('relay', n);
  steps.push([n, [String(n), String(r.connected), rssCell(r), ackCell(r), lostCell(r)]]);
  const over = passes(r, n);
  if (dir === 0) dir = over ? -1 : 1;
  if (dir > 0 && over) {
    crossed = `ack p99 passes 1 s (or the relay falls behind) between ${n / 2} and ${n} sockets`;
    break;
  }
  if (dir < 0 && !over) {
    crossed = `ack p99 passes 1 s (or the relay falls behind) between ${n} and ${n * 2} sockets`;
    break;
  }
}
console.log('');
table(['sockets', 'connected', 'RSS MB (idle → peak)', 'ack p50 / p99 ms', 'batches not acked in time'], steps.sort((a, b) => a[0] - b[0]).map(([, row]) => row));
console.log(crossed || 'ack p99 stayed under 1 s at every step tried');
console.log(`(${loadLine()})`);
