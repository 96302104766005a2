/**
 * Pressure: three sockets pipeline 100 batches of 4 MB each (the default `maxPayloadBytes`)
 * without waiting for acks, while a good recorder sends 5 small events every 200 ms. Reports
 * the relay's peak RSS and the good recorder's ack p50/p99, beside the same relay in the same
 * run without the attack. Goal: peak RSS < 512 MB with the default limits, good recorder's
 * ack p99 < 1 s. The relay runs in its own process with the default limits and is killed at
 * 2 GB ("exceeded") so that the run cannot take the machine down.
 */
import { FIXTURE, child, fmt, loadLine, stopServer, table, watchRss } from './_lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const ATTACKERS = Number(process.env.BENCH_ATTACKERS ?? 3);
const KILL_MB = 2048;

interface Run { attackSent: number; attackClosed: number; peak: number; p50: number; p99: number; acks: number; sent: number; closed: number; attacksDone: number; exceeded: boolean; seconds: number }

async function run(attackers: number): Promise<Run> {
  const server = child('_server.ts', { mode: 'relay' });
  const rss = watchRss(server, KILL_MB, 50);
  try {
    const { port } = await server.next<{ port: number }>();
    // The good recorder and the attackers in separate processes, so that the attack's sending does not delay the good one.
    const good = child('recorders-load.js', { port, connections: 1, everyMs: 200, fixture: FIXTURE });
    const bad = child('recorders-load.js', { port, connections: 0, fixture: FIXTURE, attackers, attackBatches: 100, attackBytes: 4 * 1024 * 1024 });
    try {
      await Promise.all([good.next(), bad.next()]);
      const started = performance.now();
      good.send('measure');
      bad.send('measure');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, SECONDS * 1000);
        rss.state.onExceeded = () => { clearTimeout(t); resolve(); };
      });
      const seconds = (performance.now() - started) / 1000;
      good.send('report');
      bad.send('report');
      type Report = { acks: number; p50: number; p99: number; sent: number; closed: number; attacksDone: number; attackSent: number; attackClosed: number };
      const [r, b] = await Promise.all([good.next<Report>(), bad.next<Report>()]);
      return { peak: rss.state.peak, ...r, attacksDone: b.attacksDone, attackSent: b.attackSent, attackClosed: b.attackClosed, exceeded: rss.state.exceeded, seconds };
    } finally {
      await Promise.all([good.stop(), bad.stop()]);
    }
  } finally {
    rss.stop();
    await stopServer(server);
  }
}

console.log(`pressure: ${ATTACKERS} sockets × 100 batches of 4 MB, pipelined, beside a good recorder (5 events / 200 ms), ${SECONDS} s, default limits; ${loadLine()}`);
const quiet = await run(0);
const attacked = await run(ATTACKERS);
const rss = (r: Run) => (r.exceeded ? `exceeded ${KILL_MB} (killed after ${fmt(r.seconds, 1)} s)` : fmt(r.peak, 0));
const ack = (r: Run) => `${fmt(r.p50, 0)} / ${fmt(r.p99, 0)} (${r.acks} of ${r.sent} acked${r.closed ? ', its socket was closed' : ''})`;
console.log('');
table(['measure', 'relay under attack', 'same relay, no attack', 'ratio', 'goal', 'met'], [
  ['peak RSS, MB', rss(attacked), rss(quiet), attacked.exceeded ? '—' : fmt(attacked.peak / quiet.peak, 2), '< 512 MB', !attacked.exceeded && attacked.peak < 512 ? 'yes' : 'no'],
  ['good recorder ack p50 / p99, ms', ack(attacked), ack(quiet), fmt(attacked.p99 / quiet.p99, 1), 'p99 < 1000 ms', !attacked.exceeded && attacked.p99 < 1000 && attacked.acks > 0 ? 'yes' : 'no'],
]);
console.log(`attack: ${attacked.attackSent} of ${ATTACKERS * 100} batches written to the socket, ${attacked.attacksDone} of ${ATTACKERS} sockets got all out, ${attacked.attackClosed} closed by the relay`);
console.log(`(${loadLine()})`);
