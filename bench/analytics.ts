/**
 * Analytics: query times over the digests of many sessions in LevelDB, beside the raw limits
 * measured in the same run, and the cost of deriving digests at ingest.
 *
 * 1. `BENCH_SESSIONS` (default 100,000) digests, varied from the shape of the shared fixture's
 *    digest (its real clicks, on a spread of pages, clients, events, days), are written into a
 *    LevelDB folder under the store's own keys; the relay's analytics then opens it (the
 *    index built from `scanDigests`, its time and memory printed).
 * 2. Overview, a 4-step funnel, a segment filter and a click heatmap, each answered (and
 *    serialized) as the route does, median of 5 — beside a bare scan of the same LevelDB keys
 *    (values not even parsed: what any query reading digests from disk would at least pay).
 * 3. Ingest throughput of the relay with digests on and off (the ingest benchmark's relay
 *    side, `BENCH_ANALYTICS=off`), alternated `BENCH_INGEST` (default 5) times, medians (goal:
 *    at most 10 % lower with them on), and the CPU each run's process used (steadier than a
 *    rate on a shared machine).
 *
 *   npm run bench -- analytics
 *   BENCH_SESSIONS=1000000 BENCH_INGEST=0 npm run bench -- analytics
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Level } from 'level';
import { CustomTag, type RecordedEvent, type SessionDigest } from '@sentiero/protocol';
import { LevelStore } from '@sentiero/storage';
import { Analytics } from '../relay/src/analytics/service.ts';
import { createDeriveState, deriveBatch, snapshotDigest } from '../relay/src/analytics/derive.ts';
import { forms, funnel, heatmap, overview } from '../relay/src/analytics/query.ts';
import { digestKey } from '../storage/src/digest-record.ts';
import { fixtureEvents, fmt, loadLine, median, table } from './_lib.ts';

const N = Number(process.env.BENCH_SESSIONS ?? 100_000);
const INGEST_ROUNDS = Number(process.env.BENCH_INGEST ?? 5);
const GOAL_MS = N > 200_000 ? 3000 : 500;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 8, 1);

/** A deterministic generator, so that every run measures the same data. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The fixture's digest: its real clicks (rrweb MouseInteraction clicks, as the recorder's CLICK would describe them). */
function template(): SessionDigest {
  const events = fixtureEvents() as RecordedEvent[];
  const extra: RecordedEvent[] = [];
  for (const e of events) {
    const d = e.data as { source?: number; type?: number; x?: number; y?: number; id?: number };
    if (e.type === 3 && d.source === 2 && d.type === 2) {
      extra.push({ type: 5, timestamp: e.timestamp, data: { tag: CustomTag.CLICK, payload: { selector: `#n${d.id}`, label: `node ${d.id}`, pageX: d.x, pageY: d.y, relX: 0.5, relY: 0.5, vw: 1280, vh: 800, dh: 2400 } } });
    }
  }
  const state = createDeriveState('fixture');
  deriveBatch(state, 'w1', [...events, ...extra].sort((a, b) => a.timestamp - b.timestamp), 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36');
  return snapshotDigest(state);
}

const BASE = 'https://acme-crm.test';
const PATHS = ['/', '/pricing', '/signup', '/login', '/dashboard', '/contacts', '/deals', '/settings', '/billing', '/checkout',
  ...Array.from({ length: 40 }, (_, i) => `/docs/${i}`)];
const CLIENTS = [['Chrome', 'Windows', 'desktop'], ['Chrome', 'Mac OS', 'desktop'], ['Safari', 'Mac OS', 'desktop'], ['Mobile Safari', 'iOS', 'mobile'],
  ['Firefox', 'Windows', 'desktop'], ['Chrome', 'Android', 'mobile'], ['Edge', 'Windows', 'desktop'], ['Samsung Browser', 'Android', 'tablet']];
const EVENTS = ['signup', 'purchase', 'invite', 'export', 'search', 'upgrade', 'share', 'import', 'logout', 'feedback'];

/** The i-th session's digest: the template's clicks and shape, varied. */
function digestOf(i: number, t: SessionDigest, rnd: () => number): SessionDigest {
  const start = T0 + Math.floor(rnd() * 90 * DAY);
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd() * xs.length)];
  const skew = () => PATHS[Math.floor(PATHS.length * rnd() ** 2)];
  const pageCount = 1 + Math.floor(rnd() * rnd() * 8);
  let at = start;
  const pages = Array.from({ length: pageCount }, (_, k) => {
    const durationMs = Math.floor(rnd() * 90_000);
    const url = `${BASE}${k === 0 ? '/' : skew()}`;
    const p = { url, windowId: 'w1', at, durationMs, scrollDepth: Math.round(rnd() * 100) / 100, vitals: rnd() < 0.5 ? { LCP: Math.floor(800 + rnd() * 4000), CLS: Math.round(rnd() * 30) / 100 } : {} };
    at += durationMs;
    return p;
  });
  const clicks = t.clicks.slice(0, Math.floor(rnd() * rnd() * 30)).map((c, k) => {
    const page = pages[k % pages.length];
    return { ...c, url: page.url, at: page.at + k * 500, x: c.x + Math.floor(rnd() * 40 - 20), y: c.y + Math.floor(rnd() * 40 - 20) };
  });
  const events = Array.from({ length: Math.floor(rnd() * rnd() * 6) }, (_, k) => ({ name: pick(EVENTS), at: start + 1000 * (k + 1), url: pages[0].url, props: { plan: pick(['free', 'pro', 'team']) } }));
  const frustration = (p: number) => (rnd() < p && clicks.length ? [{ url: clicks[0].url, selector: clicks[0].selector, label: clicks[0].label, at: clicks[0].at, clicks: 1 }] : []);
  const [browser, os, device] = pick(CLIENTS);
  const rage = frustration(0.05);
  const dead = frustration(0.15);
  const errorClicks = frustration(0.03);
  const fields = rnd() < 0.2 ? ['email', 'name', 'company'].map((field, k) => ({ url: `${BASE}/signup`, form: 'signup', field, focuses: 1, changes: 1, timeMs: Math.floor(rnd() * 8000), submitted: k < 2 && rnd() < 0.5, abandoned: false })) : [];
  const durationMs = at - start;
  const d: SessionDigest = {
    v: 1, sessionId: `s${i.toString(36).padStart(7, '0')}`, startedAt: start, endedAt: at, durationMs, browser, os, device, pages, clicks,
    rageClicks: rage.map((r) => ({ ...r, clicks: 3 })), deadClicks: dead, errorClicks, fields, events,
    counts: { events: 50 + clicks.length * 10, pages: pageCount, clicks: clicks.length, rageClicks: rage.length, deadClicks: dead.length, errorClicks: errorClicks.length, errors: errorClicks.length + (rnd() < 0.05 ? 1 : 0), customEvents: events.length },
    engagement: Math.floor(rnd() * 100),
  };
  if (rnd() < 0.3) d.userId = `user-${Math.floor(rnd() * N * 0.2)}`;
  return d;
}

/** Writes the digests under the store's keys (session records are not needed to read digests). */
async function write(dir: string): Promise<{ ms: number; bytes: number }> {
  const t = template();
  const rnd = random(42);
  const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const digests = db.sublevel<string, string>('digests', { valueEncoding: 'utf8' });
  const keys = db.sublevel<string, string>('digest-keys', { valueEncoding: 'utf8' });
  await db.open();
  await db.sublevel('meta').put('format', '2');
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < N; i += 2000) {
    const ops = [];
    for (let j = i; j < Math.min(N, i + 2000); j++) {
      const d = digestOf(j, t, rnd);
      const text = JSON.stringify(d);
      bytes += text.length;
      ops.push({ type: 'put' as const, sublevel: digests, key: digestKey(d), value: text }, { type: 'put' as const, sublevel: keys, key: d.sessionId, value: digestKey(d) });
    }
    await db.batch(ops as never);
  }
  await db.close();
  return { ms: performance.now() - started, bytes };
}

/** The raw limit: every key and value of the digests sublevel read, nothing parsed. */
async function bareScan(dir: string): Promise<{ ms: number; n: number }> {
  const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  const started = performance.now();
  let n = 0;
  const it = db.sublevel<string, string>('digests', { valueEncoding: 'utf8' }).iterator();
  for (;;) {
    const chunk = await it.nextv(1000);
    if (!chunk.length) break;
    n += chunk.length;
  }
  await it.close();
  const ms = performance.now() - started;
  await db.close();
  return { ms, n };
}

function time(fn: () => unknown, runs = 5): { ms: number; answer: unknown } {
  const times: number[] = [];
  let answer: unknown;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    answer = fn();
    JSON.stringify(answer);
    times.push(performance.now() - started);
  }
  return { ms: median(times), answer };
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

const dir = mkdtempSync(path.join(tmpdir(), 'bench-analytics-'));
try {
  console.log(`analytics: ${N.toLocaleString('en')} sessions' digests in LevelDB; ${loadLine()}`);
  const written = await write(dir);
  console.log(`written in ${fmt(written.ms / 1000)} s (${mb(written.bytes)} of digest JSON; ${execFileSync('du', ['-sh', dir], { encoding: 'utf8' }).split('\t')[0]} on disk)`);
  const bare = await bareScan(dir);

  const rssBefore = process.memoryUsage().rss;
  const store = new LevelStore({ location: dir });
  const opening = performance.now();
  const analytics = new Analytics({ store, logger: { info() {}, warn: console.warn, error: console.error }, flushMs: 60_000 }, store.open());
  await analytics.ready;
  const openMs = performance.now() - opening;
  const index = analytics.index;
  console.log(`index built at open in ${fmt(openMs / 1000)} s: ${index.size.toLocaleString('en')} sessions, ${index.pages.length.toLocaleString('en')} page visits, ${index.clicks.length.toLocaleString('en')} clicks; ` +
    `columns and strings ${mb(index.bytes())} (${fmt(index.bytes() / index.size, 0)} B per session); process RSS ${mb(process.memoryUsage().rss)} (${mb(rssBefore)} before the open)`);

  const steps = [{ url: `${BASE}/` }, { url: '/pricing' }, { url: '/signup' }, { event: 'signup' }];
  const filter = { browser: 'Firefox', event: 'purchase', property: { key: 'plan', value: 'pro' }, url: 'checkout' };
  const queries: [string, () => unknown][] = [
    ['overview (all sessions)', () => overview(index, {})],
    ['funnel, 4 steps (3 URLs, 1 event)', () => funnel(index, {}, steps)],
    ['overview of a segment (browser, event + property, URL)', () => overview(index, { filter })],
    ['click heatmap of one page', () => heatmap(index, {}, `${BASE}/pricing`, 'click')],
    ['forms of one page', () => forms(index, {}, `${BASE}/signup`)],
  ];
  const rows: string[][] = [];
  for (const [name, fn] of queries) {
    const { ms, answer } = time(fn);
    const a = answer as { read: number };
    rows.push([name, `${fmt(ms)} ms`, `${fmt(bare.ms)} ms (bare LevelDB scan of the ${bare.n.toLocaleString('en')} digest keys, unparsed)`, fmt(ms / bare.ms, 3), `< ${GOAL_MS} ms`, ms < GOAL_MS ? 'yes' : 'no', String(a.read)]);
  }
  console.log('');
  table(['query', 'Sentiero (index)', 'raw limit', 'ratio', 'goal', 'met', 'read'], rows);
  await analytics.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (INGEST_ROUNDS > 0) {
  /** CPU time (user + system) of this process's finished children so far, in ms (from /proc; clock ticks of 10 ms). */
  const childrenCpuMs = (): number => {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  };
  /** The ingest benchmark's relay side, once, with digests on or off: its events per second, and the CPU its process used. */
  const ingestRun = (on: boolean): { rate: number; cpuMs: number } => {
    const before = childrenCpuMs();
    const out = execFileSync(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL('./ingest.ts', import.meta.url))], {
      encoding: 'utf8', env: { ...process.env, BENCH_ONLY: 'relay', BENCH_ROUNDS: '1', BENCH_ANALYTICS: on ? 'on' : 'off' },
    });
    const m = /\| events\/s into LevelDB with acks \| (\d+) \|/.exec(out);
    if (!m) throw new Error(`the ingest benchmark printed no rate:\n${out}`);
    return { rate: Number(m[1]), cpuMs: childrenCpuMs() - before };
  };
  const on: { rate: number; cpuMs: number }[] = [];
  const off: { rate: number; cpuMs: number }[] = [];
  for (let r = 0; r < INGEST_ROUNDS; r++) {
    off.push(ingestRun(false));
    on.push(ingestRun(true));
  }
  const rate = (xs: typeof on) => median(xs.map((x) => x.rate));
  const cpu = (xs: typeof on) => median(xs.map((x) => x.cpuMs));
  const ratio = rate(on) / rate(off);
  console.log('');
  table(['measure', 'digests on', 'digests off (raw limit)', 'ratio', 'goal', 'met'], [
    ['ingest events/s into LevelDB with acks (bench/ingest.ts relay side, median)', String(rate(on)), String(rate(off)), fmt(ratio, 2), '≥ 0.90', ratio >= 0.9 ? 'yes' : 'no'],
    ['CPU of the whole ingest process (relay, client, start-up), median', `${cpu(on)} ms`, `${cpu(off)} ms`, fmt(cpu(off) / cpu(on), 2), '≥ 0.90', cpu(off) / cpu(on) >= 0.9 ? 'yes' : 'no'],
  ]);
  console.log(`(rounds, events/s: on ${on.map((x) => x.rate).join(', ')}; off ${off.map((x) => x.rate).join(', ')}; CPU ms: on ${on.map((x) => x.cpuMs).join(', ')}; off ${off.map((x) => x.cpuMs).join(', ')})`);
}
console.log(`(${loadLine()})`);
