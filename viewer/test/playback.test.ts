/**
 * Playback in the real dashboard (real relay, real Chromium): seeking by the timeline, the
 * activity list and the keyboard; speeds; skipping idle stretches; deep links and "copy link".
 * Sessions are synthetic (stored through the relay's real HTTP ingest) so that every moment is known.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createId } from '@sentiero/protocol';
import { launchChromium } from '../../test/helpers/browser.ts';
import { startDemo } from '../../test/helpers/demo.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { type ViewState, openDashboard, replayedText, storeSession, viewState, waitForView } from './helpers.ts';
import { syntheticEvents } from './synthetic.ts';

const STEPS = [{ at: 10_000, text: 'step 1' }, { at: 20_000, text: 'step 2' }, { at: 30_000, text: 'step 3' }, { at: 40_000, text: 'step 4' }];

/**
 * How far playback moves in `ms` of the page's own clock: the clock is paused and advanced by
 * Playwright (rrweb's timer runs on requestAnimationFrame and performance.now), so the answer
 * depends on the speed setting, not on how fast the machine is.
 */
async function advance(page: Page, ms: number): Promise<number> {
  const time = () => page.evaluate(() => Number(document.querySelector<HTMLElement>('.sv-session')!.dataset.time));
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 500));
  // A jump fires each due timer once; a few frames run so that the view shows where playback is.
  await page.clock.runFor(100);
  const p0 = await time();
  await page.clock.runFor(ms);
  const p1 = await time();
  await page.clock.resume();
  return p1 - p0;
}

describe('viewer: playback in the dashboard', function () {
  this.timeout(180_000);
  let browser: Browser;
  let t: TestRelay;
  let context: BrowserContext;
  const t0 = Date.now() - 3_600_000;
  const steps = { id: createId(), window: createId() };
  const idle = { id: createId(), window: createId() };

  before(async () => {
    browser = await launchChromium();
    t = await startDemo({ limits: { liveGraceMs: 1000 } });
    await storeSession(t, steps.id, steps.window, syntheticEvents({
      t0, end: 50_000, steps: STEPS, active: [[0, 50_000]], moveEveryMs: 500, clicks: [12_000], inputs: [15_000],
      custom: [{ at: 25_000, name: 'checkout', props: { plan: 'pro' } }],
    }));
    await storeSession(t, idle.id, idle.window, syntheticEvents({
      t0: t0 + 100_000, end: 100_000, steps: [{ at: 90_000, text: 'after the idle stretch' }], active: [[0, 20_000], [80_000, 100_000]], moveEveryMs: 100,
    }));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => { context = await browser.newContext({ viewport: { width: 1280, height: 800 } }); });
  afterEach(async () => { await context?.close(); });

  it('shows the first frame of a long session while the rest is still arriving, then all of it', async () => {
    const long = { id: createId(), window: createId() };
    const events = syntheticEvents({ t0: t0 + 300_000, end: 1_200_000, steps: [{ at: 1_190_000, text: 'the last step' }], active: [[0, 1_200_000]], moveEveryMs: 50 });
    await storeSession(t, long.id, long.window, events);
    const bytes = Buffer.byteLength(JSON.stringify(events));
    assert.ok(bytes > 2_000_000, `${bytes} bytes of events`);
    // A slow link (256 KiB/s): the events take about ten seconds to arrive.
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 256 * 1024, uploadThroughput: -1 });
    await page.goto(`${t.base}/#token=${encodeURIComponent(t.relay.token)}`);
    await page.evaluate((id) => { location.hash = `#/sessions/${id}`; }, long.id);
    const first = await waitForView(page, (s) => s.frame === 'true', 'the first frame', 60_000);
    assert.equal(first.loading, 'true', 'the first frame came before the rest of the session');
    assert.equal(await replayedText(page, '#status'), 'step 0');
    await waitForView(page, (s) => s.loading === 'false', 'the whole session', 120_000);
    // All of it arrived: a link to its last seconds shows the last step.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.evaluate((id) => { location.hash = `#/sessions/${id}?t=1195000`; }, long.id);
    await waitForView(page, (s) => s.frame === 'true' && s.seeking === 'false' && s.loading === 'false', 'the last seconds', 60_000);
    assert.equal(await replayedText(page, '#status'), 'the last step');
    await cdp.detach();
  });

  it('plays on to the end when playback catches up with a session still arriving, instead of stopping where the events so far end', async () => {
    const slow = { id: createId(), window: createId() };
    // 2.6 seconds of a page whose heading changes every 100 ms to 2,000 random characters, stored
    // in four batches: over a 6 KiB/s link each batch arrives after the one before has played.
    const stepTexts = Array.from({ length: 25 }, (_, i) => ({ at: 100 * (i + 1), text: `step ${i + 1} ${randomBytes(1000).toString('hex')}` }));
    await storeSession(t, slow.id, slow.window, syntheticEvents({ t0: t0 + 2_000_000, end: 2_600, steps: stepTexts, active: [[0, 2_500]], moveEveryMs: 20 }));
    const page = await openDashboard(context, t);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 6 * 1024, uploadThroughput: -1 });
    await page.evaluate((id) => { location.hash = `#/sessions/${id}`; }, slow.id);
    const playing = await waitForView(page, (s) => s.frame === 'true' && s.state === 'playing', 'playback started', 60_000);
    assert.equal(playing.loading, 'true', 'playback started before the rest of the session arrived');
    // It caught up with what had arrived more than once on the way; it still plays to the end, on its own.
    const states = new Set<string>();
    const seen = (s: ViewState) => { states.add(s.state); return s.state !== 'playing'; };
    // It shows that it waits for the rest…
    await waitForView(page, (s) => seen(s) || s.waiting === 'true', 'playback waiting for the rest', 60_000);
    await page.locator('.sv-going', { hasText: 'Loading the rest of the session' }).waitFor({ timeout: 10_000 });
    // …and goes on when it comes.
    const end = await waitForView(page, seen, 'playback to stop', 120_000);
    assert.deepEqual([end.state, end.loading, end.waiting], ['ended', 'false', 'false'], `playback stopped at ${end.time} ms of 2600 with the session ${end.loading === 'true' ? 'still loading' : 'loaded'}`);
    assert.deepEqual([...states], ['playing', 'ended'], 'never paused on its way');
    assert.equal((await replayedText(page, '#status'))?.slice(0, 8), 'step 25 ');
    await cdp.detach();
  });

  it('seeks by the activity list, the timeline and the keyboard to the right moment', async () => {
    const page = await openDashboard(context, t, `#/sessions/${steps.id}`);
    await waitForView(page, (s) => s.frame === 'true', 'the first frame');
    await page.keyboard.press('Space');
    await waitForView(page, (s) => s.state === 'paused', 'paused');

    // The activity list: the custom event at 25 s.
    await page.click('.sv-entry[data-kind="custom"] .sv-entry-main');
    let s = await waitForView(page, (v) => Math.abs(v.time - 25_000) < 50, 'the time of the clicked entry');
    assert.equal(s.state, 'paused');
    assert.equal(await replayedText(page, '#status'), 'step 2');
    assert.ok(await page.isVisible('.sv-entry.is-current[data-kind="custom"]'), 'the entry is marked current');

    // The timeline: 72 % of its width is 36 s of 50 s.
    const box = (await page.locator('.sv-track').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.72, box.y + box.height / 2);
    s = await waitForView(page, (v) => Math.abs(v.time - 36_000) < 50_000 / box.width * 2, 'the time under the click');
    assert.equal(await replayedText(page, '#status'), 'step 3');

    // The keyboard: → is 5 s forward, ← 5 s back.
    const before = s.time;
    await page.keyboard.press('ArrowRight');
    s = await waitForView(page, (v) => Math.abs(v.time - (before + 5000)) < 50, '5 s later');
    assert.equal(await replayedText(page, '#status'), 'step 4');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await waitForView(page, (v) => Math.abs(v.time - (before - 5000)) < 50, '10 s earlier');
    assert.equal(await replayedText(page, '#status'), 'step 3');

    // Hovering a marker shows what it is.
    await page.hover('.sv-marker[data-kind="click"]');
    assert.match((await page.textContent('.sv-tip'))!, /Click on button “Go”\s*0:12/);
  });

  it('plays faster at a higher speed, and skips idle stretches only while skipping is on', async () => {
    await context.clock.install();
    const page = await openDashboard(context, t, `#/sessions/${idle.id}?t=0`);
    await waitForView(page, (s) => s.frame === 'true' && s.state === 'paused', 'the first frame, paused');
    await page.click('.sv-toggle');
    await waitForView(page, (s) => s.skip === 'false', 'skipping off');

    await page.click('[data-action="play"]');
    await waitForView(page, (s) => s.state === 'playing', 'playing');
    const at1 = await advance(page, 1000);
    await page.keyboard.press('4');
    await waitForView(page, (s) => s.speed === '8', '8×');
    const at8 = await advance(page, 1000);
    assert.ok(at1 >= 900 && at1 <= 1100, `1 s of the page's clock played ${at1} ms at 1×`);
    assert.ok(at8 >= 7200 && at8 <= 8800, `1 s of the page's clock played ${at8} ms at 8×`);
    await page.keyboard.press('1');
    await waitForView(page, (s) => s.speed === '1', '1×');

    // Skip on: from just before the 60 s idle stretch, 10 s of the page's clock play past it.
    await page.keyboard.press('s');
    await waitForView(page, (s) => s.skip === 'true', 'skipping on');
    await page.evaluate(() => { location.hash = location.hash; });
    await page.keyboard.press('Space');
    await waitForView(page, (s) => s.state === 'paused', 'paused');
    const box = (await page.locator('.sv-track').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.19, box.y + box.height / 2);
    await page.keyboard.press('Space');
    await waitForView(page, (s) => s.state === 'playing', 'playing');
    await advance(page, 10_000);
    await waitForView(page, (s) => s.time > 91_000, 'playback past the idle stretch');
    assert.equal(await replayedText(page, '#status'), 'after the idle stretch');

    // Skip off: the same 10 s of the page's clock from the same place stay inside the idle stretch.
    await page.keyboard.press('Space');
    await page.keyboard.press('s');
    await waitForView(page, (s) => s.skip === 'false' && s.state === 'paused', 'skipping off, paused');
    await page.mouse.click(box.x + box.width * 0.19, box.y + box.height / 2);
    const from = (await viewState(page))!.time;
    await page.keyboard.press('Space');
    await waitForView(page, (s) => s.state === 'playing', 'playing');
    const played = await advance(page, 10_000);
    const s = (await viewState(page))!;
    assert.ok(played > 0 && s.time > from, 'it played');
    assert.ok(s.time < 80_000, `without skipping, 10 s of the page's clock reached ${s.time} ms, past the idle stretch`);
    assert.equal(await replayedText(page, '#status'), 'step 0');
  });

  it('opens a deep link at its moment, paused, and copies a link to the current moment', async () => {
    const page = await openDashboard(context, t, `#/sessions/${steps.id}?t=25000`);
    const s = await waitForView(page, (v) => v.frame === 'true' && Math.abs(v.time - 25_000) < 50, 'the linked moment');
    assert.equal(s.state, 'paused');
    assert.equal(await replayedText(page, '#status'), 'step 2');
    assert.equal(await page.textContent('.sv-title .sv-h1'), 'Synthetic steps');

    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await waitForView(page, (v) => Math.abs(v.time - 35_000) < 50, '35 s');
    await page.click('[data-action="copy-link"]');
    const link = await page.getAttribute('.sv-copied', 'data-link');
    assert.equal(link, `${t.base}/#/sessions/${steps.id}?t=35000`);

    const again = await context.newPage();
    await again.goto(link!);
    await waitForView(again, (v) => v.frame === 'true' && Math.abs(v.time - 35_000) < 50, 'the copied moment');
    assert.equal(await replayedText(again, '#status'), 'step 3');
  });
});
