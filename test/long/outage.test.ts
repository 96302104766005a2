/**
 * A 30 s outage: the relay (the demo process) is down for 30 s while a real Chromium page keeps
 * recording into its bounded buffer, then comes back. With room in the buffer every tick the
 * page made is stored, once; with a buffer too small for 30 s, what did not fit is an explicit
 * gap marker (`sentiero/gap@1`, which the viewer shows) and the recording goes on after it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { CustomTag, type GapPayload } from '@sentiero/protocol';
import { launchChromium } from '../helpers/browser.ts';
import { assertStoredOnce, freePort, killHard, recordingPage, startDemoProcess, waitForTick } from '../helpers/demo-process.ts';
import { type Line, startTicker, stopTicker } from '../helpers/demo.ts';
import { waitFor } from '../helpers/net.ts';

const TOKEN = 'outage-test-viewer-token-0123';
const OUTAGE_MS = 30_000;

/** The ticks (`tick N` list items) added by stored incremental events, counted (a later full snapshot holds them all, lost or not). */
function storedTicks(lines: Line[]): Map<number, number> {
  const ticks = new Map<number, number>();
  const incremental = lines.flatMap((l) => l.events).filter((e) => e.type === 3);
  for (const m of JSON.stringify(incremental).matchAll(/"tick (\d+)"/g)) ticks.set(Number(m[1]), (ticks.get(Number(m[1])) ?? 0) + 1);
  return ticks;
}

/** The gap markers in stored events. */
function gaps(lines: Line[]): GapPayload[] {
  return lines.flatMap((l) => l.events).filter((e) => e.type === 5 && e.data?.tag === CustomTag.GAP).map((e) => e.data.payload as GapPayload);
}

describe('reliability: the relay down for 30 s while a page records', function () {
  this.timeout(300_000);
  let browser: Browser;
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  before(async () => { browser = await launchChromium(); });
  afterEach(async () => {
    if (child) await killHard(child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  after(async () => { await browser?.close(); });

  /** Records with the ticker on, takes the relay down for 30 s, brings it back; returns what is stored and the last tick. */
  async function outage(maxBufferBytes: number | undefined): Promise<{ lines: Line[]; ticks: number }> {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-outage-'));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    child = await startDemoProcess(port, dataDir, TOKEN);
    const { page, sessionId, acked } = await recordingPage(browser, origin, maxBufferBytes === undefined ? {} : { maxBufferBytes });
    await startTicker(page, 100);
    await waitFor(() => acked.length >= 3, { timeoutMs: 30_000, what: '3 acknowledged batches' });

    await killHard(child);
    const before = acked.length;
    await page.waitForTimeout(OUTAGE_MS);
    child = await startDemoProcess(port, dataDir, TOKEN);
    // The recorder's backoff is capped at 30 s: it is back within that.
    await waitFor(() => acked.length > before + 3, { timeoutMs: 90_000, what: 'acks after the relay came back' });
    const ticks = await stopTicker(page);
    const lines = await waitForTick(origin, TOKEN, sessionId, ticks, 60_000);
    return { lines, ticks };
  }

  it('stores every tick made during the outage, once, when the buffer has room', async () => {
    const { lines, ticks } = await outage(undefined);
    assertStoredOnce(lines, 'the page');
    const stored = storedTicks(lines);
    const missing = Array.from({ length: ticks }, (_, i) => i + 1).filter((n) => !stored.has(n));
    assert.deepEqual(missing, [], 'no tick lost');
    assert.ok(ticks >= OUTAGE_MS / 100 / 2, `the page kept ticking through the outage (${ticks} ticks)`);
    assert.deepEqual(gaps(lines), [], 'no gap marker');
  });

  it('stores gap markers that account for what did not fit a small buffer, and goes on after them', async () => {
    const { lines, ticks } = await outage(8 * 1024);
    assertStoredOnce(lines, 'the page');
    const stored = storedTicks(lines);
    const missing = Array.from({ length: ticks }, (_, i) => i + 1).filter((n) => !stored.has(n));
    assert.ok(missing.length > 0, `an 8 KiB buffer cannot hold 30 s of ticks (${ticks} made, all stored; gaps ${JSON.stringify(gaps(lines))})`);
    const markers = gaps(lines);
    assert.ok(markers.some((g) => g.reason === 'buffer-full' && g.dropped > 0), `a buffer-full gap marker: ${JSON.stringify(markers)}`);
    const dropped = markers.reduce((n, g) => n + g.dropped, 0);
    assert.ok(dropped >= missing.length, `the markers account for every lost tick (${dropped} events dropped, ${missing.length} ticks missing)`);
    const longest = markers.reduce((a, b) => (b.dropped > a.dropped ? b : a));
    assert.ok(lines.flatMap((l) => l.events).some((e) => e.timestamp > longest.to), 'the recording goes on after the longest gap');
  });
});
