/**
 * Live fan-out: one recorder sends 2,000 events/s (batches of 50, the fixture's incremental
 * events) while 10 and 50 watchers follow the session; latency from the ingest send to each
 * watcher's receipt, p50/p99. Beside it, the raw limit measured in the same run: a plain `ws`
 * server (its defaults) that sends every frame it receives, unchanged, to N plain sockets.
 * Goal: p99 ≤ 1.5× raw at both sizes. Server and load run in separate processes. Also the
 * server's CPU time per second of traffic (the relay's includes storing every batch), which
 * other load on the machine moves far less than latency.
 */
import { FIXTURE, child, cpuMsOf, fmt, loadLine, median, pct, stopServer, table } from './_lib.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SIZES = (process.env.BENCH_WATCHERS ?? '10,50').split(',').map(Number);
const TOKEN = 'bench-token-0123456789';

interface Result { p50: number; p99: number; lost: number; cpu: number }

async function run(kind: 'relay' | 'raw', watchers: number): Promise<Result> {
  const server = child('_server.ts', kind === 'relay' ? { mode: 'relay', token: TOKEN, limits: { maxMessagesPerSecond: 1_000_000 } } : { mode: 'raw-fanout' });
  try {
    const { port } = await server.next<{ port: number }>();
    const cpu0 = cpuMsOf(server.proc.pid!);
    const load = child('fanout-load.js', { kind, port, watchers, rate: RATE, seconds: SECONDS, warmupSeconds: 1, fixture: FIXTURE, token: TOKEN });
    try {
      const r = await load.next<{ latencies: number[]; expected: number; received: number }>();
      // CPU ms the server used per second of traffic: unlike latency, barely moved by other processes on the machine.
      const cpu = (cpuMsOf(server.proc.pid!) - cpu0) / SECONDS;
      return { p50: pct(r.latencies, 50), p99: pct(r.latencies, 99), lost: r.expected - r.received, cpu };
    } finally {
      await load.stop();
    }
  } finally {
    await stopServer(server);
  }
}

console.log(`fanout: ${RATE} events/s for ${SECONDS} s (first second not counted), ${ROUNDS} rounds (median of each figure), ${loadLine()}`);
const rows: string[][] = [];
for (const n of SIZES) {
  const relay: Result[] = [];
  const raw: Result[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(await run('raw', n));
    relay.push(await run('relay', n));
  }
  const m = (xs: Result[], k: keyof Result) => median(xs.map((x) => x[k]));
  const ratio = m(relay, 'p99') / m(raw, 'p99');
  rows.push([
    `${n} watchers`, `${fmt(m(relay, 'p50'))} / ${fmt(m(relay, 'p99'))}`, `${fmt(m(raw, 'p50'))} / ${fmt(m(raw, 'p99'))}`,
    fmt(m(relay, 'p50') / m(raw, 'p50'), 2), fmt(ratio, 2), '≤ 1.5', ratio <= 1.5 ? 'yes' : 'no',
    String(Math.max(...relay.map((x) => x.lost))),
    `${fmt(m(relay, 'cpu'), 0)} / ${fmt(m(raw, 'cpu'), 0)}`,
  ]);
}
console.log('');
table(['fan-out', 'Sentiero p50 / p99 ms', 'raw ws p50 / p99 ms', 'p50 ratio', 'p99 ratio', 'goal', 'met', 'frames lost', 'server CPU ms per s: Sentiero / raw'], rows);
console.log(`(${loadLine()})`);
