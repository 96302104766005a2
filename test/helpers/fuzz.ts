/**
 * A property-based fuzzer of the relay (fast-check): generated frames and requests on the
 * ingest WebSocket, the HTTP ingest fallback, the watch socket and every REST route, while one
 * well-behaved recorder sends batches throughout. It records every answer; the tests decide.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, createId } from '@sentiero/protocol';
import type { RelayOptions } from '@sentiero/relay';
import { type TestRelay, startRelay } from './relay.ts';

/** The frame limit the fuzzed relay runs with (small, so that oversized frames are cheap to make). */
export const FUZZ_PAYLOAD_LIMIT = 64 * 1024;

/** The relay's options under fuzzing: a small frame limit, a rate limit a flood reaches, live sessions that end soon. */
export const FUZZ_RELAY_OPTIONS: RelayOptions = {
  limits: { maxPayloadBytes: FUZZ_PAYLOAD_LIMIT, maxMessagesPerSecond: 200, rateWindowMs: 1000, maxErrorsPerSecond: 100_000, liveGraceMs: 500, authTimeoutMs: 2000 },
  recorder: { maxBatchBytes: 32 * 1024 },
};

/** One WebSocket frame: text, or binary. */
interface Frame { data: string | Uint8Array; binary: boolean }
/** One generated case; `frames` counts what it sends. */
type Case =
  | { kind: 'ingest'; hello: boolean; frames: Frame[]; flood: number }
  | { kind: 'watch'; auth: 'none' | 'wrong' | 'right'; frames: Frame[]; flood: number }
  | { kind: 'post'; body: Frame; origin: boolean }
  | { kind: 'rest'; method: string; path: string; query: Array<[string, string]>; credential: 'none' | 'viewer' | 'ingest-key' | 'wrong'; body: Frame | undefined; encoding: string | undefined };

/** What the fuzzer saw. */
export interface FuzzReport {
  /** Frames and requests sent. */
  frames: number;
  cases: number;
  /** Close codes of the fuzzed sockets, counted. */
  closeCodes: Record<string, number>;
  /** HTTP statuses, counted. */
  statuses: Record<string, number>;
  /** Every answer that broke the rules, with the case that caused it (first 10). */
  failures: string[];
  /** Heap and RSS growth from after warm-up to the end, each measured after a full GC, in bytes. */
  heapGrowth: number;
  rssGrowth: number;
  /** The good recorder: batches sent, acknowledged, stored; and whether its socket stayed open. */
  good: { sent: number; acked: number; storedEvents: number; sentEvents: number; closed: string | undefined };
}

const text = (data: string): Frame => ({ data, binary: false });
/** A frame as a fetch body. */
const bodyOf = (f: Frame): string | Blob => (typeof f.data === 'string' ? f.data : new Blob([new Uint8Array(f.data)]));

/** Values of every JSON type and the edges of numbers. */
const weird = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -1, 0, -0, 1.5, 2 ** 31, 2 ** 64, '', '0', 'NaN', null, true, [], {}),
  fc.string({ maxLength: 40 }),
  fc.double(),
);
const idLike = fc.oneof(
  fc.constantFrom('a', 'x'.repeat(64), 'x'.repeat(65), '../etc', 'id with space', 'ü', '%zz', '__proto__', 'constructor'),
  fc.string({ maxLength: 70 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
);
const meta = { url: 'http://fuzz.test/', userAgent: 'fuzz', startedAt: 1_700_000_000_000 };
const goodEvent = fc.record({ type: fc.integer({ min: 0, max: 6 }), timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), data: fc.record({ source: fc.nat(20), x: fc.nat(), text: fc.string({ maxLength: 30 }) }) });
const anyEvent = fc.oneof(goodEvent, fc.record({ type: weird, timestamp: weird, data: weird }, { requiredKeys: [] }), weird);

/** JSON nested `depth` deep, as arrays or objects, inside an event. */
const deep = fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean()).map(([d, arrays]) => {
  const inner = arrays ? `${'['.repeat(d)}${']'.repeat(d)}` : `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
  return `[{"type":3,"timestamp":1700000000000,"data":${inner}}]`;
});

/** Frames that every socket kind gets: malformed, wrong types, huge numbers, deep nesting, raw bytes, oversized. */
const commonFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.json({ maxDepth: 4 }).map(text),
  fc.tuple(fc.json({ maxDepth: 4 }), fc.nat()).map(([s, n]) => text(s.slice(0, n % Math.max(1, s.length)))),
  fc.string({ maxLength: 200 }).map(text),
  fc.constantFrom('', '{', '[', '"', 'null', '{"t":', '{"t":null}', '1e400', '{"__proto__":{"t":"batch"}}', '\u0000', '\ud800').map(text),
  fc.uint8Array({ maxLength: 300 }).map((data) => ({ data, binary: true })),
  // Text frames whose bytes are not UTF-8.
  fc.uint8Array({ minLength: 1, maxLength: 100 }).map((b) => ({ data: Uint8Array.from([...b, 0xff, 0xc0, 0x80]), binary: false })),
  fc.integer({ min: FUZZ_PAYLOAD_LIMIT + 1, max: 2 * FUZZ_PAYLOAD_LIMIT }).map((n) => text(`{"t":"batch","seq":1,"events":[{"type":3,"timestamp":1,"data":"${'x'.repeat(n)}"}]}`)),
);

const ingestFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: commonFrame, weight: 3 },
  { arbitrary: fc.record({ seq: fc.integer({ min: 1, max: 50 }), events: fc.array(goodEvent, { maxLength: 5 }) }).map((b) => text(JSON.stringify({ t: 'batch', ...b }))), weight: 3 },
  { arbitrary: fc.record({ t: fc.constantFrom('batch', 'hello', 'ack', 'welcome', 'x'), seq: weird, events: fc.oneof(fc.array(anyEvent, { maxLength: 4 }), weird), v: weird, sessionId: idLike, windowId: idLike, lastSeq: weird, meta: fc.oneof(weird, fc.constant(meta)) }, { requiredKeys: ['t'] }).map((m) => text(JSON.stringify(m))), weight: 4 },
  { arbitrary: fc.constantFrom(1e308, 2 ** 53, 2 ** 53 + 2, -1, 0, 1.5, 1e21).map((seq) => text(`{"t":"batch","seq":${seq},"events":[{"type":3,"timestamp":${seq},"data":{}}]}`)), weight: 1 },
  { arbitrary: deep.map((events) => text(`{"t":"batch","seq":1,"events":${events}}`)), weight: 1 },
);

const watchFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: commonFrame, weight: 3 },
  { arbitrary: fc.record({ t: fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'x'), token: weird, sessionId: idLike, feed: fc.oneof(fc.constantFrom('sessions', 'errors'), weird), from: fc.oneof(fc.dictionary(idLike, weird, { maxKeys: 5 }), weird) }, { requiredKeys: ['t'] }).map((m) => text(JSON.stringify(m))), weight: 5 },
  { arbitrary: deep.map((d) => text(`{"t":"subscribe","sessionId":"s","from":${d}}`)), weight: 1 },
);

/** Path segments: the relay's words, ids, and what a URL parser and `decodeURIComponent` trip on. */
const segment = fc.oneof(
  fc.constantFrom('api', 'sessions', 'errors', 'events', 'sourcemaps', 'envelope', 'store', 'assets', 'health', 'recorder.js', 'ingest', 'watch', '1', '', 'dashboard.js'),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2e%2e', '%2F', '..', '.', 'a%20b', '%F0%9F%98%80', 'x'.repeat(300)),
  idLike.map((s) => encodeURIComponent(s)),
  fc.constant(':session'),
);
const queryKey = fc.constantFrom('from', 'to', 'limit', 'cursor', 'url', 'hasErrors', 'live', 'minDuration', 'status', 'sessionId', 'q', 'occurrences', 'sentry_key', 'x');
const restCase: fc.Arbitrary<Case> = fc.record({
  kind: fc.constant('rest' as const),
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'),
  path: fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
    // Every route's shape with a generated id in it.
    fc.tuple(fc.constantFrom('/api/sessions/$', '/api/sessions/$/events', '/api/sessions/$/errors', '/api/errors/$', '/api/$/envelope/', '/api/$/store/', '/assets/$'), segment)
      .map(([shape, seg]) => shape.replace('$', seg)),
  ),
  query: fc.array(fc.tuple(queryKey, fc.oneof(fc.string({ maxLength: 30 }), weird.map(String))), { maxLength: 4 }),
  credential: fc.constantFrom('none', 'viewer', 'viewer', 'ingest-key', 'wrong'),
  body: fc.option(fc.oneof(commonFrame, ingestFrame), { nil: undefined }),
  encoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'zstd', 'gzip, gzip'), { nil: undefined }),
});

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('ingest' as const), hello: fc.boolean(), frames: fc.array(ingestFrame, { minLength: 1, maxLength: 8 }), flood: fc.oneof({ arbitrary: fc.constant(0), weight: 9 }, { arbitrary: fc.integer({ min: 250, max: 600 }), weight: 1 }) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('watch' as const), auth: fc.constantFrom('none', 'wrong', 'right', 'right'), frames: fc.array(watchFrame, { minLength: 1, maxLength: 8 }), flood: fc.oneof({ arbitrary: fc.constant(0), weight: 9 }, { arbitrary: fc.integer({ min: 100, max: 300 }), weight: 1 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('post' as const), body: fc.oneof(commonFrame, ingestFrame, fc.record({ sessionId: idLike, windowId: idLike, seq: fc.oneof(fc.integer({ min: 1, max: 9 }), weird), events: fc.oneof(fc.array(anyEvent, { maxLength: 4 }), weird), meta: fc.oneof(weird, fc.constant(meta)) }, { requiredKeys: [] }).map((m) => text(JSON.stringify(m)))), origin: fc.boolean() }), weight: 2 },
  { arbitrary: restCase, weight: 3 },
);

const CLOSE_CODES = new Set<number>(Object.values(CloseCode));
/** Close codes a relay must never use for bad input: its own failures. */
const FAILURE_CLOSES = new Set<number>([CloseCode.INTERNAL, CloseCode.STORE_FAILED]);
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
const FAILURE_ERRORS = new Set<string>([ErrorCode.INTERNAL, ErrorCode.STORE_FAILED]);

/** A full garbage collection (the flag is set at run time, so no `--expose-gc` is needed). */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function memory(): { heap: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

const show = (c: Case): string => JSON.stringify(c, (_k, v) => {
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 200)}…(${v.length} chars)`;
  return v;
}).slice(0, 800);

/** A recorder that follows the protocol: one socket, a batch of 3 events every 50 ms, every ack counted. */
class GoodRecorder {
  readonly sessionId = createId();
  private readonly windowId = createId();
  private ws!: WebSocket;
  private timer: ReturnType<typeof setInterval> | undefined;
  sent = 0;
  sentEvents = 0;
  readonly acked = new Set<number>();
  closed: string | undefined;

  async start(t: TestRelay): Promise<void> {
    this.ws = await t.socket('/ingest');
    this.ws.on('close', (code, reason) => { this.closed = `${code} ${reason}`; });
    this.ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { t: string; seq?: number };
      if (m.t === 'ack') this.acked.add(m.seq!);
    });
    const welcome = new Promise((resolve) => this.ws.once('message', resolve));
    this.ws.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, sessionId: this.sessionId, windowId: this.windowId, lastSeq: 0, meta }));
    await welcome;
    this.timer = setInterval(() => {
      if (this.ws.readyState !== this.ws.OPEN) return;
      const now = Date.now();
      const events = [0, 1, 2].map((i) => ({ type: 3, timestamp: now + i, data: { source: 1, n: this.sentEvents + i } }));
      this.ws.send(JSON.stringify({ t: 'batch', seq: ++this.sent, events }));
      this.sentEvents += events.length;
    }, 50);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  close(): void {
    this.ws.close();
  }
}

/** Runs the fuzzer until it has sent `frames` frames and requests; `seed` makes the run repeatable. */
export async function fuzzRelay({ frames, seed, concurrency = 4, warmup = Math.min(500, Math.floor(frames / 10)) }: { frames: number; seed: number; concurrency?: number; warmup?: number }): Promise<FuzzReport> {
  const t = await startRelay(FUZZ_RELAY_OPTIONS);
  const report: FuzzReport = { frames: 0, cases: 0, closeCodes: {}, statuses: {}, failures: [], heapGrowth: 0, rssGrowth: 0, good: { sent: 0, acked: 0, storedEvents: 0, sentEvents: 0, closed: undefined } };
  const fail = (c: Case, what: string) => {
    if (report.failures.length < 10) report.failures.push(`${what} — case ${show(c)}`);
  };
  const count = (map: Record<string, number>, key: number | string) => { map[key] = (map[key] ?? 0) + 1; };
  // A session and an error group for the REST cases to find.
  const target = createId();
  await fetch(`${t.base}/ingest`, { method: 'POST', body: JSON.stringify({ sessionId: target, windowId: 'w', seq: 1, events: [{ type: 4, timestamp: 1, data: {} }], meta }) });
  await fetch(`${t.base}/api/errors`, { method: 'POST', headers: { 'x-sentiero-key': t.relay.ingestKey }, body: JSON.stringify({ message: 'fuzz' }) });

  const good = new GoodRecorder();
  await good.start(t);

  const socketCase = async (c: Extract<Case, { kind: 'ingest' | 'watch' }>) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}${t.relay.basePath}/${c.kind === 'ingest' ? 'ingest' : 'watch'}`);
    ws.on('error', () => { /* the close says what happened */ });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('unexpected-response', (_req, res) => {
        count(report.statuses, res.statusCode ?? 0);
        if ((res.statusCode ?? 500) >= 500) fail(c, `upgrade answered ${res.statusCode}`);
        res.resume();
        resolve(false);
      });
      ws.once('close', () => resolve(false));
    });
    if (!opened) return;
    ws.on('message', (d) => {
      let m: { t?: string; code?: string };
      try {
        m = JSON.parse(String(d));
      } catch {
        return fail(c, 'the relay sent a frame that is not JSON');
      }
      if (m.t === 'error' && (!ERROR_CODES.has(m.code!) || FAILURE_ERRORS.has(m.code!))) fail(c, `error message with code ${m.code}`);
    });
    const send = (f: Frame) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(f.data, { binary: f.binary });
      report.frames++;
    };
    if (c.kind === 'ingest' && (c.hello || c.flood)) send(text(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, sessionId: createId(), windowId: createId(), lastSeq: 0, meta })));
    if (c.kind === 'watch' && c.auth !== 'none') send(text(JSON.stringify({ t: 'auth', token: c.auth === 'right' ? t.relay.token : 'wrong-token-0123456789' })));
    // A flood comes first: any bad frame before it would end the socket.
    const floodFrame = text(c.kind === 'ingest' ? '{"t":"batch","seq":1,"events":[]}' : JSON.stringify({ t: 'subscribe', sessionId: target }));
    for (let i = 0; i < c.flood; i++) send(floodFrame);
    for (const f of c.frames) send(f);
    // A last frame that no relay may take: every socket ends closed by the relay, with the first reason it found.
    send(text('}'));
    const timer = setTimeout(() => { fail(c, 'the relay did not close the socket within 20 s'); ws.terminate(); }, 20_000);
    const code = await closed;
    clearTimeout(timer);
    count(report.closeCodes, code);
    if (FAILURE_CLOSES.has(code) || !CLOSE_CODES.has(code as CloseCode)) fail(c, `closed with ${code}`);
  };

  const checkAnswer = async (c: Case, res: Response, head: boolean) => {
    count(report.statuses, res.status);
    const body = await res.text();
    if (res.status >= 500) return fail(c, `answered ${res.status} ${body.slice(0, 200)}`);
    if (res.status >= 400 && !head) {
      let code: unknown;
      try {
        code = (JSON.parse(body) as { code?: unknown }).code;
      } catch {
        return fail(c, `answered ${res.status} without a coded JSON body: ${body.slice(0, 200)}`);
      }
      if (!ERROR_CODES.has(code as string) || FAILURE_ERRORS.has(code as string)) fail(c, `answered ${res.status} with code ${String(code)}`);
    }
  };

  const httpCase = async (c: Extract<Case, { kind: 'post' | 'rest' }>) => {
    report.frames++;
    try {
      if (c.kind === 'post') {
        const res = await fetch(`${t.base}/ingest`, { method: 'POST', body: bodyOf(c.body), headers: c.origin ? { origin: 'http://elsewhere.test' } : {} });
        return await checkAnswer(c, res, false);
      }
      const headers: Record<string, string> = {};
      if (c.credential === 'viewer') headers.authorization = `Bearer ${t.relay.token}`;
      if (c.credential === 'ingest-key') headers['x-sentiero-key'] = t.relay.ingestKey;
      if (c.credential === 'wrong') headers.authorization = 'Bearer wrong-token-0123456789';
      if (c.encoding) headers['content-encoding'] = c.encoding;
      const q = new URLSearchParams(c.query).toString();
      const pathname = c.path.replaceAll(':session', target);
      const withBody = c.body !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(c.method);
      const res = await fetch(`${t.base}${pathname}${q ? `?${q}` : ''}`, { method: c.method, headers, redirect: 'manual', body: withBody ? bodyOf(c.body!) : undefined });
      await checkAnswer(c, res, c.method === 'HEAD');
    } catch (err) {
      fail(c, `the request failed: ${(err as Error).message}`);
    }
  };

  const run = (c: Case) => (c.kind === 'ingest' || c.kind === 'watch' ? socketCase(c) : httpCase(c));

  /** Runs generated cases, `concurrency` at a time, until `budget` frames are sent. */
  let chunk = 0;
  const runUntil = async (budget: number) => {
    while (report.frames < budget) {
      const cases = fc.sample(caseArb, { numRuns: 64, seed: seed + chunk++ });
      for (let i = 0; i < cases.length && report.frames < budget; i += concurrency) {
        await Promise.all(cases.slice(i, i + concurrency).map((c) => run(c).then(() => { report.cases++; })));
      }
    }
  };

  await runUntil(warmup);
  const before = memory();
  await runUntil(frames);
  good.stop();
  await new Promise((r) => setTimeout(r, 200));
  const after = memory();
  report.heapGrowth = after.heap - before.heap;
  report.rssGrowth = after.rss - before.rss;

  // Every batch of the good recorder is acknowledged and stored.
  const deadline = Date.now() + 30_000;
  while (good.acked.size < good.sent && !good.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const res = await t.api(`/api/sessions/${good.sessionId}/events`);
  const lines = (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { events: unknown[] });
  report.good = { sent: good.sent, acked: good.acked.size, sentEvents: good.sentEvents, storedEvents: lines.reduce((n, l) => n + l.events.length, 0), closed: good.closed };
  good.close();
  await t.close();
  return report;
}

/** Asserts what every fuzz run must show, and prints the figures. */
export function assertFuzzReport(report: FuzzReport, bounds: { maxHeapGrowth: number; maxRssGrowth: number }): void {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  console.log(`      fuzz: ${report.frames} frames in ${report.cases} cases; closes ${JSON.stringify(report.closeCodes)}; statuses ${JSON.stringify(report.statuses)}; heap ${mb(report.heapGrowth)}, rss ${mb(report.rssGrowth)}; good recorder ${JSON.stringify(report.good)}`);
  assert.equal(report.failures.length, 0, `every bad input is answered with a documented code; these were not:\n${report.failures.join('\n')}`);
  assert.equal(report.good.closed, undefined, 'the good recorder\'s socket stayed open');
  assert.ok(report.good.sent > 0, 'the good recorder sent batches');
  assert.equal(report.good.acked, report.good.sent, 'every batch of the good recorder was acknowledged');
  assert.equal(report.good.storedEvents, report.good.sentEvents, 'every event of the good recorder was stored');
  assert.ok(report.heapGrowth < bounds.maxHeapGrowth, `heap grew ${mb(report.heapGrowth)}`);
  assert.ok(report.rssGrowth < bounds.maxRssGrowth, `rss grew ${mb(report.rssGrowth)}`);
}
