/**
 * The load side of the connections and pressure benchmarks, in its own process (plain
 * JavaScript): `connections` recorder-like sockets (permessage-deflate offered, as browsers
 * do), each saying hello, then sending `batchEvents` small events every `everyMs` (first
 * send at a random offset) and timing each ack. Optionally `attackers` sockets that pipeline
 * `attackBatches` batches of about `attackBytes` each without waiting for acks.
 * Messages: sends `{ connected, failed }` once every recorder is connected, then on "measure"
 * starts counting (and the attack), and on "report" (1 s later, for the last acks) answers `{ acks, p50, p99, sent, closed, attacksDone, attackSent, attackClosed }` and exits.
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

const spec = JSON.parse(process.env.BENCH_CHILD);
const { port, connections, everyMs = 2000, batchEvents = 5, fixture, attackers = 0, attackBatches = 100, attackBytes = 4 * 1024 * 1024 } = spec;
const url = `ws://127.0.0.1:${port}/sentiero/ingest`;
const small = JSON.parse(readFileSync(fixture, 'utf8')).filter((e) => e.type === 3 && JSON.stringify(e).length <= 400);
// The client's own deflate uses little memory (memLevel 1), so that thousands fit in this process; the relay's side is unchanged.
const clientDeflate = { zlibDeflateOptions: { memLevel: 1, level: 1 } };

let measuring = false;
const latencies = [];
let sent = 0;
let closed = 0;
let attacksDone = 0;
let attackSent = 0;
let attackClosed = 0;
const sockets = [];

function recorder(i) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: clientDeflate });
    const sentAt = new Map();
    let seq = 0;
    let timer;
    ws.once('open', () => {
      ws.send(JSON.stringify({ t: 'hello', v: 1, sessionId: `rec-${process.pid}-${i}`, windowId: 'w1', lastSeq: 0, meta: { url: 'http://bench/', userAgent: 'bench', startedAt: Date.now() } }));
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.t === 'welcome') {
        resolve(true);
        const tick = () => {
          seq++;
          const t = Date.now();
          const events = [];
          for (let k = 0; k < batchEvents; k++) events.push({ ...small[(seq * batchEvents + k) % small.length], timestamp: t + k });
          sentAt.set(seq, { t: performance.now(), measured: measuring });
          if (measuring) sent++;
          ws.send(JSON.stringify({ t: 'batch', seq, events }));
        };
        timer = setTimeout(function again() {
          tick();
          timer = setTimeout(again, everyMs);
        }, Math.random() * everyMs);
      } else if (m.t === 'ack') {
        const s = sentAt.get(m.seq);
        sentAt.delete(m.seq);
        if (s?.measured) latencies.push(performance.now() - s.t);
      }
    });
    ws.on('error', () => resolve(false));
    ws.on('close', () => {
      clearTimeout(timer);
      closed++;
      resolve(false);
    });
    sockets.push(ws);
  });
}

function attacker(i) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  ws.on('error', () => {});
  ws.on('close', () => attackClosed++);
  ws.once('open', () => {
    ws.send(JSON.stringify({ t: 'hello', v: 1, sessionId: `attack-${process.pid}-${i}`, windowId: 'w1', lastSeq: 0, meta: { url: 'http://bench/', userAgent: 'bench', startedAt: Date.now() } }));
    // One padded event per batch makes the frame just under `attackBytes`; the same string is sent every time with a new seq.
    const pad = 'x'.repeat(attackBytes - 200);
    const body = `,"events":[{"type":5,"timestamp":${Date.now()},"data":{"tag":"pad","payload":"${pad}"}}]}`;
    // Pipelined: never waits for an ack, only for its own socket to take the bytes (so this process stays small).
    let seq = 0;
    const pump = () => {
      while (seq < attackBatches && ws.readyState === ws.OPEN && ws.bufferedAmount < 2 * attackBytes) {
        ws.send(`{"t":"batch","seq":${++seq}${body}`);
        attackSent++;
      }
      if (seq < attackBatches && ws.readyState === ws.OPEN) setTimeout(pump, 5);
      else if (seq >= attackBatches) attacksDone++;
    };
    pump();
  });
  sockets.push(ws);
}

let failed = 0;
let connected = 0;
for (let from = 0; from < connections; from += 200) {
  const oks = await Promise.all(Array.from({ length: Math.min(200, connections - from) }, (_, k) => recorder(from + k)));
  for (const ok of oks) ok ? connected++ : failed++;
}
process.send({ connected, failed });
process.on('message', async (m) => {
  if (m === 'measure') {
    measuring = true;
    for (let i = 0; i < attackers; i++) attacker(i);
  }
  if (m === 'report') {
    measuring = false;
    // Batches sent while measuring get 1 s more to be acked; what is still missing then counts as not acked in time.
    await new Promise((r) => setTimeout(r, 1000));
    const s = [...latencies].sort((a, b) => a - b);
    const at = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
    for (const ws of sockets) ws.terminate();
    process.send({ acks: s.length, p50: at(50), p99: at(99), sent, closed, attacksDone, attackSent, attackClosed }, () => process.exit(0));
  }
});
