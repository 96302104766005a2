/**
 * The analytics overlay of the DevTools panel in real Chromium (extension loaded unpacked,
 * DevTools open on the demo page over CDP) against the demo's real relay: known clicks on the
 * demo page go through the real ingest; "Heatmap on page" draws them, and the rage-clicked
 * button's frame, over the live page (read from the canvas's pixels), keeps them across a
 * reload, and takes them away again. Also the overlay's data from the relay's answers.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { storeSession } from '../../viewer/test/helpers.ts';
import type { Ev } from '../../viewer/test/synthetic.ts';
import { OVERLAY_ID, overlayData } from '../src/overlay.ts';
import { CHROME_DIST, buildExtension } from './helpers/build.ts';
import { type ChromiumDevTools, launchWithDevTools } from './helpers/chromium.ts';

/** Set to a folder to keep a screenshot of the page with its overlay (docs/images is where the docs take it from). */
const SHOTS = process.env.SENTIERO_SCREENSHOTS;

/** Where the known clicks land on the demo page (page coordinates), away from its content's edges. */
const SPOT = { x: 550, y: 374 };

describe('DevTools panel: the analytics overlay on the inspected page', function () {
  this.timeout(240_000);
  let t: TestRelay | undefined;
  let b: ChromiumDevTools | undefined;

  before(async () => { await buildExtension(); });
  after(async () => {
    await b?.close();
    await t?.close().catch(() => undefined);
  });

  it('keeps the clicks of the page and its frustration targets, and nothing of other pages', () => {
    const target = (url: string, selector: string) => ({ url, selector, label: 'x', count: 2, sessions: [], sessionCount: 1 });
    const d = overlayData({ points: [{ x: 1, y: 2, selector: 'b' }] }, {
      rageClicks: [target('http://a.test/', '#buy'), target('http://a.test/other', '#no')], deadClicks: [target('http://a.test/', '#buy')], errorClicks: [target('http://a.test/', 'form')],
    }, 'http://a.test/');
    assert.deepEqual(d, { points: [{ x: 1, y: 2 }], marks: [{ selector: '#buy', rage: 2, dead: 2, error: 0 }, { selector: 'form', rage: 0, dead: 0, error: 2 }] });
  });

  it('draws the heat and the rage-clicked button over the live page, again after a reload, and removes them', async () => {
    t = await startDemo({ limits: { liveGraceMs: 1000 } });
    const url = `${t.origin}/`;
    const t0 = Date.now() - 60_000;
    const click = (at: number, p: { x: number; y: number }, selector: string): Ev => ({
      type: 5, timestamp: t0 + at, data: { tag: 'sentiero/click@1', payload: { selector, label: 'Suggest one', href: url, pageX: p.x, pageY: p.y, relX: 0.5, relY: 0.5, vw: 1280, vh: 800, dh: 1200 } },
    });
    const events: Ev[] = [
      { type: 4, timestamp: t0, data: { href: url, width: 1280, height: 800 } },
      { type: 5, timestamp: t0 + 1, data: { tag: 'sentiero/page@1', payload: { href: url, title: 'Demo' } } },
      // Three quick clicks on the button: a rage click (recorded at SPOT, the heat's place), and one on the page itself, which gets no frame.
      click(1000, SPOT, '#suggest'), click(1200, SPOT, '#suggest'), click(1400, SPOT, '#suggest'), click(4000, SPOT, 'html'),
      { type: 3, timestamp: t0 + 8000, data: { source: 1, positions: [{ x: 1, y: 1, id: 1, timeOffset: 0 }] } },
    ];
    await storeSession(t, 'overlaysession1', 'w1', events);
    await waitFor(async () => ((await (await t!.api(`/api/analytics/heatmap?url=${encodeURIComponent(url)}&from=${t0 - 60_000}`)).json()) as { pointCount: number }).pointCount === 4, { what: 'the digest' });

    b = await launchWithDevTools(CHROME_DIST);
    await b.page.goto(url);
    await b.openPanel();
    await b.waitInPanel('document.getElementById("app").dataset.status === "need-token"', 'the token prompt');
    await b.panel(`(() => { document.getElementById('sp-token').value = ${JSON.stringify(t.relay.token)}; document.getElementById('sp-token-form').requestSubmit(); return true; })()`);
    await b.waitInPanel('document.getElementById("app").dataset.status === "connected"', 'the connection');

    const pixel = (x: number, y: number) => b!.page.evaluate(([id, px, py]) => {
      const c = document.getElementById(id as string) as HTMLCanvasElement | null;
      return c ? Array.from(c.getContext('2d')!.getImageData(px as number, py as number, 1, 1).data) : null;
    }, [OVERLAY_ID, x, y] as const);
    const button = () => b!.page.evaluate(() => {
      const r = document.querySelector('#suggest')!.getBoundingClientRect();
      return { x: Math.round(r.left + scrollX), y: Math.round(r.top + scrollY), w: Math.round(r.width), h: Math.round(r.height) };
    });
    const drawn = async () => {
      const hot = await waitFor(() => pixel(SPOT.x, SPOT.y), { what: 'the overlay canvas', timeoutMs: 30_000 });
      assert.ok(hot[3]! > 0 && hot[0]! > hot[2]!, `heat where the clicks were: ${hot.join(',')}`);
      assert.equal((await pixel(SPOT.x + 300, SPOT.y + 300))![3], 0, 'nothing where nobody clicked');
      const r = await button();
      const frame = (await pixel(r.x - 2, r.y + Math.round(r.h / 2)))!;
      assert.ok(frame[3]! > 200 && frame[0]! > 150, `the rage-clicked button is framed: ${frame.join(',')}`);
      assert.equal((await pixel(2, 2))![3], 0, 'the page itself is not framed');
      // The overlay takes no click: the page under it still gets them.
      assert.equal(await b!.page.evaluate((id) => getComputedStyle(document.getElementById(id)!).pointerEvents, OVERLAY_ID), 'none');
    };

    await b.panel('document.getElementById("sp-overlay").click()');
    await b.waitInPanel('document.getElementById("sp-overlay").dataset.state === "on"', 'the overlay on');
    assert.equal(await b.panel<string>('document.getElementById("sp-overlay").getAttribute("aria-pressed")'), 'true');
    await drawn();
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await b.page.screenshot({ path: path.join(SHOTS, 'analytics-devtools-overlay.png') });
    }

    await b.page.reload();
    await drawn();

    await b.panel('document.getElementById("sp-overlay").click()');
    await waitFor(async () => (await pixel(SPOT.x, SPOT.y)) === null, { what: 'the overlay removed' });
    assert.equal(await b.panel<string>('document.getElementById("sp-overlay").dataset.state'), 'off');
  });
});
