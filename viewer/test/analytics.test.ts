/**
 * The analytics views in real Chromium against a real relay (LevelDB in a temp folder) with its
 * real analytics API, fed three known sessions through the real HTTP ingest: each view shows
 * the relay's figures and the ones the seed fixes, every number opens the sessions behind it,
 * the click heatmap has heat where the clicks were (read from the canvas's pixels) over the
 * replayed page, the funnel builder round-trips through the route, segments are created,
 * applied and deleted, and recorded names stay text.
 */
import assert from 'node:assert/strict';
import type { FormsAnswer, FrustrationAnswer, OverviewAnswer, PagesAnswer } from '@sentiero/protocol';
import { rateVital } from '@sentiero/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser.ts';
import { waitFor } from '../../test/helpers/net.ts';
import { type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { dayOf } from '../src/analytics/query.ts';
import { BUY, DEEP, HOSTILE, PAGE_H, PAGE_W, PRICING, SIGNUP, seedSessions } from './analytics-seed.ts';
import { openDashboard, storeSession, viewState } from './helpers.ts';

describe('viewer: analytics views in real Chromium', function () {
  this.timeout(240_000);
  let browser: Browser;
  let t: TestRelay;
  let context: BrowserContext;
  const t0 = Date.now() - 20 * 60_000;
  const seeds = seedSessions(t0);
  const range = `from=${dayOf(t0 - 86_400_000)}&to=${dayOf(Date.now())}`;
  const api = async <T>(path: string): Promise<T> => {
    const res = await t.api(path);
    assert.equal(res.status, 200, `${path} answered ${res.status}`);
    return (await res.json()) as T;
  };
  const open = (route: string): Promise<Page> => openDashboard(context, t, route);
  const text = (page: Page, selector: string) => page.locator(selector).first().textContent().then((s) => (s ?? '').replace(/\s+/g, ' ').trim());
  const rows = (page: Page) => page.$$eval('.sv-row', (els) => els.map((e) => (e as HTMLElement).dataset.session).sort());

  before(async () => {
    browser = await launchChromium();
    t = await startRelay({ limits: { liveGraceMs: 1000 } });
    for (const s of seeds) await storeSession(t, s.sessionId, 'w1', s.events, s.userAgent);
    await waitFor(async () => (await api<OverviewAnswer>(`/api/analytics/overview?from=${t0 - 3_600_000}`)).sessions === 3, { what: 'the three digests', timeoutMs: 30_000 });
  });
  after(async () => {
    await t?.close();
    await browser?.close();
  });
  beforeEach(async () => { context = await browser.newContext({ viewport: { width: 1280, height: 900 } }); });
  afterEach(async () => { await context?.close(); });

  it('overview: the cards, the chart, the breakdowns and the custom events, with the sessions behind them', async () => {
    const o = await api<OverviewAnswer>(`/api/analytics/overview?from=${t0 - 86_400_000}`);
    const page = await open(`#/analytics/overview?${range}`);
    await page.waitForSelector('.sv-card[data-metric="sessions"]');
    assert.equal(await text(page, '[data-metric="sessions"] .sv-card-value'), '3');
    assert.equal(await text(page, '[data-metric="visitors"] .sv-card-value'), String(o.visitors));
    assert.equal(await text(page, '[data-metric="pages-per-session"] .sv-card-value'), (o.pageviews / 3).toFixed(1));
    assert.equal(await text(page, '[data-metric="bounce-rate"] .sv-card-value'), `${Math.round(o.bounceRate * 100)} %`);
    await page.waitForSelector('.sv-chart canvas');
    assert.match((await page.getAttribute('.sv-chart', 'aria-label'))!, new RegExp(`${dayOf(t0)} 3`), 'the day of the seed has 3 sessions');
    assert.equal(await text(page, '[data-breakdown="browsers"] li[data-name="Chrome"] .sv-num'), '2');
    assert.equal(await text(page, '[data-breakdown="devices"] li[data-name="mobile"] .sv-num'), '1');
    assert.equal(await text(page, '[data-breakdown="events"] li[data-name="signup"] .sv-num'), '1');
    assert.equal(await text(page, '[data-breakdown="events"] li[data-name="plan-picked"] .sv-num'), '1');

    // The sessions card opens the list of exactly the range's sessions.
    await page.click('[data-metric="sessions"] .sv-numlink');
    await page.waitForSelector('.sv-list [data-window]');
    await waitFor(async () => (await rows(page)).length === 3, { what: 'three rows' });
    assert.deepEqual(await rows(page), seeds.map((s) => s.sessionId).sort());
    assert.match(page.url(), /#\/sessions\?from=\d+&to=\d+/);

    // A browser's count and a device's count each open exactly their sessions.
    assert.deepEqual([o.linked.browsers.Chrome.sessions, [...o.linked.browsers.Chrome.sessionIds].sort()], [2, ['seedsession0001', 'seedsession0002']]);
    const again = await open(`#/analytics/overview?${range}`);
    await again.click('[data-breakdown="browsers"] li[data-name="Chrome"] .sv-numlink');
    await again.waitForSelector('.sv-picked .sv-row');
    await waitFor(async () => (await rows(again)).length === 2, { what: 'the two Chrome sessions' });
    assert.deepEqual(await rows(again), ['seedsession0001', 'seedsession0002']);
    assert.match(await text(again, '.sv-picked-label'), /Browser Chrome/);
    assert.match(again.url(), /#\/analytics\/sessions\?ids=/);
    await again.goBack();
    await again.click('[data-breakdown="devices"] li[data-name="mobile"] .sv-numlink');
    await waitFor(async () => (await rows(again)).length === 1, { what: 'the mobile session' });
    assert.deepEqual(await rows(again), ['seedsession0003']);
  });

  it('pages: views, time, exits and vitals coloured by rating; views open the sessions of the page', async () => {
    const report = await api<PagesAnswer>(`/api/analytics/pages?from=${t0 - 86_400_000}`);
    const pricing = report.pages.find((p) => p.url === PRICING)!;
    assert.equal(pricing.views, 3);
    const page = await open(`#/analytics/pages?${range}`);
    const row = page.locator(`.sv-pages-row[data-url="${PRICING}"]`);
    await row.waitFor();
    assert.equal(await text(page, `.sv-pages-row[data-url="${PRICING}"] [data-col="views"]`), '3');
    assert.equal(await text(page, `.sv-pages-row[data-url="${SIGNUP}"] [data-col="views"]`), '2');
    const lcp = row.locator('[data-vital="LCP"]');
    assert.equal(await lcp.getAttribute('data-rating'), rateVital('LCP', pricing.vitals.LCP!.p75));
    assert.match((await lcp.locator('.sv-vital').getAttribute('class'))!, new RegExp(`is-${rateVital('LCP', pricing.vitals.LCP!.p75)}`));
    assert.equal(await text(page, `.sv-pages-row[data-url="${PRICING}"] [data-col="exits"]`).then((s) => s.split(' ')[0]), String(pricing.exits));

    await row.locator('[data-col="views"] .sv-numlink').click();
    await waitFor(async () => (await rows(page)).length === 3, { what: 'the sessions of the page' });
    assert.match(decodeURIComponent(page.url()), /url=http:\/\/shop\.test\/pricing/);
  });

  it('frustration: the rage burst on the button, whose count opens its one session, which replays', async () => {
    const r = await api<FrustrationAnswer>(`/api/analytics/frustration?from=${t0 - 86_400_000}`);
    assert.ok(r.rageClicks.some((x) => x.selector === 'button#buy'), 'the relay saw the rage burst');
    const page = await open(`#/analytics/frustration?${range}`);
    const rage = page.locator('[data-kind="rageClicks"] .sv-fr-row[data-selector="button#buy"]');
    await rage.waitFor();
    assert.match((await rage.textContent())!, /Buy now/);
    await rage.locator('[data-col="count"] .sv-numlink').click();
    await page.waitForSelector('.sv-picked .sv-row');
    assert.deepEqual(await rows(page), ['seedsession0001']);
    assert.match(await text(page, '.sv-picked-label'), /Rage clicks on Buy now/);
    // One click replays the moment: a second before the burst's first click (2 s into the session).
    await page.click('.sv-row[data-session="seedsession0001"]');
    await waitFor(async () => (await viewState(page))?.frame === 'true', { what: 'the replay' });
    assert.match(page.url(), /#\/sessions\/seedsession0001\?t=1000&w=w1$/);
    await waitFor(async () => (await viewState(page))?.time === 1000, { what: 'the replay at the moment' });
  });

  it('heatmaps: the heat is where the clicks were, over the replayed page, and the scroll map fades downwards', async () => {
    // A window narrower than the page, so that the page and its heat are scaled down together.
    await context.close();
    context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await open(`#/analytics/heatmaps?${range}&url=${encodeURIComponent(PRICING)}&kind=click`);
    await page.waitForSelector('.sv-heat[data-phase="ready"] .sv-heat-canvas[data-drawn="true"]', { timeout: 30_000 });
    const scale = Number(await page.getAttribute('.sv-heat', 'data-scale'));
    assert.ok(scale > 0.5 && scale < 1, `scaled to fit: ${scale}`);
    // The replayed page is the pricing page at its full size, its button where the clicks landed.
    const button = await page.evaluate(() => {
      const doc = document.querySelector<HTMLIFrameElement>('.sv-heat-page iframe')?.contentDocument;
      const r = doc?.querySelector('#buy')?.getBoundingClientRect();
      return r && { x: r.x + r.width / 2, y: r.y + r.height / 2, h: doc!.documentElement.clientHeight };
    });
    assert.ok(button, 'the page is replayed');
    assert.deepEqual([Math.round(button.x), Math.round(button.y)], [BUY.x, BUY.y], 'page coordinates inside the replay');
    const frame = await page.$eval('.sv-heat-frame', (e) => e.getBoundingClientRect().width);
    assert.ok(Math.abs(frame - PAGE_W * scale) < 1, 'the page is drawn at the scale of the heat');
    assert.equal(button.h, PAGE_H, 'the replay is as tall as the page');
    const alpha = (x: number, y: number) => page.evaluate(([px, py]) => {
      const c = document.querySelector<HTMLCanvasElement>('.sv-heat-canvas')!;
      return c.getContext('2d')!.getImageData(Math.round(px!), Math.round(py!), 1, 1).data[3];
    }, [x * scale, y * scale]);
    assert.ok((await alpha(BUY.x, BUY.y))! > 100, 'hot where four clicks landed');
    assert.ok((await alpha(DEEP.x, DEEP.y))! > 0, 'warm where one click landed');
    assert.equal(await alpha(600, 1000), 0, 'nothing where nobody clicked');
    assert.equal(await alpha(BUY.x, BUY.y + 200), 0);
    assert.ok((await alpha(BUY.x, BUY.y))! > (await alpha(DEEP.x, DEEP.y))!, 'four clicks are hotter than one');
    assert.equal(await text(page, '[data-total="clicks"] b'), '5');

    // "Drawn over session …" replays that session at the moment the page was shown.
    const replayed = await page.getAttribute('[data-replay]', 'data-replay');
    assert.ok(seeds.some((s) => s.sessionId === replayed));

    await page.click('.sv-seg [data-kind="scroll"]');
    await page.waitForSelector('.sv-heat[data-phase="ready"] .sv-heat-canvas[data-drawn="true"]');
    const hue = (y: number) => page.evaluate(([py]) => {
      const c = document.querySelector<HTMLCanvasElement>('.sv-heat-canvas')!;
      const [r, , b] = c.getContext('2d')!.getImageData(5, Math.round(py!), 1, 1).data;
      return { r, b };
    }, [y * scale]);
    const top = await hue(20);
    const bottom = await hue(PAGE_H - 20);
    assert.ok(top.r! > top.b!, 'red at the top, which every view reached');
    assert.ok(bottom.b! > bottom.r!, 'blue at the bottom, which fewer reached');
  });

  it('forms: interactions, time and drop-off per field of the signup form', async () => {
    const r = await api<FormsAnswer>(`/api/analytics/forms?from=${t0 - 86_400_000}&url=${encodeURIComponent(SIGNUP)}`);
    const email = r.fields.find((f) => f.field === 'email')!;
    const page = await open(`#/analytics/forms?${range}&url=${encodeURIComponent(SIGNUP)}`);
    await page.waitForSelector('[data-form="signup"] [data-field="email"]');
    assert.equal(await text(page, '[data-field="email"] [data-col="interactions"]'), String(email.interactions));
    assert.equal(await text(page, '[data-field="email"] [data-col="dropoff"]').then((s) => s.split(' ')[0]), String(email.abandoned));
    assert.equal(email.abandoned, 1, 'the second visit left after the email field');
    await page.click('[data-field="email"] [data-col="interactions"] .sv-numlink');
    await page.waitForSelector('.sv-picked .sv-row');
    assert.deepEqual(await rows(page), ['seedsession0001', 'seedsession0002']);
    // The second visit opens a second before it first used the field (7 s in).
    await page.click('.sv-row[data-session="seedsession0002"]');
    await page.waitForURL(/#\/sessions\/seedsession0002\?t=6000&w=w1$/);
  });

  it('funnels: built step by step, kept in the route, with conversion, drop-off and the sessions that left', async () => {
    const page = await open(`#/analytics/funnels?${range}`);
    await page.waitForSelector('.sv-funnel-builder');
    await page.fill('input[name="value-0"]', PRICING);
    await page.fill('input[name="value-1"]', SIGNUP);
    await page.click('text=Add step');
    await page.selectOption('select[name="kind-2"]', 'event');
    await page.fill('input[name="value-2"]', 'signup');
    await page.click('button[type="submit"]:has-text("Show funnel")');
    await page.waitForSelector('.sv-funnel-row[data-step="2"]');
    const counts = await page.$$eval('.sv-funnel-row [data-col="count"]', (els) => els.map((e) => e.textContent!.trim()));
    assert.deepEqual(counts, ['3', '2', '1']);
    assert.equal(await text(page, '.sv-funnel-row[data-step="1"] [data-col="conversion"]'), '67 %');
    const route = decodeURIComponent(page.url());
    assert.match(route, /steps=url:.*pricing\|url:.*signup\|event:signup/);

    // The same route in a fresh page gives the same builder and the same answer.
    const again = await open(new URL(page.url()).hash);
    await again.waitForSelector('.sv-funnel-row[data-step="2"]');
    assert.deepEqual(await again.$$eval('.sv-funnel-steps input', (els) => els.map((e) => (e as HTMLInputElement).value)), [PRICING, SIGNUP, 'signup']);
    assert.equal(await again.inputValue('select[name="kind-2"]'), 'event');

    await again.click('.sv-funnel-row[data-step="1"] [data-col="dropoff"] .sv-numlink');
    await again.waitForSelector('.sv-picked .sv-row');
    assert.deepEqual(await rows(again), ['seedsession0003'], 'the visit that never reached signup');
  });

  it('segments: created, applied to every view, and deleted', async () => {
    const page = await open(`#/analytics/segments?${range}`);
    await page.waitForSelector('.sv-segment-form');
    await page.fill('.sv-segment-form input[name="name"]', 'Phones');
    await page.fill('.sv-segment-form input[name="device"]', 'mobile');
    await page.click('text=Save segment');
    const item = page.locator('.sv-seglist li', { hasText: 'Phones' });
    await item.waitFor();
    assert.match((await item.textContent())!, /Device mobile/);
    await item.locator('text=Apply').click();
    await page.waitForSelector('.sv-analytics[data-tab="overview"] [data-metric="sessions"]');
    await waitFor(async () => (await text(page, '[data-metric="sessions"] .sv-card-value')) === '1', { what: 'one phone session' });
    assert.match(page.url(), /segment=/);
    const segment = /segment=([^&]+)/.exec(page.url())![1]!;
    assert.equal(await page.inputValue('select[name="segment"]'), segment);
    // The segment follows to another view.
    await page.click('.sv-an-tab[data-tab="pages"]');
    await waitFor(async () => (await text(page, `.sv-pages-row[data-url="${PRICING}"] [data-col="views"]`)) === '1', { what: 'one view in the segment' });

    await page.click('.sv-an-tab[data-tab="segments"]');
    await page.locator('.sv-seglist li', { hasText: 'Phones' }).locator('text=Delete').click();
    await page.waitForSelector('text=No segment yet');
    assert.equal((await api<unknown[] | { segments: unknown[] }>('/api/segments') as { segments: unknown[] }).segments.length, 0);
  });

  it('recorded names are text: a custom event named with markup runs nothing', async () => {
    const page = await open(`#/analytics/overview?${range}`);
    await page.waitForSelector('[data-breakdown="events"] li');
    const names = await page.$$eval('[data-breakdown="events"] .sv-bar-label', (els) => els.map((e) => e.textContent));
    assert.ok(names.includes(HOSTILE));
    assert.equal(await page.$$eval('.sv-analytics img', (els) => els.length), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });
});
