/**
 * Redis scale-out: Sentiero's figures beside the raw limits measured in the same run, on a
 * `redis-server` this benchmark starts (no persistence).
 *
 * 1. Ingest: events per second through one relay process on Redis (store and bus), through
 *    two relay processes on the same Redis, and through plain `ws` + `JSON.parse` + one
 *    pipelined Redis HSET per batch (ack after it), with the same sockets and client (goals:
 *    one process ≥ 0.7× the raw limit; two ≥ 1.7× one).
 * 2. Live lag: a recorder sends 2,000 events/s to process A; watchers on A and on B receive
 *    them; the lag added by the bus is B's p99 less A's (goal < 20 ms).
 * 3. Memory: Redis `used_memory` per MB of events' JSON stored, beside LevelDB's folder size for
 *    the same batches (goal: Redis ≤ LevelDB + 10 %).
 * 4. The bus's transport: pub/sub (PUBLISH → SUBSCRIBE) against a stream (XADD → XREAD BLOCK),
 *    2,000 frames/s of the fixture's batch size for a few seconds: delivery lag and what each
 *    leaves in Redis memory.
 * `BENCH_PARTS` (comma-separated: ingest, lag, memory, bus) runs some of them; default all.
 * `BENCH_INGEST` (comma-separated: raw, raw-brotli, one, two, one-none, two-none) runs some of
 * the ingest runs; `BENCH_PROFILE=<folder>` writes each server's CPU profile there;
 * `BENCH_CPU_QUOTA=<cores>` limits each server process to that much of one core (cgroup v1,
 * root), so that a machine with fewer cores than processes can still show how they scale.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { LevelStore, RedisStore } from '@sentiero/relay';
import { Compression } from '../storage/src/codec.ts';
import { startRedis } from '../storage/test/redis-server.ts';
import { type Ev, child, cpuMsOf, fixtureEvents, fmt, loadLine, median, pct, stopServer, table } from './_lib.ts';
import type { ServerSpec } from './_server.ts';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 4);
const WINDOW = 16;
/** The batches each socket sends through a server before it is measured. */
const WARM_UP_BATCHES = 60;
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 10);
const TOKEN = 'bench-token-0123456789';
const PARTS = new Set((process.env.BENCH_PARTS ?? 'ingest,lag,memory,bus').split(','));

function loadBatches(): Ev[][] {
  const base = fixtureEvents();
  const span = base[base.length - 1]!.timestamp - base[0]!.timestamp + 1000;
  const batches: Ev[][] = [];
  let cur: Ev[] = [];
  for (let r = 0; r < REPEAT; r++) {
    for (const e of base) {
      const ev = { ...e, timestamp: e.timestamp + r * span };
      if (cur.length && (cur.length >= 50 || ev.timestamp - cur[0]!.timestamp >= 1000)) {
        batches.push(cur);
        cur = [];
      }
      cur.push(ev);
    }
  }
  if (cur.length) batches.push(cur);
  return batches;
}

/** Starts a load worker (loaded, not yet connected); `go()` connects it and resolves to the time until its last ack. */
async function loader(url: string, frames: string[], hello: string): Promise<{ go: () => Promise<number>; worker: Worker }> {
  const w = new Worker(new URL('./ingest-client.js', import.meta.url), { workerData: { url, frames, window: WINDOW, hello, gated: true } });
  const failed = new Promise<never>((_, reject) => w.once('error', reject));
  await Promise.race([new Promise((r) => w.once('message', r)), failed]);
  return {
    worker: w,
    go: () => {
      const done = Promise.race([new Promise<number>((r) => w.once('message', (m: { ms: number }) => r(m.ms))), failed]);
      w.postMessage('go');
      return done;
    },
  };
}

/**
 * `BENCH_CPU_QUOTA=<cores>`: each server process runs in a cgroup of its own (v1 `cpu`
 * controller, CFS bandwidth) limited to that much of one core, so that two processes get twice
 * the CPU one gets on a machine without a spare core per process. Needs root and a writable
 * `/sys/fs/cgroup/cpu`.
 */
const CPU_QUOTA = Number(process.env.BENCH_CPU_QUOTA ?? 0);
const CGROUP_CPU = '/sys/fs/cgroup/cpu';
const CFS_PERIOD_US = 100_000;

/** Puts `pid` in a new cgroup limited to `CPU_QUOTA` of one core; returns the cgroup's folder. */
function limitCpu(pid: number): string {
  const dir = path.join(CGROUP_CPU, `sentiero-bench-${pid}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
  writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(CPU_QUOTA * CFS_PERIOD_US)));
  writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  return dir;
}

/** How many times a process's CPU was throttled by its quota (the cgroup's `cpu.stat`). */
const throttled = (dir: string): number => Number(/nr_throttled (\d+)/.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? 0);

async function servers(specs: ServerSpec[]): Promise<{ ports: number[]; pids: number[]; stop: () => Promise<void> }> {
  const children = specs.map((s) => child('_server.ts', s));
  const ports = await Promise.all(children.map(async (c) => (await c.next<{ port: number }>()).port));
  const pids = children.map((c) => c.proc.pid!);
  const groups = CPU_QUOTA > 0 ? pids.map(limitCpu) : [];
  return {
    ports, pids,
    stop: async () => {
      await Promise.all(children.map(stopServer));
      for (const dir of groups) {
        if (throttled(dir) === 0) console.log(`(the CPU quota of ${dir} never throttled its process)`);
        rmdirSync(dir);
      }
    },
  };
}

/** CPU time used by each process of a run, in ms: the servers, the load generator (this process: its workers), redis-server, and the whole machine (every process). */
interface CpuUse {
  servers: number[];
  load: number;
  redis: number;
  machine: number;
  wall: number;
}

/** The CPU time every process on the machine has used since boot, in ms (the first line of /proc/stat, ticks of 10 ms, idle and iowait left out). */
function machineCpuMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
}

/** Starts counting the CPU of `pids`, this process and redis-server; the function it returns stops and reports. */
function cpuMeter(pids: number[], redisPid: number): () => CpuUse {
  const own = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const start = { servers: pids.map(cpuMsOf), load: own(), redis: cpuMsOf(redisPid), machine: machineCpuMs(), wall: performance.now() };
  return () => ({
    servers: pids.map((p, i) => cpuMsOf(p) - start.servers[i]!),
    load: own() - start.load,
    redis: cpuMsOf(redisPid) - start.redis,
    machine: machineCpuMs() - start.machine,
    wall: performance.now() - start.wall,
  });
}

/** Runs SOCKETS clients spread over the ports, each its own session, CPU counted from their start to the last ack; resolves to the time until the last ack. */
async function ingest(ports: number[], pathname: string, frames: string[], round: string, meter: () => () => CpuUse): Promise<{ ms: number; cpu: CpuUse }> {
  const loaders = await Promise.all(Array.from({ length: SOCKETS }, (_, i) => {
    const hello = JSON.stringify({ t: 'hello', v: 1, sessionId: `bench-${round}-${i}`, windowId: 'w1', lastSeq: 0, meta: { url: 'http://bench/', userAgent: 'bench', startedAt: 0 } });
    return loader(`ws://127.0.0.1:${ports[i % ports.length]}${pathname}`, frames, hello);
  }));
  const stop = meter();
  const ms = Math.max(...await Promise.all(loaders.map((l) => l.go())));
  const cpu = stop();
  await Promise.all(loaders.map((l) => l.worker.terminate()));
  return { ms, cpu };
}

const redis = await startRedis();
const batches = loadBatches();
const events = batches.reduce((n, b) => n + b.length, 0);
const rawBytes = Buffer.byteLength(JSON.stringify(batches.flat()));
const frames = batches.map((e, i) => JSON.stringify({ t: 'batch', seq: i + 1, events: e }));
console.log(`redis: ${events} events in ${batches.length} batches per socket (${(rawBytes / 1e6).toFixed(1)} MB of JSON), ${SOCKETS} sockets, ${ROUNDS} rounds${CPU_QUOTA > 0 ? `, each server process limited to ${CPU_QUOTA} of a core` : ''}; ${loadLine()}`);

try {
  // 1. Ingest.
  const admin = new Redis(redis.url);
  const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
  admin.disconnect();
  const configs = [
    { name: 'raw', count: 1, mode: 'raw-redis-ingest', compression: undefined },
    { name: 'raw-brotli', count: 1, mode: 'raw-redis-ingest', compression: Compression.BROTLI },
    { name: 'one', count: 1, mode: 'relay', compression: undefined },
    { name: 'two', count: 2, mode: 'relay', compression: undefined },
    { name: 'one-none', count: 1, mode: 'relay', compression: Compression.NONE },
    { name: 'two-none', count: 2, mode: 'relay', compression: Compression.NONE },
  ] as const;
  type Config = (typeof configs)[number]['name'];
  const chosen = new Set((process.env.BENCH_INGEST ?? configs.map((c) => c.name).join(',')).split(','));
  const runs = new Map<Config, { ms: number; cpu: CpuUse }[]>(configs.map((c) => [c.name, []]));
  for (let r = 0; r < (PARTS.has('ingest') ? ROUNDS : 0); r++) {
    for (const { name, count, mode, compression } of configs.filter((c) => chosen.has(c.name))) {
      const prefix = `bench-${name}-${r}:`;
      const s = await servers(Array.from({ length: count }, () => ({ mode, compression, redis: { url: redis.url, prefix }, token: TOKEN, limits: { maxMessagesPerSecond: 1_000_000 } })));
      const pathname = mode === 'relay' ? '/sentiero/ingest' : '/';
      // A first, unmeasured pass through each server, so that every process has compiled its hot code (V8's optimizing compiler) before the count.
      await ingest(s.ports, pathname, frames.slice(0, WARM_UP_BATCHES), `${name}-${r}-warm`, () => () => ({ servers: [], load: 0, redis: 0, machine: 0, wall: 0 }));
      runs.get(name)!.push(await ingest(s.ports, pathname, frames, `${name}-${r}`, () => cpuMeter(s.pids, redisPid)));
      await s.stop();
    }
  }
  /** The median round of a configuration. */
  const mid = (name: Config) => [...runs.get(name)!].sort((a, b) => a.ms - b.ms)[Math.floor(runs.get(name)!.length / 2)];
  const rate = (name: Config) => (events * SOCKETS) / ((mid(name)?.ms ?? NaN) / 1000);
  const [raw, rawBrotli, one, two, oneNone, twoNone] = configs.map((c) => rate(c.name));
  // 2. Live lag at 2,000 events/s.
  const lag = !PARTS.has('lag') ? [[], []] : await (async () => {
    const s = await servers([0, 1].map(() => ({ mode: 'relay' as const, redis: { url: redis.url, prefix: 'bench-lag:' }, token: TOKEN })));
    const sessionId = 'bench-lag';
    const rec = new WebSocket(`ws://127.0.0.1:${s.ports[0]}/sentiero/ingest`);
    await new Promise((r) => rec.once('open', r));
    rec.send(JSON.stringify({ t: 'hello', v: 1, sessionId, windowId: 'w1', lastSeq: 0, meta: { url: 'http://bench/', userAgent: 'bench', startedAt: 0 } }));
    let seq = 0;
    const send = () => rec.send(JSON.stringify({ t: 'batch', seq: ++seq, events: Array.from({ length: 20 }, () => ({ type: 3, timestamp: Date.now(), data: { sent: performance.now() } })) }));
    send();
    await new Promise((r) => setTimeout(r, 500));
    const lags: number[][] = [[], []];
    const watchers = await Promise.all(s.ports.map(async (port, i) => {
      const w = new WebSocket(`ws://127.0.0.1:${port}/sentiero/watch`);
      await new Promise((r) => w.once('open', r));
      let live = false;
      w.on('message', (d) => {
        const m = JSON.parse(String(d)) as { t: string; events?: { data: { sent: number } }[] };
        if (m.t === 'live') live = true;
        else if (m.t === 'events' && live) lags[i]!.push(performance.now() - m.events![0]!.data.sent);
      });
      w.send(JSON.stringify({ t: 'auth', token: TOKEN }));
      w.send(JSON.stringify({ t: 'subscribe', sessionId }));
      return w;
    }));
    // 20 events every 10 ms: 2,000 events/s.
    const timer = setInterval(send, 10);
    await new Promise((r) => setTimeout(r, LAG_SECONDS * 1000));
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 500));
    for (const w of watchers) w.terminate();
    rec.terminate();
    await s.stop();
    return lags;
  })();

  // 3. Memory per stored MB, beside LevelDB.
  const memory = !PARTS.has('memory') ? { redis: NaN, level: NaN, json: NaN } : await (async () => {
    const admin = new Redis(redis.url);
    await admin.flushall();
    const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    const store = new RedisStore({ url: redis.url, prefix: 'bench-mem:' });
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-redis-level-'));
    const level = new LevelStore({ location: dir });
    await Promise.all([store.open(), level.open()]);
    for (let s = 0; s < SOCKETS; s++) {
      for (const [i, e] of batches.entries()) {
        const batch = { sessionId: `mem-${s}`, windowId: 'w1', seq: i + 1, events: e, receivedAt: Date.now() };
        await Promise.all([store.append(batch), level.append(batch)]);
      }
    }
    await Promise.all([store.close(), level.close()]);
    const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    const levelBytes = Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
    rmSync(dir, { recursive: true, force: true });
    admin.disconnect();
    return { redis: after - before, level: levelBytes, json: rawBytes * SOCKETS };
  })();

  const lags = (i: number): number[] => lag[i]!;
  const [a99, b99] = [pct(lags(0), 99), pct(lags(1), 99)];
  if (PARTS.has('ingest') || PARTS.has('lag') || PARTS.has('memory')) {
    console.log('');
    table(['measure', 'Sentiero', 'baseline', 'ratio', 'goal', 'met'], [
      ['events/s, one relay process on Redis', String(Math.round(one)), `${Math.round(raw)} (ws + JSON.parse + pipelined HSET)`, fmt(one / raw, 2), '≥ 0.7', one / raw >= 0.7 ? 'yes' : 'no'],
      ['events/s, one relay process on Redis, against the same baseline storing brotli', String(Math.round(one)), `${Math.round(rawBrotli)} (ws + JSON.parse + brotli + pipelined HSET)`, fmt(one / rawBrotli, 2), '—', '—'],
      ['events/s, two relay processes on one Redis', String(Math.round(two)), `${Math.round(one)} (one process)`, fmt(two / one, 2), '≥ 1.7', two / one >= 1.7 ? 'yes' : 'no'],
      [`live lag p99 at 2,000 events/s, watcher on the other process (ms; p50 ${fmt(pct(lags(1), 50))})`, fmt(b99), `${fmt(a99)} (watcher on the ingesting process; p50 ${fmt(pct(lags(0), 50))})`, `+${fmt(b99 - a99)} ms`, '< +20 ms', b99 - a99 < 20 ? 'yes' : 'no'],
      ['bytes stored per byte of events\' JSON', `${fmt(memory.redis / memory.json, 3)} (Redis used_memory)`, `${fmt(memory.level / memory.json, 3)} (LevelDB folder)`, fmt(memory.redis / memory.level, 2), '≤ 1.10', memory.redis / memory.level <= 1.1 ? 'yes' : 'no'],
    ]);
    console.log(`(lag samples: ${lags(0).length} on A, ${lags(1).length} on B; ${loadLine()})`);
  }
  if (PARTS.has('ingest')) {
    console.log('');
    const sec = (ms: number) => fmt(ms / 1000, 2);
    table(['ingest run (median round)', 'events/s', 'wall s', 'CPU s per server process', 'CPU s load generator', 'CPU s redis-server', 'CPU s other processes', `cores busy (ours + others, of ${availableParallelism()})`, 'events per server CPU-second'], configs.map(({ name }) => {
      const m = mid(name);
      if (!m) return [name, '—', '—', '—', '—', '—', '—', '—', '—'];
      const server = m.cpu.servers.reduce((a, b) => a + b, 0);
      const ours = server + m.cpu.load + m.cpu.redis;
      const others = Math.max(0, m.cpu.machine - ours);
      return [
        name, String(Math.round(rate(name))), sec(m.cpu.wall), m.cpu.servers.map(sec).join(' + '), sec(m.cpu.load), sec(m.cpu.redis), sec(others),
        `${fmt(ours / m.cpu.wall, 2)} + ${fmt(others / m.cpu.wall, 2)}`, String(Math.round((events * SOCKETS) / (server / 1000))),
      ];
    }));
    console.log(`(two processes against one: ${fmt(two / one, 2)}× with brotli, ${fmt(twoNone / oneNone, 2)}× with compression 'none'; ${loadLine()})`);
  }
  if (PARTS.has('bus')) await transports(redis.url, Buffer.from(frames[Math.floor(frames.length / 2)]!));
} finally {
  await redis.dispose();
}

/** Pub/sub against a stream as the bus's transport: `frame` 100 times a second × 20 (2,000 events/s of 20-event batches) for BENCH_LAG_SECONDS. */
async function transports(url: string, frame: Buffer): Promise<void> {
  const seconds = Math.min(LAG_SECONDS, 5);
  const memoryOf = async (c: Redis) => Number(/used_memory:(\d+)/.exec(await c.info('memory'))![1]);
  const run = async (name: string, setup: (pub: Redis, sub: Redis, got: (sent: number) => void) => Promise<(payload: Buffer) => void>) => {
    const pub = new Redis(url);
    const sub = new Redis(url);
    await pub.flushall();
    const before = await memoryOf(pub);
    const lags: number[] = [];
    const send = await setup(pub, sub, (sent) => lags.push(performance.now() - sent));
    const stamp = Buffer.alloc(8);
    const timer = setInterval(() => {
      stamp.writeDoubleLE(performance.now());
      send(Buffer.concat([stamp, frame]));
    }, 10);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 300));
    const grown = (await memoryOf(pub)) - before;
    pub.disconnect();
    sub.disconnect();
    return [name, fmt(pct(lags, 50)), fmt(pct(lags, 99)), `${(grown / 1e6).toFixed(1)} MB after ${lags.length} frames`];
  };
  const pubsub = await run('pub/sub (PUBLISH, SUBSCRIBE)', async (pub, sub, got) => {
    sub.on('messageBuffer', (_c: Buffer, m: Buffer) => got(m.readDoubleLE(0)));
    await sub.subscribe('bench-bus');
    return (payload) => void pub.publish('bench-bus', payload);
  });
  const stream = await run('stream (XADD MAXLEN ~ 10000, XREAD BLOCK)', async (pub, sub, got) => {
    let last = '$';
    let reading = true;
    void (async () => {
      while (reading) {
        const reply = await sub.xreadBuffer('BLOCK', 1000, 'STREAMS', 'bench-bus', last).catch(() => null);
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = String(id);
            got(fields[1]!.readDoubleLE(0));
          }
        }
      }
    })();
    setTimeout(() => { reading = false; }, seconds * 1000 + 200);
    return (payload) => void pub.xadd('bench-bus', 'MAXLEN', '~', 10_000, '*', 'f', payload);
  });
  console.log('');
  table(['bus transport', 'lag p50 (ms)', 'lag p99 (ms)', 'Redis memory grown'], [pubsub, stream]);
  console.log(`(one frame of ${frame.length} bytes every 10 ms for ${seconds} s; ${loadLine()})`);
}
