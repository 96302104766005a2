/** The demo server (what `npm start` runs) as a child process, so that a test can SIGKILL it and start it again. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Line } from './demo.ts';
import { waitFor } from './net.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port that was free a moment ago on 127.0.0.1 (the demo process listens on it, again after a restart). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts the demo server on `port` with its LevelDB in `dataDir` (and `env` added) and waits until it listens. */
export async function startDemoProcess(port: number, dataDir: string, token: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'examples/demo/src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SENTIERO_DATA: dataDir, SENTIERO_TOKEN: token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  await waitFor(() => out.includes('dashboard:') || child.exitCode !== null, { timeoutMs: 30_000, what: 'the demo server to listen' });
  if (child.exitCode !== null) throw new Error(`the demo server exited: ${out}`);
  return child;
}

/** Kills the process with SIGKILL (no shutdown code runs) and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** A demo page recording into a demo process (started again with `recorderOptions` when given), and the seqs the relay acknowledged to it (read from its WebSocket frames over CDP). */
export async function recordingPage(browser: Browser, origin: string, recorderOptions: Record<string, unknown> = {}): Promise<{ page: Page; sessionId: string; acked: number[] }> {
  const page = await (await browser.newContext()).newPage();
  const acked: number[] = [];
  // The recorder opens its socket in a worker when it can; CDP's page session sees the frames of the page's own sockets only.
  await page.addInitScript('delete window.Worker');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketFrameReceived', (e: { response: { payloadData: string } }) => {
    const m = JSON.parse(e.response.payloadData) as { t: string; seq?: number };
    if (m.t === 'ack') acked.push(m.seq!);
  });
  await page.goto(`${origin}/`);
  if (Object.keys(recorderOptions).length) {
    // The demo page started the recorder with `Sentiero.start({ captureErrors: true, linkRequests: true })`: start it again with the options added.
    await page.evaluate((extra) => {
      const s = (window as unknown as { Sentiero: { stop(): void; start(o: object): boolean } }).Sentiero;
      s.stop();
      if (!s.start({ captureErrors: true, linkRequests: true, ...extra })) throw new Error('the recorder did not start again');
    }, recorderOptions);
  }
  const { sessionId } = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
  return { page, sessionId, acked };
}

/** A session's stored batches, through the REST API of the relay at `origin`. */
export async function readStored(origin: string, token: string, sessionId: string): Promise<Line[]> {
  const res = await fetch(`${origin}/sentiero/api/sessions/${sessionId}/events`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) return [];
  return (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

/** Waits until the page's `tick N` (see `startTicker`) is stored, and returns the session's batches. */
export function waitForTick(origin: string, token: string, sessionId: string, tick: number, timeoutMs = 30_000): Promise<Line[]> {
  return waitFor(async () => {
    const lines = await readStored(origin, token, sessionId);
    return JSON.stringify(lines).includes(`"tick ${tick}"`) ? lines : undefined;
  }, { timeoutMs, what: `tick ${tick} to be stored` });
}

/** Asserts that no batch (seq) and no event was stored twice. */
export function assertStoredOnce(lines: Line[], what: string): void {
  const seqs = lines.map((l) => `${l.windowId}/${l.seq}`);
  assert.equal(new Set(seqs).size, seqs.length, `${what}: no seq stored twice`);
  const events = lines.flatMap((l) => l.events.map((e) => JSON.stringify(e)));
  assert.equal(new Set(events).size, events.length, `${what}: no event stored twice (a re-send under a new seq would show here)`);
}
