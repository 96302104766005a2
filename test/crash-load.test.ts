/**
 * Reliability under load: 20 protocol recorders and one real Chromium page record into the demo
 * process; it is killed with SIGKILL midway and started again on the same LevelDB folder. No
 * acknowledged event is lost and nothing is stored twice.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { assertStoredOnce, freePort, killHard, readStored, recordingPage, startDemoProcess, waitForTick } from './helpers/demo-process.ts';
import { startTicker, stopTicker } from './helpers/demo.ts';
import { waitFor } from './helpers/net.ts';
import { ProtocolRecorder } from './helpers/protocol-recorder.ts';

const TOKEN = 'crash-load-viewer-token-0123';
const CLIENTS = 20;

describe('reliability: relay killed with SIGKILL under load', function () {
  this.timeout(240_000);
  let browser: Browser;
  let child: ChildProcess | undefined;
  let dataDir: string;
  const recorders: ProtocolRecorder[] = [];

  before(async () => { browser = await launchChromium(); });
  after(async () => {
    for (const r of recorders) r.close();
    if (child) await killHard(child);
    await browser?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event of 20 recorders and a page, and stores none twice', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-crash-load-'));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    child = await startDemoProcess(port, dataDir, TOKEN);

    for (let i = 0; i < CLIENTS; i++) {
      const r = new ProtocolRecorder(`ws://127.0.0.1:${port}/sentiero/ingest`, i);
      recorders.push(r);
      r.start(100);
    }
    const { page, sessionId, acked } = await recordingPage(browser, origin);
    await startTicker(page, 25);
    await waitFor(() => acked.length >= 5 && recorders.every((r) => r.ackedSeq >= 5), { timeoutMs: 60_000, what: 'acknowledged batches from every recorder' });

    await killHard(child);
    // What the relay had acknowledged when it died: all of it must be there after the restart.
    const ackedBeforeKill = recorders.map((r) => r.ackedSeq);
    const pageAckedBeforeKill = [...acked];
    await new Promise((r) => setTimeout(r, 1500));
    child = await startDemoProcess(port, dataDir, TOKEN);
    const maxBefore = Math.max(...pageAckedBeforeKill);
    await waitFor(() => acked.some((s) => s > maxBefore + 1) && recorders.every((r, i) => r.ackedSeq > ackedBeforeKill[i]! + 5), { timeoutMs: 90_000, what: 'acks after the restart' });

    for (const r of recorders) r.stopRecording();
    const ticks = await stopTicker(page);
    await waitFor(() => recorders.every((r) => r.allAcked()), { timeoutMs: 60_000, what: 'every batch of every recorder acknowledged' });

    for (const [i, r] of recorders.entries()) {
      const lines = await readStored(origin, TOKEN, r.sessionId);
      assertStoredOnce(lines, `recorder ${i}`);
      const stored = lines.flatMap((l) => l.events.map((e) => (e.data as { n: number }).n)).sort((a, b) => a - b);
      const made = r.made().map((e) => e.data.n);
      assert.deepEqual(stored, made, `recorder ${i}: every event it made (all acknowledged) is stored, once`);
      assert.ok(lines.some((l) => l.seq === ackedBeforeKill[i]), `recorder ${i}: batch ${ackedBeforeKill[i]}, acknowledged before the kill, survived`);
    }

    const lines = await waitForTick(origin, TOKEN, sessionId, ticks);
    const seqs = lines.map((l) => l.seq);
    for (const s of pageAckedBeforeKill) assert.ok(seqs.includes(s), `the page's acknowledged batch ${s} survived the kill`);
    assertStoredOnce(lines, 'the page');
  });
});
