/**
 * Fidelity on the hard parts (docs/fidelity.md): pages of our own that change over time are
 * recorded for real and replayed to the end in the dashboard; the replayed DOM (shadow roots
 * and iframe documents included) and the computed styles and state of chosen elements must
 * equal the live page's at the end.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Page } from 'playwright-core';
import { storedBatches } from './helpers/demo.ts';
import { type ElementCheck, FidelityRig, type Inspection, type Recorded } from './helpers/fidelity.ts';

/** Canvas frames are lossy WebP: each channel of each sampled pixel within this of the live one. */
const PIXEL_TOLERANCE = 24;

function pixelsClose(live: Inspection, replay: Inspection): boolean {
  const a = live.elements['#c']?.pixels as number[][] | undefined;
  const b = replay.elements['#c']?.pixels as number[][] | undefined;
  return !!a && !!b && a.length === b.length && a.every((p, i) => p.every((v, j) => Math.abs(v - b[i]![j]!) <= PIXEL_TOLERANCE));
}

/** What is read of each page (`a >>> b`: b inside a's shadow root or iframe). */
const SPECS: Record<'shadow' | 'iframe' | 'styles' | 'scroll', { elements: ElementCheck[] }> = {
  shadow: {
    elements: [
      { sel: '#host >>> #label', props: ['color', 'padding-top'] },
      { sel: '#host >>> .added', props: ['background-color', 'transform', 'border-left-color'] },
      { sel: '#host >>> #card', props: ['background-color'] },
      { sel: '#host >>> #nested-host >>> #deep', props: ['color'] },
    ],
  },
  iframe: {
    elements: [
      { sel: '#frame', read: ['rect'] },
      { sel: '#frame >>> #box', props: ['color', 'background-color', 'width'] },
      { sel: '#frame >>> #log li:nth-child(2)', props: ['color'] },
    ],
  },
  styles: {
    elements: [
      { sel: '#emotion', props: ['color', 'transform', 'background-color', 'letter-spacing'] },
      { sel: '#adopted', props: ['color', 'font-style', 'text-decoration-line'] },
      { sel: 'h1', props: ['color'] },
      { sel: '#mono', props: ['font-family'], read: ['width'] },
      { sel: '#api', props: ['font-family'], read: ['width'] },
      { sel: '#fallback', read: ['width'] },
      { sel: 'body', read: ['fonts'] },
    ],
  },
  scroll: {
    elements: [
      { sel: '#outer', read: ['scroll'] },
      { sel: '#inner', read: ['scroll', 'rect'] },
      { sel: '#sticky-box', read: ['scroll'] },
      { sel: '#sticky-head', read: ['rect'] },
    ],
  },
};

describe('fidelity: the hard parts replay as the page was', function () {
  this.timeout(120_000);
  const rig = new FidelityRig();
  before(() => rig.start());
  after(() => rig.stop());

  /** Records `name` and replays it (`FidelityRig.record`), closing the dashboard. */
  async function replayed(...args: Parameters<FidelityRig['record']>): Promise<Recorded> {
    const r = await rig.record(...args);
    await r.dash.context().close();
    return r;
  }

  /** The common assertions: the same DOM, viewport (size and scroll) and readings of every element. */
  function same(live: Inspection, replay: Inspection): void {
    assert.deepEqual(replay.dom, live.dom, 'the replayed DOM');
    assert.deepEqual(replay.viewport, live.viewport, 'the viewport');
    for (const [sel, got] of Object.entries(live.elements)) {
      assert.ok(got, `${sel} exists in the live page`);
      assert.deepEqual(replay.elements[sel], got, `the readings of ${sel}`);
    }
  }

  it('open shadow roots: nested roots, their styles, adopted sheets and later changes', async () => {
    const r = await replayed('shadow', SPECS.shadow);
    same(r.live, r.replay);
    assert.ok(r.live.dom.some((l) => l.includes('"deeper"')), 'the nested root changed');
  });

  it('same-origin iframes: the frame document, its styles and later changes', async () => {
    const r = await replayed('iframe', SPECS.iframe);
    same(r.live, r.replay);
    assert.ok(r.live.dom.some((l) => l.includes('"entry 3"')), 'the frame changed');
  });

  it('CSS-in-JS (insertRule, deleteRule, rule style changes), adopted stylesheets on the document, and web fonts', async () => {
    const r = await replayed('styles', SPECS.styles, { opts: { collectFonts: true } });
    same(r.live, r.replay);
    assert.deepEqual(r.live.elements.body!.fonts, ['FidelityApiFont:loaded', 'FidelityMono:loaded'], 'both fonts were used');
    assert.notEqual(r.live.elements['#mono']!.width, r.live.elements['#fallback']!.width, 'the web font changes the text width, so equal widths mean it is used');
  });

  it('fonts added with the FontFace API are not replayed without collectFonts (its default); stylesheet fonts are', async () => {
    const r = await replayed('styles', { elements: [{ sel: '#mono', read: ['width'] }, { sel: 'body', read: ['fonts'] }] }, {
      settled: (live, replay) => isDeepStrictEqual(live.elements['#mono'], replay.elements['#mono']),
    });
    assert.deepEqual(r.replay.elements['#mono'], r.live.elements['#mono'], 'the stylesheet font is used');
    assert.deepEqual(r.replay.elements.body!.fonts, ['FidelityMono:loaded']);
  });

  it('<canvas> with recordCanvas: the last sampled frame', async () => {
    const points: Array<[number, number]> = [[20, 20], [100, 20], [200, 20], [120, 130], [200, 80]];
    const r = await rig.record('canvas', { root: '#main', elements: [{ sel: '#c', read: ['pixels', 'rect'], points }] }, {
      opts: { recordCanvas: true },
      settled: (live, replay) => pixelsClose(live, replay),
    });
    assert.equal(await r.dash.$eval('.sv-replay iframe', (f) => f.getAttribute('sandbox')), 'allow-same-origin', 'the replay iframe never gets allow-scripts');
    // The blocked canvas: no image in the snapshot and no frame, only the one of #c.
    const events = (await storedBatches(rig.t, r.sessionId)).flatMap((l) => l.events);
    const frameIds = new Set(events.filter((e) => e.type === 3 && e.data.source === 9).map((e) => e.data.id as number));
    assert.equal(frameIds.size, 1, 'frames of one canvas only');
    assert.equal(JSON.stringify(events).split('rr_dataURL').length - 1, 1, 'one canvas image in the snapshot');
    await r.dash.context().close();
    assert.deepEqual(r.replay.dom, r.live.dom);
    assert.deepEqual(r.replay.elements['#c']!.rect, r.live.elements['#c']!.rect);
    assert.ok(pixelsClose(r.live, r.replay), `the last frame: live ${JSON.stringify(r.live.elements['#c']!.pixels)}, replayed ${JSON.stringify(r.replay.elements['#c']!.pixels)}`);
  });

  it('<canvas> with recordCanvas, played through: the frames land as they come', async () => {
    const points: Array<[number, number]> = [[20, 20], [100, 20], [200, 20], [120, 130], [200, 80]];
    const r = await replayed('canvas', { root: '#main', elements: [{ sel: '#c', read: ['pixels'], points }] }, {
      opts: { recordCanvas: true }, play: true, settled: (live, replay) => pixelsClose(live, replay),
    });
    assert.ok(pixelsClose(r.live, r.replay), `the last frame: live ${JSON.stringify(r.live.elements['#c']!.pixels)}, replayed ${JSON.stringify(r.replay.elements['#c']!.pixels)}`);
  });

  it('<canvas> without recordCanvas (its default) replays as an empty canvas of the same size', async () => {
    const r = await replayed('canvas', { root: '#main', elements: [{ sel: '#c', read: ['pixels', 'rect'], points: [[20, 20], [120, 130]] }] }, { settled: () => true });
    assert.deepEqual(r.replay.dom, r.live.dom);
    assert.deepEqual(r.replay.elements['#c']!.rect, r.live.elements['#c']!.rect);
    assert.deepEqual(r.replay.elements['#c']!.pixels, [[0, 0, 0, 0], [0, 0, 0, 0]], 'nothing of the canvas was recorded');
  });

  it('<dialog> (modal and not) and popovers', async () => {
    const r = await replayed('dialog', {
      elements: ['#modal', '#plain', '#closed', '#pop', '#pop-manual', '#pop-closed'].map((sel) => ({ sel, props: ['display', 'border-top-color'], read: ['open' as const, 'rect' as const] })),
    });
    same(r.live, r.replay);
  });

  it('<dialog> and popovers, played through: shown and hidden as they were', async () => {
    const r = await replayed('dialog', {
      elements: ['#modal', '#plain', '#closed', '#pop', '#pop-manual', '#pop-closed'].map((sel) => ({ sel, props: ['display'], read: ['open' as const] })),
    }, { play: true });
    same(r.live, r.replay);
  });

  it('nested scrollers, position: sticky and the window scroll', async () => {
    const r = await replayed('scroll', SPECS.scroll);
    same(r.live, r.replay);
    assert.equal(r.live.viewport.scrollY, 120, 'the window was scrolled');
  });

  for (const [name, opts] of [['shadow', {}], ['iframe', {}], ['styles', { collectFonts: true }], ['scroll', {}]] as const) {
    it(`${name}, played through: the same at the end`, async () => {
      const r = await replayed(name, SPECS[name], { opts, play: true });
      same(r.live, r.replay);
    });
  }

  it('viewport resizes: the replay takes the last size and its media queries', async () => {
    const r = await replayed('scroll', {
      elements: [{ sel: '#wide', props: ['color'], read: ['rect'] }],
    }, {
      act: async (page) => {
        await page.setViewportSize({ width: 820, height: 600 });
        await page.waitForTimeout(300);
        await page.setViewportSize({ width: 640, height: 560 });
      },
    });
    same(r.live, r.replay);
    assert.equal(r.live.viewport.width, 640);
    assert.deepEqual(r.replay.viewport, r.live.viewport);
  });

  const FIELDS = ['#name', '#password', '#notes', '#agree', '#prefilled', '#size-s', '#size-l', '#plan', '#scripted'];
  const fillForm = async (page: Page) => {
    await page.fill('#name', 'Ada Lovelace');
    await page.fill('#password', 'hunter2-Secret');
    await page.fill('#notes', 'line one\nline two');
    await page.check('#agree');
    await page.uncheck('#prefilled');
    await page.check('#size-l');
    await page.selectOption('#plan', 'team');
  };
  const formSpec = { elements: FIELDS.map((sel) => ({ sel, read: ['form' as const] })) };
  /** A masked value: as many `*` as the live value has characters. */
  const stars = (v: unknown) => '*'.repeat(String(v).length);

  it('form state with maskAllInputs: false: text, textarea, checkbox, radio, select and scripted values replay; the password stays masked', async () => {
    const r = await replayed('forms', formSpec, {
      opts: { maskAllInputs: false },
      act: fillForm,
      settled: (live, replay) => isDeepStrictEqual(live.dom, replay.dom) && isDeepStrictEqual(replay.elements['#notes'], live.elements['#notes']),
    });
    assert.deepEqual(r.replay.dom, r.live.dom);
    const { '#password': livePassword, ...liveRest } = r.live.elements;
    const { '#password': replayPassword, ...replayRest } = r.replay.elements;
    assert.deepEqual(replayRest, liveRest, 'every field but the password as it was');
    assert.equal(livePassword!.value, 'hunter2-Secret');
    assert.deepEqual(replayPassword, { value: stars('hunter2-Secret') }, 'the password is masked whatever maskAllInputs says');
  });

  it('form state with the default privacy: checked states replay, every value stays masked', async () => {
    const r = await replayed('forms', formSpec, {
      act: fillForm,
      settled: (live, replay) => isDeepStrictEqual(live.dom, replay.dom) && (replay.elements['#notes']?.value as string | undefined)?.length === (live.elements['#notes']?.value as string).length,
    });
    assert.deepEqual(r.replay.dom, r.live.dom);
    const live = r.live.elements;
    const replay = r.replay.elements;
    for (const sel of ['#name', '#password', '#notes', '#scripted']) {
      assert.ok((live[sel]!.value as string).length > 0, `${sel} has a value live`);
      assert.equal(replay[sel]!.value, stars(live[sel]!.value), `${sel} is masked`);
    }
    for (const sel of ['#agree', '#prefilled', '#size-s', '#size-l']) assert.equal(replay[sel]!.checked, live[sel]!.checked, `${sel} checked state`);
    assert.equal(live['#plan']!.value, 'team');
    assert.notEqual(replay['#plan']!.value, 'team', 'the chosen option is not revealed');
    assert.equal(replay['#plan']!.selectedIndex, -1, 'no option is shown as chosen');
  });
});
