/**
 * The load side of the fan-out benchmark, in its own process (plain JavaScript): `watchers`
 * watch sockets, then one recorder-like ingest socket sending `rate` events per second in
 * batches of 50 for `seconds`. Every watcher notes, per batch, the time from its send to its
 * arrival (same process, same clock). Answers `{ latencies, expected, received }`.
 * `kind` is `relay` (hello/auth/subscribe as the protocol says) or `raw` (plain sockets).
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

const { kind, port, watchers, rate, seconds, warmupSeconds, fixture, token } = JSON.parse(process.env.BENCH_CHILD);
const BATCH = 50;
const sessionId = `fanout-${kind}-${watchers}`;
const base = kind === 'relay' ? `ws://127.0.0.1:${port}/sentiero` : `ws://127.0.0.1:${port}`;

// One full snapshot, then the fixture's incremental events up to 2 KB over and over (a real recording has one snapshot per page load, and at 2,000 events/s mostly small ones: mouse, scroll, input).
const all = JSON.parse(readFileSync(fixture, 'utf8'));
const incremental = all.filter((e) => e.type === 3 && JSON.stringify(e).length <= 2048);
let cursor = 0;
let clock = Date.now();
const nextBatch = (first) => {
  const events = [];
  if (first) events.push(...all.filter((e) => e.type === 4 || e.type === 2).slice(0, 2).map((e) => ({ ...e, timestamp: clock })));
  while (events.length < BATCH) events.push({ ...incremental[cursor++ % incremental.length], timestamp: clock++ });
  return events;
};

const open = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});
const nextMessage = (ws, want) => new Promise((resolve) => {
  const on = (data) => {
    const m = JSON.parse(String(data));
    if (m.t !== want) return;
    ws.off('message', on);
    resolve(m);
  };
  ws.on('message', on);
});

const sentAt = new Map();
const latencies = [];
let received = 0;
let measureFrom = Infinity;
const seqOf = (s) => Number(/"seq":(\d+)/.exec(s.slice(0, 400))?.[1]);

const ingest = await open(`${base}/ingest`);
if (kind === 'relay') {
  ingest.send(JSON.stringify({ t: 'hello', v: 1, sessionId, windowId: 'w1', lastSeq: 0, meta: { url: 'http://bench/', userAgent: 'bench', startedAt: clock } }));
  await nextMessage(ingest, 'welcome');
}
const sockets = [];
for (let i = 0; i < watchers; i++) {
  const ws = await open(`${base}/watch`);
  if (kind === 'relay') {
    ws.send(JSON.stringify({ t: 'auth', token }));
    await nextMessage(ws, 'ready');
    const live = nextMessage(ws, 'live');
    ws.send(JSON.stringify({ t: 'subscribe', sessionId }));
    await live;
  }
  ws.on('message', (data) => {
    const now = performance.now();
    const s = String(data);
    if (!s.startsWith('{"t":"events"') && !s.startsWith('{"t":"batch"')) return;
    const seq = seqOf(s);
    received++;
    const t0 = sentAt.get(seq);
    if (t0 !== undefined && t0 >= measureFrom) latencies.push(now - t0);
  });
  sockets.push(ws);
}

const intervalMs = (BATCH / rate) * 1000;
const total = Math.round((seconds * rate) / BATCH);
const start = performance.now();
measureFrom = start + warmupSeconds * 1000;
let seq = 0;
await new Promise((resolve) => {
  const tick = () => {
    // Sends every batch that is due (timers are late under load; the rate is kept on average).
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    while (seq < due) {
      seq++;
      const frame = JSON.stringify({ t: 'batch', seq, events: nextBatch(seq === 1) });
      sentAt.set(seq, performance.now());
      ingest.send(frame);
    }
    if (seq >= total) resolve();
    else setTimeout(tick, Math.max(0, start + seq * intervalMs - performance.now()));
  };
  tick();
});
// Waits for the tail to arrive, at most 5 s.
const until = performance.now() + 5000;
while (received < total * watchers && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
for (const ws of [ingest, ...sockets]) ws.terminate();
process.send({ latencies, expected: total * watchers, received }, () => process.exit(0));
