/**
 * Reliability: the relay process is killed with SIGKILL in the middle of a visit and started
 * again on the same LevelDB folder. Every acknowledged batch survives, the page's recorder
 * reconnects and re-sends the rest, and nothing is stored twice.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { type Line, RRWEB_UMD_PATH, replayText, startTicker, stopTicker } from './helpers/demo.ts';
import { waitFor } from './helpers/net.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'crash-test-viewer-token-0123';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts the demo server (what `npm start` runs) as a child process and waits until it listens. */
async function startDemoProcess(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'examples/demo/src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SENTIERO_DATA: dataDir, SENTIERO_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  await waitFor(() => out.includes('dashboard:') || child.exitCode !== null, { timeoutMs: 30_000, what: 'the demo server to listen' });
  if (child.exitCode !== null) throw new Error(`the demo server exited: ${out}`);
  return child;
}

describe('reliability: relay killed with SIGKILL mid-visit', function () {
  this.timeout(120_000);
  let browser: Browser;
  let child: ChildProcess | undefined;
  let dataDir: string;

  before(async () => { browser = await launchChromium(); });
  after(async () => {
    child?.kill('SIGKILL');
    await browser?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged batch, gets the rest re-sent, and stores nothing twice', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-crash-'));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    child = await startDemoProcess(port, dataDir);

    const page: Page = await (await browser.newContext()).newPage();
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
    const { sessionId } = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
    await startTicker(page, 25);
    await waitFor(() => acked.length >= 5, { what: '5 acknowledged batches' });

    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const ackedBeforeKill = [...acked];
    // The page goes on while the relay is down.
    await new Promise((r) => setTimeout(r, 1500));
    child = await startDemoProcess(port, dataDir);
    const maxBefore = Math.max(...ackedBeforeKill);
    await waitFor(() => acked.some((s) => s > maxBefore + 1), { timeoutMs: 60_000, what: 'acks after the restart' });

    const ticks = await stopTicker(page);
    const api = (p: string) => fetch(`${origin}/sentiero/api${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const read = async (): Promise<Line[]> => (await (await api(`/sessions/${sessionId}/events`)).text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // Wait until the last tick the page made is stored.
    const lines = await waitFor(async () => {
      const ls = await read();
      return JSON.stringify(ls).includes(`"tick ${ticks}"`) ? ls : undefined;
    }, { timeoutMs: 30_000, what: `tick ${ticks} to be stored` });

    const seqs = lines.map((l) => l.seq);
    for (const s of ackedBeforeKill) assert.ok(seqs.includes(s), `acknowledged batch ${s} survived the kill`);
    assert.equal(new Set(seqs).size, seqs.length, 'no seq stored twice');
    const events = lines.flatMap((l) => l.events.map((e) => JSON.stringify(e)));
    assert.equal(new Set(events).size, events.length, 'no event stored twice (a re-send under a new seq would show here)');

    // And the stored session replays to the page's last state.
    const replayPage = await (await browser.newContext()).newPage();
    await replayPage.route(`${origin}/__rrweb.js`, (r) => r.fulfill({ path: RRWEB_UMD_PATH, contentType: 'text/javascript' }));
    await replayPage.route(`${origin}/__replay`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><div id="root"></div><script src="/__rrweb.js"></script>' }));
    const last = await replayText(replayPage, origin, lines.flatMap((l) => l.events), '#tasks > li:last-child');
    assert.equal(last, `tick ${ticks}`);
  });
});
