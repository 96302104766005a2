/**
 * Live mode in the real dashboard: a demo page keeps changing while a viewer follows it, and
 * every change shows in the viewer, in order and never before the page made it. The lag itself
 * is a timing: bench/viewer.ts measures it (10 watchers, median and p99). Then the page closes
 * and the view turns into a replay.
 */
import assert from 'node:assert/strict';
import type { BrowserContext } from 'playwright-core';
import { pageSession, useDemoBrowser } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { createId } from '@sentiero/protocol';
import { openDashboard, replayedText, storeSession, viewState, waitForView } from './helpers.ts';
import { syntheticEvents } from './synthetic.ts';

const TICKS = 24;

describe('viewer: live mode in the dashboard', function () {
  this.timeout(180_000);
  const env = useDemoBrowser({ context: { viewport: { width: 1280, height: 800 } } });
  let t: TestRelay;
  let context: BrowserContext;
  beforeEach(() => ({ t, context } = env));

  it('follows a page as it changes, shows every change with its lag figure, jumps back to live after seeking back, and turns into a replay when the page closes', async () => {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(app);

    // Coming from the replay of another session, as from the list to one session and then another.
    const earlier = { id: createId(), window: createId() };
    await storeSession(t, earlier.id, earlier.window, syntheticEvents({ t0: Date.now() - 600_000, end: 5_000, steps: [{ at: 1_000, text: 'step 1' }] }));
    const dash = await openDashboard(context, t, `#/sessions/${earlier.id}?t=2000`);
    await waitForView(dash, (s) => s.frame === 'true' && s.seeking === 'false' && s.time >= 1900, 'the other session replayed');
    await dash.evaluate((id) => { location.hash = `#/sessions/${id}`; }, sessionId);
    await waitForView(dash, (s) => s.mode === 'live' && s.frame === 'true', 'live mode with a frame');
    assert.ok(await dash.isVisible('.sv-live-pill'), 'the live indicator');
    // The indicator says LIVE, and the clock beside it where playback is (the clock's text once ended up in the indicator).
    await waitFor(async () => /^LIVE/.test(await dash.locator('.sv-live-pill').innerText()), { what: 'LIVE in the indicator', timeoutMs: 5000 });
    assert.match(await dash.locator('.sv-clock').innerText(), /^\d+:\d\d \/ \d+:\d\d$/, 'the clock');
    assert.equal(await dash.isDisabled('.sv-speed[data-speed="2"]'), true, 'no speeds while live');

    // The dashboard notes when each "tick N" first shows in the replayed page.
    // (A string, so that the test runner's transform adds no helpers to the page's code.)
    await dash.evaluate(`(() => {
      const seen = {};
      window.__seen = seen;
      const look = () => {
        const doc = document.querySelector('.sv-replay iframe')?.contentDocument;
        for (const li of doc?.querySelectorAll('#tasks li') ?? []) {
          const m = /tick (\\d+)/.exec(li.textContent ?? '');
          if (m && !(m[1] in seen)) seen[m[1]] = Date.now();
        }
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    })()`);
    // The page adds "tick N" every 250 ms and notes when.
    await app.evaluate((n) => {
      const made: Record<string, number> = {};
      (window as unknown as { __made: Record<string, number> }).__made = made;
      let i = 0;
      const timer = setInterval(() => {
        i++;
        const li = document.createElement('li');
        li.textContent = `tick ${i}`;
        document.getElementById('tasks')!.append(li);
        made[i] = Date.now();
        if (i >= n) clearInterval(timer);
      }, 250);
    }, TICKS);
    await waitFor(async () => Object.keys(await dash.evaluate(() => (window as unknown as { __seen: object }).__seen)).length >= TICKS, { what: 'every tick in the viewer', timeoutMs: 30_000 });
    const made = await app.evaluate(() => (window as unknown as { __made: Record<string, number> }).__made);
    const seen = await dash.evaluate(() => (window as unknown as { __seen: Record<string, number> }).__seen);
    assert.deepEqual(Object.keys(seen).map(Number).sort((a, b) => a - b), Object.keys(made).map(Number).sort((a, b) => a - b), 'every tick the page made shows in the viewer');
    for (let k = 1; k <= TICKS; k++) {
      assert.ok(seen[k]! >= made[k]!, `tick ${k} showed before the page made it`);
      if (k > 1) assert.ok(seen[k]! >= seen[k - 1]!, `tick ${k} showed before tick ${k - 1}`);
    }
    const shown = await viewState(dash);
    assert.ok(shown!.lag !== '' && Number.isFinite(Number(shown!.lag)), 'the viewer shows its lag figure');

    // Seek back: the view replays the past, offers "jump to live", and goes back to the live edge.
    const box = (await dash.locator('.sv-track').boundingBox())!;
    await dash.mouse.click(box.x + box.width * 0.2, box.y + box.height / 2);
    await waitForView(dash, (s) => s.mode === 'behind-live', 'behind live');
    await dash.click('[data-action="jump-to-live"]');
    await waitForView(dash, (s) => s.mode === 'live', 'live again');
    await waitFor(async () => (await replayedText(dash, '#tasks'))?.includes(`tick ${TICKS}`), { what: 'the live edge again' });

    // The page closes: the session ends and the view is a replay showing the last frame.
    const finalTasks = (await app.textContent('#tasks'))!.replace(/\s+/g, ' ').trim();
    await app.close();
    const s = await waitForView(dash, (v) => v.mode === 'replay' && v.recording === 'false', 'the switch to replay', 60_000);
    assert.equal(s.frame, 'true');
    assert.equal(await dash.isVisible('.sv-live-pill'), false);
    assert.equal(await dash.isDisabled('[data-action="play"]'), false, 'the replay can be played');
    assert.equal((await replayedText(dash, '#tasks'))!.replace(/\s+/g, ' ').trim(), finalTasks);
    await dash.click('[data-action="play"]');
    await waitForView(dash, (v) => v.state === 'playing' || v.state === 'ended', 'playing the ended session');
  });

  it('opens a link to an earlier moment of a session still being recorded at that moment, behind live', async () => {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(app);
    // The page keeps changing, so that the session is still live and goes well past the moment.
    await app.evaluate(() => {
      let i = 0;
      setInterval(() => {
        const li = document.createElement('li');
        li.textContent = `later ${++i}`;
        document.getElementById('tasks')!.append(li);
      }, 200);
    });
    const summaryOf = async () => (await (await t.api(`/api/sessions/${sessionId}`)).json()) as { startedAt: number; lastEventAt: number; live: boolean };
    await waitFor(async () => { const s = await summaryOf(); return s.lastEventAt - s.startedAt > 4000; }, { what: 'four seconds recorded' });
    const at = 1500;
    const dash = await openDashboard(context, t, `#/sessions/${sessionId}?t=${at}`);
    const s = await waitForView(dash, (v) => v.frame === 'true' && v.seeking === 'false', 'the moment', 60_000);
    assert.equal(s.mode, 'behind-live');
    assert.equal((await summaryOf()).live, true);
    assert.ok(Math.abs(s.time - at) < 500, `opened at ${s.time} ms, the link says ${at} ms`);
    assert.ok(await dash.isVisible('[data-action="jump-to-live"]'), 'a way back to live');
    await app.close();
  });
});
