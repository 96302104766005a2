/**
 * What the benchmarks share: statistics, the machine's load, the fixture's events, and child
 * processes (servers and load run apart so that a figure is one process's own).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The shared fixture: a real 45 s rrweb recording. */
export const FIXTURE = path.resolve(HERE, '../../shared/fixtures/acme-crm-45s.rrweb.json');

/** The permessage-deflate options of the relay's sockets (relay/src/relay.ts): every raw baseline uses the same. */
export const RELAY_DEFLATE = { serverNoContextTakeover: true, threshold: 1024, zlibDeflateOptions: { level: 1 }, concurrencyLimit: 10 } as const;

/** An rrweb event as the fixture holds it. */
export type Ev = { type: number; timestamp: number; data: unknown };

/** The fixture's events. */
export function fixtureEvents(): Ev[] {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Ev[];
}

/** The median of `xs`. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The `p`th percentile (nearest rank) of `xs`; NaN when empty. */
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A number with `digits` decimals, or "—" when not finite. */
export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The load average line printed with every benchmark (the machine is shared). */
export function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`;
}

/** Prints a markdown table. */
export function table(head: string[], rows: string[][]): void {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => ' --- |').join('')}`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

/** A process's resident set size now and at its peak, in MB (from /proc). */
export function rssOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** Follows a process's RSS every `everyMs`; past `killMb`, kills it (so that a run cannot take the machine down). */
export function watchRss(c: Child, killMb: number, everyMs: number) {
  const pid = c.proc.pid!;
  const state = { peak: 0, exceeded: false, onExceeded: () => {} };
  const timer = setInterval(() => {
    const { rss } = rssOf(pid);
    if (rss > state.peak) state.peak = rss;
    if (rss > killMb && !state.exceeded) {
      state.exceeded = true;
      c.proc.kill('SIGKILL');
      state.onExceeded();
    }
  }, everyMs);
  return { state, stop: () => clearInterval(timer) };
}

/** Asks a `_server.ts` child to close, and kills it if it has not exited within 3 s. */
export async function stopServer(c: Child): Promise<void> {
  // A child just killed for its RSS may still look alive for a moment, with its channel already closed.
  if (c.proc.connected) c.proc.send('stop', () => {});
  await Promise.race([new Promise((r) => c.proc.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
  await c.stop();
}

/** CPU time (user + system) a process has used so far, in ms (from /proc; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** A child process that answers with one message per request. */
export interface Child {
  proc: ChildProcess;
  /** The next message the child sends. */
  next<T>(): Promise<T>;
  send(m: unknown): void;
  /** Kills the child (if still running) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Forks `bench/<file>` (TS or JS; TS runs under the same tsx loader as the bench) with `data` in `BENCH_CHILD`.
 * With `BENCH_PROFILE=<folder>`, each child writes a V8 CPU profile there when it exits (`--cpu-prof`).
 */
export function child(file: string, data: unknown): Child {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const proc = fork(path.join(HERE, file), [], { env: { ...process.env, BENCH_CHILD: JSON.stringify(data) }, execArgv: [...process.execArgv, ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: unknown[] = [];
  const waiting: Array<{ resolve: (m: unknown) => void; reject: (e: Error) => void }> = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.on('message', (m) => {
    const w = waiting.shift();
    if (w) w.resolve(m);
    else queue.push(m);
  });
  proc.once('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${file} exited (${code ?? signal}) before answering`));
  });
  return {
    proc,
    next<T>() {
      if (queue.length) return Promise.resolve(queue.shift() as T);
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.reject(new Error(`${file} has exited`));
      return new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as (m: unknown) => void, reject }));
    },
    send(m) {
      proc.send(m as object);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
