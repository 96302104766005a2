/**
 * Scale-out on Redis with real processes: three demo processes (what `npm start` runs) share
 * one real `redis-server` through SENTIERO_REDIS_URL, with no sticky sessions.
 *
 * - 20 protocol recorders, each reconnecting at random to any live process; one process is
 *   SIGKILLed midway. Every event made (all acknowledged) is stored exactly once, and a
 *   watcher on each surviving process saw every event of every session, once.
 * - Redis itself is killed and started again (on its append-only file) mid-stream: the
 *   relays reconnect without restarting, recorders deliver everything, and a watcher on the
 *   other process catches up from the store (the bus resyncs).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { type RedisServer, startRedis } from '../../storage/test/redis-server.ts';
import { assertStoredOnce, freePort, killHard, readStored, startDemoProcess } from '../helpers/demo-process.ts';
import { waitFor } from '../helpers/net.ts';
import { ProtocolRecorder } from '../helpers/protocol-recorder.ts';

const TOKEN = 'redis-scale-viewer-token-0123';
const CLIENTS = 20;

/** A watcher on one process following the given sessions: the event numbers it got, per session. */
class Watcher {
  readonly seen = new Map<string, number[]>();
  readonly live = new Set<string>();
  private readonly ws: WebSocket;

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/sentiero/watch`);
    this.ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { t: string; sessionId?: string; events?: { data: { n: number } }[] };
      if (m.t === 'events') {
        const list = this.seen.get(m.sessionId!) ?? [];
        list.push(...m.events!.map((e) => e.data.n));
        this.seen.set(m.sessionId!, list);
      } else if (m.t === 'live') this.live.add(m.sessionId!);
    });
    this.ws.on('error', () => {});
  }

  async follow(sessionIds: string[]): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) await new Promise((r) => this.ws.once('open', r));
    this.ws.send(JSON.stringify({ t: 'auth', token: TOKEN }));
    for (const sessionId of sessionIds) this.ws.send(JSON.stringify({ t: 'subscribe', sessionId }));
    await waitFor(() => sessionIds.every((id) => this.live.has(id)), { timeoutMs: 30_000, what: 'every subscription live' });
  }

  close(): void {
    this.ws.terminate();
  }
}

function checkWatcher(w: Watcher, recorders: ProtocolRecorder[], what: string): void {
  for (const [i, r] of recorders.entries()) {
    const made = r.made().map((e) => e.data.n);
    const seen = [...(w.seen.get(r.sessionId) ?? [])].sort((a, b) => a - b);
    const missing = made.filter((n) => !seen.includes(n));
    assert.deepEqual(seen, made, `${what}: recorder ${i}'s events, each once (missing ${missing.slice(0, 10).join(', ')}; ${seen.length - new Set(seen).size} twice)`);
  }
}

async function checkStored(port: number, recorders: ProtocolRecorder[]): Promise<void> {
  for (const [i, r] of recorders.entries()) {
    const lines = await readStored(`http://127.0.0.1:${port}`, TOKEN, r.sessionId);
    assertStoredOnce(lines, `recorder ${i}`);
    const stored = lines.flatMap((l) => l.events.map((e) => (e.data as { n: number }).n)).sort((a, b) => a - b);
    assert.deepEqual(stored, r.made().map((e) => e.data.n), `recorder ${i}: every event it made is stored, once`);
  }
}

describe('scale-out: relay processes on one Redis', function () {
  this.timeout(300_000);
  let redis: RedisServer | undefined;
  let dataDir: string;
  const children: ChildProcess[] = [];
  const recorders: ProtocolRecorder[] = [];
  const watchers: Watcher[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-redis-scale-'));
  });

  afterEach(async () => {
    for (const r of recorders.splice(0)) r.close();
    for (const w of watchers.splice(0)) w.close();
    await Promise.all(children.splice(0).map(killHard));
    await redis?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('20 recorders reconnecting at random across three processes, one SIGKILLed: every event stored once and watched once on each survivor', async () => {
    redis = await startRedis();
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) children.push(await startDemoProcess(port, dataDir, TOKEN, { SENTIERO_REDIS_URL: redis.url }));
    const alive = [...ports];
    const pick = () => `ws://127.0.0.1:${alive[Math.floor(Math.random() * alive.length)]}/sentiero/ingest`;
    for (let i = 0; i < CLIENTS; i++) {
      const r = new ProtocolRecorder(pick, i);
      recorders.push(r);
      r.start(60);
    }
    await waitFor(() => recorders.every((r) => r.ackedSeq >= 2), { timeoutMs: 60_000, what: 'a first acknowledged batch from every recorder' });
    for (const port of ports) watchers.push(new Watcher(port));
    await Promise.all(watchers.map((w) => w.follow(recorders.map((r) => r.sessionId))));
    const dropper = setInterval(() => recorders[Math.floor(Math.random() * CLIENTS)]!.drop(), 100);
    try {
      await waitFor(() => recorders.every((r) => r.ackedSeq >= 20), { timeoutMs: 90_000, what: '20 acknowledged batches per recorder' });
      alive.splice(2, 1);
      await killHard(children[2]!);
      const atKill = recorders.map((r) => r.ackedSeq);
      await waitFor(() => recorders.every((r, i) => r.ackedSeq >= atKill[i]! + 20), { timeoutMs: 90_000, what: '20 more acknowledged batches per recorder after the kill' });
    } finally {
      clearInterval(dropper);
    }
    for (const r of recorders) r.stopRecording();
    await waitFor(() => recorders.every((r) => r.allAcked()), { timeoutMs: 60_000, what: 'every batch of every recorder acknowledged' });
    await checkStored(ports[0]!, recorders);
    const total = recorders.reduce((n, r) => n + r.made().length, 0);
    for (const [i, w] of watchers.slice(0, 2).entries()) {
      await waitFor(() => [...w.seen.values()].reduce((n, l) => n + l.length, 0) >= total, { timeoutMs: 30_000, what: `watcher ${i} to see every event` }).catch(() => undefined);
      checkWatcher(w, recorders, `the watcher on process ${i}`);
    }
  });

  it('Redis restarted mid-stream: the relays reconnect without restarting, recorders deliver everything, a watcher on the other process catches up', async () => {
    redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const ports = [await freePort(), await freePort()];
    for (const port of ports) children.push(await startDemoProcess(port, dataDir, TOKEN, { SENTIERO_REDIS_URL: redis.url }));
    for (let i = 0; i < 5; i++) {
      const r = new ProtocolRecorder(`ws://127.0.0.1:${ports[0]}/sentiero/ingest`, i);
      recorders.push(r);
      r.start(60);
    }
    await waitFor(() => recorders.every((r) => r.ackedSeq >= 5), { timeoutMs: 60_000, what: 'acknowledged batches before the restart' });
    const w = new Watcher(ports[1]!);
    watchers.push(w);
    await w.follow(recorders.map((r) => r.sessionId));
    await redis.stop(true);
    const atKill = recorders.map((r) => r.made().length);
    await new Promise((r) => setTimeout(r, 1500));
    await redis.restart();
    await waitFor(() => recorders.every((r, i) => r.ackedSeq * 3 >= atKill[i]! + 30), { timeoutMs: 90_000, what: 'acknowledged batches after the restart' });
    for (const r of recorders) r.stopRecording();
    await waitFor(() => recorders.every((r) => r.allAcked()), { timeoutMs: 60_000, what: 'every batch acknowledged' });
    for (const child of children) assert.equal(child.exitCode, null, 'the relay process is still the same one');
    await checkStored(ports[1]!, recorders);
    const total = recorders.reduce((n, r) => n + r.made().length, 0);
    await waitFor(() => [...w.seen.values()].reduce((n, l) => n + l.length, 0) >= total, { timeoutMs: 30_000, what: 'the watcher to see every event' }).catch(() => undefined);
    checkWatcher(w, recorders, 'the watcher on the other process');
  });
});
