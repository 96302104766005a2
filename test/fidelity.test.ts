/**
 * Fidelity on the hard parts (docs/fidelity.md): pages of our own that change over time are
 * recorded for real and replayed to the end in the dashboard; the replayed DOM (shadow roots
 * and iframe documents included) and the computed styles and state of chosen elements must
 * equal the live page's at the end.
 */
import assert from 'node:assert/strict';
import { FidelityRig, type Inspection } from './helpers/fidelity.ts';

describe('fidelity: the hard parts replay as the page was', function () {
  this.timeout(120_000);
  const rig = new FidelityRig();
  before(() => rig.start());
  after(() => rig.stop());

  /** The common assertions: the same DOM, viewport and readings of every element. */
  function same(live: Inspection, replay: Inspection): void {
    assert.deepEqual(replay.dom, live.dom, 'the replayed DOM');
    for (const [sel, got] of Object.entries(live.elements)) {
      assert.ok(got, `${sel} exists in the live page`);
      assert.deepEqual(replay.elements[sel], got, `the readings of ${sel}`);
    }
  }

  it('open shadow roots: nested roots, their styles, adopted sheets and later changes', async () => {
    const r = await rig.record('shadow', {
      elements: [
        { sel: '#host >>> #label', props: ['color', 'padding-top'] },
        { sel: '#host >>> .added', props: ['background-color', 'transform', 'border-left-color'] },
        { sel: '#host >>> #card', props: ['background-color'] },
        { sel: '#host >>> #nested-host >>> #deep', props: ['color'] },
      ],
    });
    await r.dash.context().close();
    same(r.live, r.replay);
    assert.ok(r.live.dom.some((l) => l.includes('"deeper"')), 'the nested root changed');
  });

  it('same-origin iframes: the frame document, its styles and later changes', async () => {
    const r = await rig.record('iframe', {
      elements: [
        { sel: '#frame', read: ['rect'] },
        { sel: '#frame >>> #box', props: ['color', 'background-color', 'width'] },
        { sel: '#frame >>> #log li:nth-child(2)', props: ['color'] },
      ],
    });
    await r.dash.context().close();
    same(r.live, r.replay);
    assert.ok(r.live.dom.some((l) => l.includes('"entry 3"')), 'the frame changed');
  });

  it('CSS-in-JS (insertRule, deleteRule, rule style changes), adopted stylesheets on the document, and web fonts', async () => {
    const r = await rig.record('styles', {
      elements: [
        { sel: '#emotion', props: ['color', 'transform', 'background-color', 'letter-spacing'] },
        { sel: '#adopted', props: ['color', 'font-style', 'text-decoration-line'] },
        { sel: 'h1', props: ['color'] },
        { sel: '#mono', props: ['font-family'], read: ['width'] },
        { sel: '#api', props: ['font-family'], read: ['width'] },
        { sel: 'body', read: ['fonts'] },
      ],
    });
    await r.dash.context().close();
    same(r.live, r.replay);
  });

  it('<canvas> with recordCanvas: the last sampled frame', async () => {
    const points: Array<[number, number]> = [[20, 20], [100, 20], [200, 20], [120, 130], [200, 80]];
    const r = await rig.record('canvas', { elements: [{ sel: '#c', read: ['pixels', 'rect'], points }] }, { opts: { recordCanvas: true } });
    await r.dash.context().close();
    assert.deepEqual(r.replay.dom, r.live.dom);
    assert.deepEqual(r.replay.elements['#c']!.pixels, r.live.elements['#c']!.pixels);
  });

  it('<dialog> (modal and not) and popovers', async () => {
    const r = await rig.record('dialog', {
      elements: ['#modal', '#plain', '#closed', '#pop', '#pop-manual', '#pop-closed'].map((sel) => ({ sel, props: ['display', 'border-top-color'], read: ['open' as const, 'rect' as const] })),
    });
    await r.dash.context().close();
    same(r.live, r.replay);
  });

  it('nested scrollers, position: sticky and the window scroll', async () => {
    const r = await rig.record('scroll', {
      elements: [
        { sel: '#outer', read: ['scroll'] },
        { sel: '#inner', read: ['scroll', 'rect'] },
        { sel: '#sticky-box', read: ['scroll'] },
        { sel: '#sticky-head', read: ['rect'] },
      ],
    });
    await r.dash.context().close();
    same(r.live, r.replay);
  });

  it('viewport resizes: the replay takes the last size and its media queries', async () => {
    const r = await rig.record('scroll', {
      elements: [{ sel: '#wide', props: ['color'], read: ['rect'] }],
    }, {
      act: async (page) => {
        await page.setViewportSize({ width: 820, height: 600 });
        await page.waitForTimeout(300);
        await page.setViewportSize({ width: 640, height: 560 });
      },
    });
    await r.dash.context().close();
    same(r.live, r.replay);
    assert.equal(r.live.viewport.width, 640);
    assert.deepEqual(r.replay.viewport, r.live.viewport);
  });

  it('form state with privacy off: text, textarea, checkbox, radio, select; passwords stay masked', async () => {
    const r = await rig.record('forms', {
      elements: ['#name', '#password', '#notes', '#agree', '#prefilled', '#size-s', '#size-l', '#plan', '#scripted'].map((sel) => ({ sel, read: ['form' as const] })),
    }, {
      opts: { maskAllInputs: false },
      act: async (page) => {
        await page.fill('#name', 'Ada Lovelace');
        await page.fill('#password', 'hunter2-Secret');
        await page.fill('#notes', 'line one\nline two');
        await page.check('#agree');
        await page.uncheck('#prefilled');
        await page.check('#size-l');
        await page.selectOption('#plan', 'team');
      },
    });
    await r.dash.context().close();
    assert.deepEqual(r.replay.dom, r.live.dom);
  });
});
