import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CustomTag, type HelloMessage } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { TEST_PAGE, customEvents, pageQuery, type Harness, usePage } from './harness.ts';

/** The test page with everything the analytics features look at. */
const ANALYTICS_PAGE = TEST_PAGE.replace('<div id="grow"></div>', `<div id="grow"></div>
  <style>#tall { height: 4000px; } button, a, img { display: inline-block; }</style>
  <button id="buy" data-sentiero-track="buy-clicked" data-sentiero-prop-plan="pro" data-sentiero-prop-seats="3"><span id="buy-inner">Buy <b>now</b></span></button>
  <button data-testid="tested">Tested</button>
  <div class="toolbar"><span class="item">one</span><span class="item">two</span></div>
  <form id="f1" data-sentiero-track-submit="signup-submitted" data-sentiero-prop-step="1">
    <input name="email" id="email"> <textarea name="bio" id="bio"></textarea>
    <select name="plan" id="plan"><option>basic</option><option>pro</option></select>
    <input type="hidden" name="tok" value="t"> <input id="ign" name="ign" data-rr-ignore>
    <button id="f1-go" type="submit">Go</button>
  </form>
  <div data-rr-block><button id="blocked-btn" data-sentiero-track="secret-track">SECRET-LABEL-1</button></div>
  <button id="masked-btn"><span data-rr-mask>MASKED-LABEL-2</span></button>
  <label for="email" id="email-label">Email address</label>
  <a id="link" href="#here" aria-label="Go there">x</a>
  <img id="img" alt="A cat" width="20" height="20" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <div id="tall"></div>
  <div id="far" data-sentiero-track-view="far-seen" data-sentiero-prop-pos="bottom">far</div>
  <script>
    document.getElementById('f1').addEventListener('submit', function (e) { e.preventDefault(); });
    document.getElementById('link').addEventListener('click', function (e) { e.preventDefault(); });
  </script>`);

/** Tags the analytics features write. */
const ANALYTICS_TAGS = [CustomTag.PAGE, CustomTag.EVENT, CustomTag.IDENTIFY, CustomTag.VITAL, CustomTag.SCROLL, CustomTag.CLICK, CustomTag.FIELD];

type Api = { Sentiero: Record<string, (...a: unknown[]) => unknown> };

describe('recorder: product analytics (real Chromium)', () => {
  const env = usePage();
  let h: Harness;
  let page: Page;
  beforeEach(() => {
    ({ h, page } = env);
    h.pages.set('/analytics', ANALYTICS_PAGE);
  });

  async function open(opts: Record<string, unknown> = {}, path = '/analytics', p: Page = page): Promise<HelloMessage> {
    const before = h.connections.length;
    await p.goto(`${h.origin}${path}${pageQuery(opts)}`);
    const conn = await waitFor(() => h.connections.slice(before).find((c) => c.hello), { what: 'hello' });
    return conn.hello!;
  }
  const of = (hello: HelloMessage, tag: string): Record<string, unknown>[] =>
    customEvents(h.events(hello.sessionId, hello.windowId), tag).map((e) => e.payload);
  const until = (hello: HelloMessage, tag: string, n: number, what: string): Promise<Record<string, unknown>[]> =>
    waitFor(() => (of(hello, tag).length >= n ? of(hello, tag) : undefined), { what });
  /** Waits for everything the page holds to reach the relay (pending events flushed, every batch acknowledged). */
  const settled = (p: Page = page): Promise<unknown> =>
    waitFor(() => p.evaluate(() => {
      const s = (window as unknown as { Sentiero: { getStats(): { pending: number; queued: number } } }).Sentiero.getStats();
      return s.pending === 0 && s.queued === 0;
    }), { what: 'everything acknowledged' });
  const call = (name: string, ...args: unknown[]): Promise<unknown> =>
    page.evaluate(([n, a]) => (window as unknown as Api).Sentiero[n as string](...(a as unknown[])), [name, args] as const);
  const recorderErrors = (): Promise<string[]> => page.evaluate(() => (window as unknown as { __errors: string[] }).__errors);

  describe('data-sentiero-track attributes', () => {
    it('writes click, submit and view events with their props; blocked elements never do', async () => {
      const hello = await open();
      await page.click('#buy-inner');
      await page.click('#blocked-btn', { force: true });
      await page.fill('#email', 'x');
      await page.click('#f1-go');
      await until(hello, CustomTag.EVENT, 2, 'click and submit events');
      assert.equal(of(hello, CustomTag.EVENT).filter((e) => e.source === 'view').length, 0, 'the far element is not seen yet');

      await page.evaluate(() => document.getElementById('far')!.scrollIntoView());
      await until(hello, CustomTag.EVENT, 3, 'the view event');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(300);
      await page.evaluate(() => document.getElementById('far')!.scrollIntoView());
      await page.waitForTimeout(500);
      await settled();
      assert.deepEqual(of(hello, CustomTag.EVENT), [
        { name: 'buy-clicked', props: { plan: 'pro', seats: '3' }, source: 'click' },
        { name: 'signup-submitted', props: { step: '1' }, source: 'submit' },
        { name: 'far-seen', props: { pos: 'bottom' }, source: 'view' },
      ]);
      assert.ok(!h.raw.join('').includes('secret-track'), 'a blocked element never emits');
    });

    it('works for elements added later, and views again after a page change', async () => {
      const hello = await open();
      await page.evaluate(() => {
        const b = document.createElement('button');
        b.id = 'late';
        b.setAttribute('data-sentiero-track', 'late-click');
        b.textContent = 'late';
        const v = document.createElement('div');
        v.setAttribute('data-sentiero-track-view', 'late-view');
        v.textContent = 'late view';
        document.body.prepend(b, v);
      });
      await page.click('#late');
      const events = await until(hello, CustomTag.EVENT, 2, 'the late click and view');
      assert.deepEqual(events.map((e) => `${e.name}/${e.source}`).sort(), ['late-click/click', 'late-view/view']);
      await page.evaluate(() => history.pushState(null, '', '/analytics/next'));
      const again = await until(hello, CustomTag.EVENT, 3, 'the view on the next page');
      assert.deepEqual(again[2], { name: 'late-view', props: {}, source: 'view' });
    });

    it('caps names and props', async () => {
      const hello = await open();
      await page.evaluate(() => {
        const b = document.createElement('button');
        b.id = 'big';
        b.setAttribute('data-sentiero-track', 'n'.repeat(500));
        for (let i = 0; i < 40; i++) b.setAttribute(`data-sentiero-prop-k${i}`, 'v'.repeat(1000));
        b.textContent = 'big';
        document.body.prepend(b);
      });
      await page.click('#big');
      const [e] = await until(hello, CustomTag.EVENT, 1, 'the capped event');
      assert.equal((e.name as string).length, 200);
      const props = e.props as Record<string, string>;
      assert.equal(Object.keys(props).length, 20);
      assert.ok(Object.values(props).every((v) => v.length === 500));
    });
  });

  describe('identify()', () => {
    it('is opt-in, written once per call, remembered by later pages and tabs of the session, and forgotten on optOut', async () => {
      const hello = await open();
      await page.click('#buy');
      await settled();
      assert.deepEqual(of(hello, CustomTag.IDENTIFY), [], 'nothing identifies unless the page calls identify');

      await call('identify', 'user-42', { plan: 'pro' });
      await call('identify', 'user-42', { plan: 'pro' });
      await call('identify', '', {});
      await call('identify', 'user-43', 'not-an-object');
      await settled();
      assert.deepEqual(of(hello, CustomTag.IDENTIFY), [{ userId: 'user-42', traits: { plan: 'pro' } }]);
      assert.equal((await recorderErrors()).filter((e) => e.startsWith('SENTIERO_RECORDER_BAD_EVENT')).length, 2);

      await open();
      await settled();
      assert.deepEqual(of(hello, CustomTag.IDENTIFY), [{ userId: 'user-42', traits: { plan: 'pro' } }, { userId: 'user-42', traits: { plan: 'pro' } }], 'the next page of the tab writes it again');
      const events = h.events(hello.sessionId, hello.windowId);
      const pagesAt = customEvents(events, CustomTag.PAGE).map((e) => e.index);
      assert.ok(customEvents(events, CustomTag.IDENTIFY)[1].index > pagesAt[1], 'after the page event');

      const tab = await env.context.newPage();
      const other = await open({}, '/analytics', tab);
      assert.equal(other.sessionId, hello.sessionId);
      assert.notEqual(other.windowId, hello.windowId);
      await until(other, CustomTag.IDENTIFY, 1, 'the identity in the new tab');
      assert.deepEqual(of(other, CustomTag.IDENTIFY), [{ userId: 'user-42', traits: { plan: 'pro' } }]);

      await call('identify', 7);
      await settled();
      assert.deepEqual(of(hello, CustomTag.IDENTIFY).at(-1), { userId: '7' });
      await call('optOut');
      assert.equal(await page.evaluate(() => localStorage.getItem('sentiero:identify')), null);
    });

    it('does not carry the identity into the next session', async () => {
      const a = await open({ sessionTimeoutMs: 1000 });
      await call('identify', 'user-9');
      await until(a, CustomTag.IDENTIFY, 1, 'the identity');
      await page.waitForTimeout(1500);
      await page.mouse.move(50, 50);
      await page.keyboard.press('Tab');
      const b = await waitFor(() => h.connections.find((c) => c.hello && c.hello.sessionId !== a.sessionId)?.hello, { what: 'the next session' });
      await until(b, CustomTag.PAGE, 1, 'the next session\'s page event');
      await settled();
      assert.deepEqual(of(b, CustomTag.IDENTIFY), [], 'a new session starts unidentified');
    });
  });

  describe('Web Vitals', () => {
    it('writes each final LCP, INP, CLS, FCP and TTFB report once, with its page', async () => {
      const hello = await open();
      await page.evaluate(() => {
        // A slow handler, so the interaction is long enough to be measured as INP.
        document.getElementById('buy')!.addEventListener('click', () => { const t = performance.now(); while (performance.now() - t < 120); });
        const shift = document.createElement('div');
        shift.style.height = '200px';
        setTimeout(() => document.body.prepend(shift), 50);
      });
      await page.waitForTimeout(200);
      await page.click('#buy');
      await until(hello, CustomTag.VITAL, 3, 'FCP, TTFB and LCP');
      await page.goto(`${h.origin}/page2${pageQuery()}`);
      await until(hello, CustomTag.VITAL, 5, 'CLS and INP when the page is hidden');
      await page.waitForTimeout(500);
      const vitals = of(hello, CustomTag.VITAL).filter((v) => String(v.href).includes('/analytics'));
      assert.deepEqual(vitals.map((v) => v.name).sort(), ['CLS', 'FCP', 'INP', 'LCP', 'TTFB']);
      for (const v of vitals) {
        assert.deepEqual(Object.keys(v).sort(), ['href', 'name', 'rating', 'value']);
        assert.ok(typeof v.value === 'number' && v.value >= 0, `${String(v.name)} has a value`);
        assert.ok(['good', 'needs-improvement', 'poor'].includes(v.rating as string));
        assert.equal(v.href, `${h.origin}/analytics${pageQuery()}`);
      }
      assert.ok((vitals.find((v) => v.name === 'INP')!.value as number) >= 100, 'INP saw the slow handler');
      assert.ok((vitals.find((v) => v.name === 'CLS')!.value as number) > 0, 'CLS saw the shift');
    });

    it('writes none with webVitals: false', async () => {
      const hello = await open({ webVitals: false });
      await page.click('#buy');
      await page.goto(`${h.origin}/page2${pageQuery({ webVitals: false })}`);
      await page.click('#visible');
      await settled();
      assert.deepEqual(of(hello, CustomTag.VITAL), []);
    });
  });

  describe('single-page app page views', () => {
    it('writes a page event for each URL change, once, and undoes the wrapping on stop', async () => {
      const hello = await open();
      await page.evaluate(() => {
        history.pushState({}, '', '/spa/one');
        document.title = 'One';
      });
      await until(hello, CustomTag.PAGE, 2, 'the pushState page');
      await page.evaluate(() => {
        history.replaceState({}, '', '/spa/one');
        history.pushState({}, '', '/spa/one');
        history.replaceState({ x: 1 }, '');
      });
      await page.evaluate(() => { location.hash = 'part'; });
      await until(hello, CustomTag.PAGE, 3, 'the hash change');
      await page.evaluate(() => { history.pushState({}, '', '/spa/two'); history.replaceState({}, '', '/spa/three'); });
      await until(hello, CustomTag.PAGE, 4, 'push then replace');
      await page.evaluate(() => history.back());
      await until(hello, CustomTag.PAGE, 5, 'popstate');
      await settled();
      const base = `${h.origin}/analytics${pageQuery()}`;
      assert.deepEqual(of(hello, CustomTag.PAGE), [
        { href: base, title: 'Sentiero test page' },
        { href: `${h.origin}/spa/one`, title: 'One' },
        { href: `${h.origin}/spa/one#part`, title: 'One' },
        { href: `${h.origin}/spa/three`, title: 'One' },
        { href: `${h.origin}/spa/one#part`, title: 'One' },
      ]);

      const restored = await page.evaluate(() => {
        (window as unknown as Api).Sentiero.stop();
        const own = Object.prototype.hasOwnProperty.call(history, 'pushState') || Object.prototype.hasOwnProperty.call(history, 'replaceState');
        history.pushState({}, '', '/after-stop');
        return { own, same: history.pushState === History.prototype.pushState };
      });
      assert.deepEqual(restored, { own: false, same: true });
    });

    it('keeps a wrapper the page put on top of ours working after stop, and never throws from history', async () => {
      const hello = await open();
      const outcome = await page.evaluate(() => {
        const ours = history.pushState;
        const calls: string[] = [];
        history.pushState = function (...args: Parameters<History['pushState']>) { calls.push(String(args[2])); return ours.apply(history, args); };
        (window as unknown as Api).Sentiero.stop();
        history.pushState({}, '', '/wrapped');
        let thrown = '';
        try {
          history.pushState({}, '', 'http://other.example/');
        } catch (err) {
          thrown = (err as Error).name;
        }
        return { calls, href: location.pathname, thrown };
      });
      assert.deepEqual(outcome, { calls: ['/wrapped', 'http://other.example/'], href: '/wrapped', thrown: 'SecurityError' }, 'the page\'s own error is the browser\'s, not ours');
      await page.waitForTimeout(200);
      assert.equal(of(hello, CustomTag.PAGE).length, 1);
    });
  });

  describe('scroll depth', () => {
    it('writes the depth when it grows by 5 points, and the final depth on page change and hide', async () => {
      const hello = await open();
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      const vh = await page.evaluate(() => innerHeight);
      const depthAt = (y: number): number => Math.round(Math.min(1, (y + vh) / height) * 1000) / 1000;
      await page.evaluate(() => window.scrollTo(0, 1000));
      await until(hello, CustomTag.SCROLL, 1, 'the first depth');
      await page.evaluate(() => window.scrollTo(0, 1050));
      await page.waitForTimeout(600);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(600);
      assert.equal(of(hello, CustomTag.SCROLL).length, 1, 'less than 5 points: no event');
      await page.evaluate(() => window.scrollTo(0, 1100));
      await page.waitForTimeout(400);
      await page.evaluate(() => history.pushState({}, '', '/spa/scrolled'));
      await until(hello, CustomTag.PAGE, 2, 'the next page');
      await page.evaluate(() => window.scrollTo(0, 2000));
      await until(hello, CustomTag.SCROLL, 3, 'the first depth of the next page');
      await page.evaluate(() => window.scrollTo(0, 2100));
      await page.waitForTimeout(400);
      await page.goto(`${h.origin}/page2${pageQuery()}`);
      await until(hello, CustomTag.SCROLL, 4, 'the final depth on hide');
      await page.waitForTimeout(300);
      const base = `${h.origin}/analytics${pageQuery()}`;
      assert.deepEqual(of(hello, CustomTag.SCROLL), [
        { href: base, depth: depthAt(1000) },
        { href: base, depth: depthAt(1100) },
        { href: `${h.origin}/spa/scrolled`, depth: depthAt(2000) },
        { href: `${h.origin}/spa/scrolled`, depth: depthAt(2100) },
      ]);
    });
  });

  describe('clicks', () => {
    it('describes each click by selector, accessible name and position, never by masked or blocked text', async () => {
      const hello = await open();
      await page.click('#buy-inner', { position: { x: 2, y: 2 } });
      await page.click('[data-testid="tested"]');
      await page.click('.toolbar .item:nth-of-type(2)');
      await page.click('#link');
      await page.click('#img');
      await page.click('#masked-btn');
      await page.click('#blocked-btn', { force: true });
      await page.click('#email');
      await page.click('#email-label');
      await page.focus('#buy');
      await page.keyboard.press('Enter');
      const clicks = await until(hello, CustomTag.CLICK, 10, 'ten clicks');
      await settled();
      assert.equal(of(hello, CustomTag.CLICK).length, 10, 'one event per click (a label\'s click passed on to its field is not one)');
      const base = `${h.origin}/analytics${pageQuery()}`;
      const dh = await page.evaluate(() => document.documentElement.scrollHeight);
      for (const c of clicks) {
        assert.deepEqual(Object.keys(c).sort(), ['dh', 'href', 'label', 'pageX', 'pageY', 'relX', 'relY', 'selector', 'vh', 'vw']);
        assert.equal(c.href, base);
        assert.equal(c.vw, 1280);
        assert.equal(c.vh, 720);
        assert.equal(c.dh, dh);
        for (const k of ['relX', 'relY'] as const) assert.ok((c[k] as number) >= 0 && (c[k] as number) <= 1, `${k} in 0–1`);
      }
      assert.deepEqual(clicks.map((c) => [c.selector, c.label]), [
        ['#buy', 'Buy now'],
        ['[data-testid="tested"]', 'Tested'],
        ['body > div.toolbar:nth-of-type(5) > span.item:nth-of-type(2)', ''],
        ['#link', 'Go there'],
        ['#img', 'A cat'],
        ['#masked-btn', ''],
        [clicks[6].selector, ''],
        ['#email', ''],
        ['#email-label', 'Email address'],
        ['#buy', 'Buy now'],
      ]);
      const found = await page.evaluate((sels) => sels.map((sel) => document.querySelector(sel)?.textContent?.trim().slice(0, 10)), clicks.map((c) => c.selector as string));
      assert.deepEqual(found, ['Buy now', 'Tested', 'two', 'x', '', 'MASKED-LAB', 'SECRET-LAB', '', 'Email addr', 'Buy now'], 'each selector finds the element clicked');
      assert.match(clicks[6].selector as string, /^body > div:nth-of-type\(\d+\)$/, 'a click inside a blocked element is on the blocked element');
      const boxes = await page.evaluate(() => ['buy', 'buy-inner'].map((id) => { const r = document.getElementById(id)!.getBoundingClientRect(); return { x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height }; }));
      const [buy, inner] = boxes;
      assert.ok(Math.abs((clicks[0].pageX as number) - (inner.x + 2)) <= 1 && Math.abs((clicks[0].pageY as number) - (inner.y + 2)) <= 1, 'page position where the mouse was');
      // Mouse positions are whole pixels: within one pixel of where the mouse was sent.
      assert.ok(Math.abs((clicks[0].relX as number) - (inner.x + 2 - buy.x) / buy.w) <= 1 / buy.w + 0.001, 'relX inside the button');
      assert.ok(Math.abs((clicks[0].relY as number) - (inner.y + 2 - buy.y) / buy.h) <= 1 / buy.h + 0.001, 'relY inside the button');
      assert.deepEqual([clicks[9].relX, clicks[9].relY], [0.5, 0.5], 'a keyboard click is placed at the centre');
      const all = h.raw.join('');
      for (const secret of ['SECRET-LABEL-1', 'MASKED-LABEL-2']) assert.ok(!all.includes(secret), `${secret} is never sent`);
    });

    it('writes every click of a rage burst, each with its time', async () => {
      const hello = await open();
      const box = (await page.locator('#visible').boundingBox())!;
      for (let i = 0; i < 6; i++) await page.mouse.click(box.x + 5, box.y + 5);
      const clicks = customEvents(await waitFor(() => {
        const events = h.events(hello.sessionId, hello.windowId);
        return customEvents(events, CustomTag.CLICK).length >= 6 ? events : undefined;
      }, { what: 'six clicks' }), CustomTag.CLICK);
      const events = h.events(hello.sessionId, hello.windowId);
      const times = clicks.map((c) => events[c.index].timestamp);
      assert.equal(clicks.length, 6);
      assert.ok(clicks.every((c) => c.payload.selector === '#visible'));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'timestamps in order');
      assert.ok(times.every((t) => typeof t === 'number' && t > 0));
    });
  });

  describe('form fields', () => {
    async function fillForm(): Promise<void> {
      await page.click('#email');
      await page.keyboard.type('secret-typed-5150');
      await page.click('#bio');
      await page.keyboard.type('bio-typed-6161');
      await page.focus('#plan');
      await page.selectOption('#plan', 'pro');
      await page.click('#ign');
      await page.keyboard.type('ignored-typed-7272');
      await page.click('#f1-go');
    }

    it('writes focus, change, blur and submit by form and field name, and no typed text is ever sent', async () => {
      const hello = await open();
      await fillForm();
      await waitFor(() => of(hello, CustomTag.FIELD).some((f) => f.kind === 'submit'), { what: 'the submit' });
      await settled();
      const base = `${h.origin}/analytics${pageQuery()}`;
      const fields = of(hello, CustomTag.FIELD);
      assert.ok(fields.every((f) => f.href === base && f.form === 'f1'));
      assert.deepEqual(fields.map((f) => `${String(f.field)}:${String(f.kind)}`), [
        'email:focus', 'email:change', 'email:blur', 'bio:focus', 'bio:change', 'bio:blur', 'plan:focus', 'plan:change', 'plan:blur',
        'f1-go:submit',
      ]);
      const all = h.raw.join('\n');
      // The typed digits are checked with the letter and dash before them: bare, they turn up in timestamps (1796616161234 is 04:02:41 UTC on 2026-12-07), and "-6161" could be a coordinate.
      for (const typed of ['secret-typed', 'bio-typed', 'ignored-typed', 'd-5150', 'd-6161', 'd-7272']) assert.ok(!all.includes(typed), `"${typed}" never sent`);
    });

    it('never puts typed text in an analytics event, even with maskAllInputs: false', async () => {
      const hello = await open({ maskAllInputs: false });
      await fillForm();
      await waitFor(() => of(hello, CustomTag.FIELD).some((f) => f.kind === 'submit'), { what: 'the submit' });
      await settled();
      assert.ok(h.raw.join('').includes('secret-typed-5150'), 'rrweb records the unmasked input (so the check below can fail)');
      const ours = JSON.stringify(ANALYTICS_TAGS.flatMap((tag) => of(hello, tag)));
      assert.ok(ours.includes('"kind":"change"'));
      for (const typed of ['secret-typed', 'bio-typed', 'ignored-typed', 'd-5150', 'd-6161', 'd-7272']) assert.ok(!ours.includes(typed), `"${typed}" is in no analytics event`);
    });
  });

  describe('odd pages', () => {
    const ODD = TEST_PAGE.replace('<div id="grow"></div>', `<div id="grow"></div>
      <svg id="svg" width="100" height="100"><circle id="circle" class="dot big" cx="50" cy="50" r="40"></circle><text x="10" y="90">svg text</text></svg>
      <div id="open-host"></div><div id="closed-host"></div>
      <button id="vanish">vanish</button>
      <button id='we"ird id'>weird</button>
      <div contenteditable="true" id="editable" aria-labelledby="nope editable">EDITABLE-TEXT-8080</div>
      <form id="shadowing"><input name="id" id="f-id"><input name="name"><input name="action"><button id="sh-go">go</button></form>
      <button id="long">${'long text '.repeat(2000)}</button>
      <button id="many-classes" class="${Array.from({ length: 500 }, (_, i) => `c${i}`).join(' ')}">classes</button>
      <script>
        document.getElementById('open-host').attachShadow({ mode: 'open' }).innerHTML = '<button id="in-open">open shadow</button>';
        document.getElementById('closed-host').attachShadow({ mode: 'closed' }).innerHTML = '<button id="in-closed">closed shadow</button>';
        document.getElementById('vanish').addEventListener('mousedown', function (e) { e.target.remove(); });
        document.getElementById('shadowing').addEventListener('submit', function (e) { e.preventDefault(); });
      </script>`);

    it('never throws into the page on SVG, shadow DOM, detached targets and odd attributes', async () => {
      h.pages.set('/odd', ODD);
      const hello = await open({}, '/odd');
      await page.click('#circle');
      await page.click('#svg text');
      await page.click('#in-open');
      await page.locator('#closed-host').click();
      await page.click('#vanish');
      await page.click('[id="we\\"ird id"]');
      await page.click('#editable');
      await page.keyboard.type('more-typed-9191');
      await page.click('#f-id');
      await page.keyboard.type('x');
      await page.click('#sh-go');
      await page.click('#long');
      await page.click('#many-classes');
      await page.evaluate(() => {
        const lone = document.createElement('button');
        lone.setAttribute('data-sentiero-track', 'detached');
        lone.click();
        document.body.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        document.documentElement.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        document.dispatchEvent(new Event('submit', { bubbles: true }));
        window.dispatchEvent(new Event('focusin'));
      });
      await waitFor(() => of(hello, CustomTag.FIELD).some((f) => f.kind === 'submit'), { what: 'the shadowing form submit' });
      await settled();
      assert.deepEqual(await recorderErrors(), [], 'no recorder failure');
      const clicks = of(hello, CustomTag.CLICK);
      const bySelector = new Map(clicks.map((c) => [c.selector as string, c]));
      assert.ok(bySelector.has('#circle'), 'an SVG target');
      assert.ok(bySelector.has('#open-host') && bySelector.has('#closed-host'), 'shadow DOM clicks are told on their host');
      assert.equal(bySelector.get('#editable')?.label, '', 'no text of an editable region');
      assert.ok(clicks.some((c) => (c.selector as string).startsWith('#we')), 'an id with a quote and a space');
      assert.equal((bySelector.get('#long')?.label as string).length, 100, 'the label is capped');
      assert.ok(bySelector.has('#many-classes'));
      assert.ok(clicks.every((c) => (c.selector as string).length <= 300));
      const fields = of(hello, CustomTag.FIELD);
      assert.ok(fields.every((f) => f.form === 'shadowing'), `forms by their id attribute (got ${JSON.stringify(fields)})`);
      assert.ok(!JSON.stringify(ANALYTICS_TAGS.flatMap((tag) => of(hello, tag))).includes('more-typed'), 'no editable text in an analytics event');
      assert.deepEqual(of(hello, CustomTag.EVENT), [], 'a detached element emits nothing');
    });
  });
});
