/**
 * Reliability: the relay process is killed with SIGKILL in the middle of a visit and started
 * again on the same LevelDB folder. Every acknowledged batch survives, the page's recorder
 * reconnects and re-sends the rest, and nothing is stored twice.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { assertStoredOnce, freePort, killHard, recordingPage, startDemoProcess, waitForTick } from './helpers/demo-process.ts';
import { RRWEB_UMD_PATH, replayText, startTicker, stopTicker } from './helpers/demo.ts';
import { waitFor } from './helpers/net.ts';

const TOKEN = 'crash-test-viewer-token-0123';

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
    child = await startDemoProcess(port, dataDir, TOKEN);

    const { page, sessionId, acked } = await recordingPage(browser, origin);
    await startTicker(page, 25);
    await waitFor(() => acked.length >= 5, { what: '5 acknowledged batches' });

    await killHard(child);
    const ackedBeforeKill = [...acked];
    // The page goes on while the relay is down.
    await new Promise((r) => setTimeout(r, 1500));
    child = await startDemoProcess(port, dataDir, TOKEN);
    const maxBefore = Math.max(...ackedBeforeKill);
    await waitFor(() => acked.some((s) => s > maxBefore + 1), { timeoutMs: 60_000, what: 'acks after the restart' });

    const ticks = await stopTicker(page);
    const lines = await waitForTick(origin, TOKEN, sessionId, ticks);

    const seqs = lines.map((l) => l.seq);
    for (const s of ackedBeforeKill) assert.ok(seqs.includes(s), `acknowledged batch ${s} survived the kill`);
    assertStoredOnce(lines, 'the page');

    // And the stored session replays to the page's last state.
    const replayPage = await (await browser.newContext()).newPage();
    await replayPage.route(`${origin}/__rrweb.js`, (r) => r.fulfill({ path: RRWEB_UMD_PATH, contentType: 'text/javascript' }));
    await replayPage.route(`${origin}/__replay`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><div id="root"></div><script src="/__rrweb.js"></script>' }));
    const last = await replayText(replayPage, origin, lines.flatMap((l) => l.events), '#tasks > li:last-child');
    assert.equal(last, `tick ${ticks}`);
  });
});
