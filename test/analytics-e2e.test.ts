/**
 * Product analytics end to end in real Chromium: the demo app is driven to do exactly known
 * things (a rage burst, a dead click, an error click, custom events by attribute and by API, a
 * form left halfway, an in-app navigation, scrolling to a known depth); the session's digest
 * and every analytics answer report exactly those; the dashboard's analytics views show them;
 * and the text typed into the form is nowhere in the digest or any answer.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type {
  FormsAnswer, FrustrationAnswer, FrustrationTarget, FunnelAnswer, HeatmapAnswer, OverviewAnswer, PagesAnswer, SessionDigest,
} from '@sentiero/protocol';
import type { Page } from 'playwright-core';
import { openDashboard } from '../viewer/test/helpers.ts';
import { pageSession, useDemoBrowser } from './helpers/demo.ts';
import { waitFor } from './helpers/net.ts';

const SECRET = 'Zephyrine Quillfeather-7731';
/** Set to a folder to keep the views' screenshots (`docs/images` is where the docs take them from). */
const SHOTS = process.env.SENTIERO_SCREENSHOTS;
/** Longer than the relay's one-second window for dead and error clicks, so each click is judged on its own. */
const QUIET_MS = 1300;

/** A click as the page was when it happened: where (page coordinates, the element's centre) and on what. */
interface Clicked { id: string; x: number; y: number }

/**
 * Clicks the centre of `#id` (of its first box: a link may wrap) `times` times in a row, with
 * no wait between, and returns where that is in the page.
 */
async function clickCentre(page: Page, id: string, times = 1): Promise<Clicked> {
  const at = await page.evaluate((i) => {
    const r = document.getElementById(i)!.getClientRects()[0]!;
    return { x: r.x + r.width / 2, y: r.y + r.height / 2, sx: scrollX, sy: scrollY };
  }, id);
  for (let i = 0; i < times; i++) await page.mouse.click(at.x, at.y);
  return { id, x: at.x + at.sx, y: at.y + at.sy };
}

/** Scrolls the document so that `(scrollY + innerHeight) / scrollHeight` is `depth`, and answers the depth the recorder sees (3 decimals). */
function scrollToDepth(page: Page, depth: number): Promise<number> {
  return page.evaluate((d) => {
    const h = document.documentElement.scrollHeight;
    window.scrollTo(0, Math.max(0, Math.round(d * h - innerHeight)));
    return Math.round(((scrollY + innerHeight) / h) * 1000) / 1000;
  }, depth);
}

const sortBySelector = (list: FrustrationTarget[]) => [...list].sort((a, b) => a.selector.localeCompare(b.selector));

describe('analytics end to end: the demo in real Chromium, its digest, the API and the dashboard', function () {
  this.timeout(180_000);
  const env = useDemoBrowser({ relay: { limits: { liveGraceMs: 1000 }, analyticsFlushMs: 100 }, context: { viewport: { width: 1280, height: 1200 } } });

  it('reports exactly what the visitor did, in the digest, every answer and the views, and never the typed text', async () => {
    const { t, context } = env;
    const page = await context.newPage();
    await page.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(page);
    const home = `${t.origin}/`;
    const tasks = `${t.origin}/tasks`;
    const clicks: Clicked[] = [];

    // A form left halfway: one field focused and changed (a distinctive text typed), then left without submitting.
    await page.focus('#name');
    await page.keyboard.type(SECRET);
    await page.evaluate(() => (document.activeElement as HTMLElement).blur());
    // Logged in: the session gets its user (the button's text changes, so the click is answered).
    clicks.push(await clickCentre(page, 'identify'));
    await page.waitForTimeout(QUIET_MS);
    // A rage burst: four quick clicks on one button (each adds a task, so none is dead).
    const rage = await clickCentre(page, 'suggest', 4);
    clicks.push(rage, rage, rage, rage);
    await page.waitForTimeout(QUIET_MS);
    // A dead click: nothing on the page answers.
    clicks.push(await clickCentre(page, 'dead'));
    await page.waitForTimeout(QUIET_MS);
    // An error click: the handler throws.
    clicks.push(await clickCentre(page, 'boom'));
    await page.waitForTimeout(QUIET_MS);
    // A custom event by attribute (the button itself changes nothing on the page: dead as well).
    clicks.push(await clickCentre(page, 'track-upgrade'));
    await page.waitForTimeout(QUIET_MS);
    // A custom event by the API.
    await page.evaluate(() => (window as unknown as { Sentiero: { addEvent(n: string, p: object): void } }).Sentiero.addEvent('plan-picked', { plan: 'pro', seats: 3 }));
    // Scrolled halfway down the home page, then (from there) an in-app navigation to /tasks.
    const homeDepth = await scrollToDepth(page, 0.5);
    clicks.push(await clickCentre(page, 'spa-tasks'));
    await waitFor(() => page.url() === tasks, { what: 'the in-app navigation' });
    assert.equal(await page.textContent('#view-name'), 'tasks');
    await page.waitForTimeout(QUIET_MS);
    // To the bottom of /tasks: the pricing card comes into view (a custom event by attribute).
    const tasksDepth = await scrollToDepth(page, 1);
    assert.equal(tasksDepth, 1);

    const d = await waitFor(async () => {
      const got = await t.relay.store.getDigest(sessionId);
      return got && got.pages.length === 2 && got.pages[1]!.scrollDepth === 1 && got.events.length === 3 && got.clicks.length === clicks.length ? got : undefined;
    }, { what: 'the digest of the whole visit', timeoutMs: 30_000 });

    // The digest: exactly what was done, where.
    assert.equal(d.userId, 'demo-user-1');
    assert.deepEqual(d.pages.map((p) => [p.url, p.scrollDepth]), [[home, homeDepth], [tasks, 1]]);
    assert.deepEqual(d.clicks.map((c) => [c.url, c.selector]), clicks.map((c) => [home, `#${c.id}`]));
    d.clicks.forEach((c, i) => {
      assert.ok(Math.abs(c.x - clicks[i]!.x) <= 1 && Math.abs(c.y - clicks[i]!.y) <= 1, `click ${i} on ${c.selector} at ${c.x},${c.y}, not ${clicks[i]!.x},${clicks[i]!.y}`);
    });
    const targets = (list: SessionDigest['rageClicks']) => list.map((f) => [f.url, f.selector, f.label, f.clicks]);
    assert.deepEqual(targets(d.rageClicks), [[home, '#suggest', 'Suggest one', 4]]);
    assert.deepEqual(targets(d.deadClicks), [[home, '#dead', 'Does nothing', 1], [home, '#track-upgrade', 'Upgrade to Pro', 1]]);
    assert.deepEqual(targets(d.errorClicks), [[home, '#boom', 'Throw an error', 1]]);
    assert.deepEqual(d.fields.map(({ timeMs: _, ...f }) => f), [{ url: home, form: 'signup', field: 'name', focuses: 1, changes: 1, submitted: false, abandoned: true }]);
    assert.deepEqual(d.events.map((e) => [e.name, e.url, e.props]), [
      ['upgrade-clicked', home, { plan: 'pro' }], ['plan-picked', home, { plan: 'pro', seats: 3 }], ['pricing-seen', tasks, { variant: 'b' }],
    ]);
    const { events: _events, ...counts } = d.counts;
    assert.deepEqual(counts, { pages: 2, clicks: clicks.length, rageClicks: 1, deadClicks: 2, errorClicks: 1, errors: 1, customEvents: 3 });

    // The API: the same figures, each with this session behind it.
    const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
      const res = await t.api(path, init);
      assert.equal(res.status, 200, `${path} answered ${res.status}`);
      return (await res.json()) as T;
    };
    const overview = await api<OverviewAnswer>('/api/analytics/overview');
    assert.deepEqual([overview.sessions, overview.sessionIds, overview.visitors, overview.pageviews, overview.bounceRate], [1, [sessionId], 1, 2, 0]);
    assert.deepEqual(overview.customEvents, { 'upgrade-clicked': 1, 'plan-picked': 1, 'pricing-seen': 1 });

    const pages = await api<PagesAnswer>('/api/analytics/pages');
    assert.deepEqual(pages.pages.map((p) => [p.url, p.views, p.sessionIds, p.exits, p.medianScrollDepth]).sort(), [
      [home, 1, [sessionId], 0, homeDepth], [tasks, 1, [sessionId], 1, 1],
    ]);

    const frustration = await api<FrustrationAnswer>('/api/analytics/frustration');
    const rows = (list: FrustrationTarget[]) => sortBySelector(list).map((f) => [f.url, f.selector, f.label, f.count, f.sessions, f.sessionCount]);
    assert.deepEqual(rows(frustration.rageClicks), [[home, '#suggest', 'Suggest one', 1, [sessionId], 1]]);
    assert.deepEqual(rows(frustration.deadClicks), [[home, '#dead', 'Does nothing', 1, [sessionId], 1], [home, '#track-upgrade', 'Upgrade to Pro', 1, [sessionId], 1]]);
    assert.deepEqual(rows(frustration.errorClicks), [[home, '#boom', 'Throw an error', 1, [sessionId], 1]]);

    const forms = await api<FormsAnswer>(`/api/analytics/forms?url=${encodeURIComponent(home)}`);
    assert.deepEqual(forms.fields.map((f) => [f.url, f.form, f.field, f.sessions, f.sessionIds, f.interactions, f.abandoned, f.dropOff]), [
      [home, 'signup', 'name', 1, [sessionId], 2, 1, 1],
    ]);

    const heat = await api<HeatmapAnswer>(`/api/analytics/heatmap?url=${encodeURIComponent(home)}&kind=click`);
    assert.equal(heat.pointCount, clicks.length);
    assert.deepEqual(heat.points.map((p) => [p.x, p.y, p.selector]), d.clicks.map((c) => [c.x, c.y, c.selector]));
    assert.equal(heat.page.width, 1280);
    assert.deepEqual(heat.sessionIds, [sessionId]);

    const steps = [{ event: 'upgrade-clicked' }, { event: 'plan-picked' }, { url: '/tasks' }, { event: 'pricing-seen' }, { event: 'signup' }];
    const funnel = await api<FunnelAnswer>('/api/analytics/funnel', { method: 'POST', body: JSON.stringify({ steps }), headers: { 'content-type': 'application/json' } });
    assert.deepEqual(funnel.steps.map((s) => [s.count, s.sessions]), [[1, [sessionId]], [1, [sessionId]], [1, [sessionId]], [1, [sessionId]], [0, []]]);

    // Nothing typed is anywhere: not in the digest, not in any answer.
    for (const [what, value] of Object.entries({ digest: d, overview, pages, frustration, forms, heat, funnel })) {
      assert.ok(!JSON.stringify(value).includes(SECRET), `the typed text is in the ${what}`);
    }

    // The dashboard's analytics views, in the same browser, show the same numbers.
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    const text = (view: Page, selector: string) => view.locator(selector).first().textContent().then((s) => (s ?? '').replace(/\s+/g, ' ').trim());
    const shoot = async (view: Page, name: string) => {
      assert.ok(!(await view.content()).includes(SECRET), `the typed text is in the ${name} view`);
      if (SHOTS) await view.screenshot({ path: path.join(SHOTS, `analytics-e2e-${name}.png`), fullPage: true });
    };

    const ov = await openDashboard(context, t, '#/analytics/overview');
    await ov.waitForSelector('[data-breakdown="events"] li[data-name="pricing-seen"]');
    assert.equal(await text(ov, '[data-metric="sessions"] .sv-card-value'), '1');
    assert.equal(await text(ov, '[data-metric="visitors"] .sv-card-value'), '1');
    for (const name of ['upgrade-clicked', 'plan-picked', 'pricing-seen']) {
      assert.equal(await text(ov, `[data-breakdown="events"] li[data-name="${name}"] .sv-num`), '1', `the overview counts ${name}`);
    }
    await ov.waitForSelector('.sv-chart canvas');
    await shoot(ov, 'overview');

    const fr = await openDashboard(context, t, '#/analytics/frustration');
    const rageRow = fr.locator('[data-kind="rageClicks"] .sv-fr-row[data-selector="#suggest"]');
    await rageRow.waitFor();
    assert.match((await rageRow.textContent())!, /Suggest one/);
    assert.equal(await text(fr, '[data-kind="rageClicks"] .sv-fr-row[data-selector="#suggest"] [data-col="count"]'), '1');
    assert.deepEqual(await fr.$$eval('[data-kind="deadClicks"] .sv-fr-row[data-selector]', (els) => els.map((e) => (e as HTMLElement).dataset.selector).sort()), ['#dead', '#track-upgrade']);
    assert.deepEqual(await fr.$$eval('[data-kind="errorClicks"] .sv-fr-row[data-selector]', (els) => els.map((e) => (e as HTMLElement).dataset.selector)), ['#boom']);
    await shoot(fr, 'frustration');

    const fo = await openDashboard(context, t, `#/analytics/forms?url=${encodeURIComponent(home)}`);
    await fo.waitForSelector('[data-form="signup"] [data-field="name"]');
    assert.equal(await text(fo, '[data-form="signup"] [data-field="name"] [data-col="interactions"]'), '2');
    assert.equal(await text(fo, '[data-form="signup"] [data-field="name"] [data-col="dropoff"]').then((s) => s.split(' ')[0]), '1');
    assert.equal(await fo.locator('[data-form="signup"] [data-field]').count(), 1, 'only the field that was used');
    await shoot(fo, 'forms');

    const pg = await openDashboard(context, t, '#/analytics/pages');
    await pg.waitForSelector(`.sv-pages-row[data-url="${tasks}"]`);
    assert.equal(await text(pg, `.sv-pages-row[data-url="${home}"] [data-col="views"]`), '1');
    assert.equal(await text(pg, `.sv-pages-row[data-url="${tasks}"] [data-col="views"]`), '1');
    await shoot(pg, 'pages');

    const fu = await openDashboard(context, t, `#/analytics/funnels?steps=${steps.slice(0, 4).map((s) => encodeURIComponent('event' in s ? `event:${s.event}` : `url:${s.url}`)).join('|')}`);
    await fu.waitForSelector('.sv-funnel-row[data-step="3"]');
    assert.deepEqual(await fu.$$eval('.sv-funnel-row [data-col="count"]', (els) => els.map((e) => e.textContent!.trim())), ['1', '1', '1', '1']);
    assert.equal(await text(fu, '.sv-funnel-row[data-step="1"] [data-col="dropoff"]'), '0 0 %', 'nobody left: no minus sign');
    await shoot(fu, 'funnel');

    const hm = await openDashboard(context, t, `#/analytics/heatmaps?url=${encodeURIComponent(home)}&kind=click`);
    await hm.waitForSelector('.sv-heat[data-phase="ready"] .sv-heat-canvas[data-drawn="true"]', { timeout: 30_000 });
    assert.equal(await text(hm, '[data-total="clicks"] b'), String(clicks.length));
    await shoot(hm, 'heatmap');
  });
});
