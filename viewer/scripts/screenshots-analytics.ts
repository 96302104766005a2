/**
 * Takes the analytics views' screenshots in docs/images/ (run from the repository root, after a
 * build): `node --conditions=development --import tsx viewer/scripts/screenshots-analytics.ts`.
 * A relay gets a week of the analytics tests' known visits (a shop's pricing page and signup
 * form, more on some days than others) through its real ingest; real Chromium shows each view.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../test/helpers/browser.ts';
import { waitFor } from '../../test/helpers/net.ts';
import { startRelay } from '../../test/helpers/relay.ts';
import { dayOf } from '../src/analytics/query.ts';
import { HOSTILE, PRICING, SIGNUP, seedSessions } from '../test/analytics-seed.ts';
import { batches } from '../test/synthetic.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'docs/images');
await mkdir(OUT, { recursive: true });

const t = await startRelay({ limits: { liveGraceMs: 1000 } });
const now = Date.now();
const visitsPerDay = [2, 4, 3, 6, 5, 8, 4];
let total = 0;
for (const [i, visits] of visitsPerDay.entries()) {
  const day = now - (visitsPerDay.length - 1 - i) * 86_400_000 - 3 * 3_600_000;
  for (let v = 0; v < visits; v++) {
    for (const s of seedSessions(day + v * 600_000, `d${i}v${v}s`)) {
      // The tests' hostile event name stays out of the pictures.
      for (const e of s.events) if (e.data?.payload?.name === HOSTILE) e.data.payload.name = 'contact-clicked';
      const href = s.events.find((e) => e.type === 4)?.data.href as string;
      let seq = 0;
      for (const b of batches(s.events)) {
        const res = await fetch(`${t.base}/ingest`, { method: 'POST', body: JSON.stringify({ sessionId: s.sessionId, windowId: 'w1', seq: ++seq, events: b, meta: { url: href, userAgent: s.userAgent, startedAt: s.events[0]!.timestamp } }) });
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
      }
      total++;
    }
  }
}
const range = `from=${dayOf(now - 6 * 86_400_000)}&to=${dayOf(now)}`;
await waitFor(async () => ((await (await t.api(`/api/analytics/overview?from=${now - 8 * 86_400_000}`)).json()) as { sessions: number }).sessions === total, { what: 'every digest', timeoutMs: 60_000 });

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
const page = await context.newPage();
await page.goto(`${t.base}/#token=${encodeURIComponent(t.relay.token)}`);
await page.waitForSelector('.sv-app');
const shot = async (route: string, ready: string, name: string, full = false) => {
  await page.evaluate((r) => { location.hash = r; }, route);
  await page.waitForSelector(ready, { timeout: 30_000 });
  await page.waitForTimeout(500);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(OUT, `analytics-${name}.png`), fullPage: full });
};
const segment = await (await t.api('/api/segments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Phones', filter: { device: 'mobile' } }) })).json() as { id: string };
await t.api('/api/segments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Signed up', filter: { event: 'signup' } }) });

await shot(`#/analytics/overview?${range}`, '.sv-chart canvas', 'overview', true);
await shot(`#/analytics/pages?${range}`, `.sv-pages-row[data-url="${PRICING}"]`, 'pages');
// The heatmaps show the whole page: a window as tall as it.
await page.setViewportSize({ width: 1280, height: 2700 });
await shot(`#/analytics/heatmaps?${range}&url=${encodeURIComponent(PRICING)}&kind=click`, '.sv-heat[data-phase="ready"] .sv-heat-canvas[data-drawn="true"]', 'heatmap-clicks');
await shot(`#/analytics/heatmaps?${range}&url=${encodeURIComponent(PRICING)}&kind=scroll`, '.sv-heat[data-phase="ready"] .sv-heat-canvas[data-drawn="true"]', 'heatmap-scroll');
await page.setViewportSize({ width: 1280, height: 860 });
await shot(`#/analytics/forms?${range}&url=${encodeURIComponent(SIGNUP)}`, '[data-form="signup"]', 'forms');
await shot(`#/analytics/funnels?${range}&steps=${encodeURIComponent(`url:${encodeURIComponent(PRICING)}|url:${encodeURIComponent(SIGNUP)}|event:signup`)}`, '.sv-funnel-row[data-step="2"]', 'funnels');
await shot(`#/analytics/frustration?${range}`, '[data-kind="rageClicks"] .sv-fr-row', 'frustration');
await shot(`#/analytics/segments?${range}&segment=${segment.id}`, '.sv-seglist li', 'segments');
await page.evaluate((r) => { location.hash = r; }, `#/analytics/frustration?${range}`);
await page.locator('[data-kind="rageClicks"] [data-col="count"] .sv-numlink').first().click();
await page.waitForSelector('.sv-picked .sv-row');
await page.waitForTimeout(400);
await page.screenshot({ path: path.join(OUT, 'analytics-sessions-behind.png') });

await browser.close();
await t.close();
console.log(`screenshots in ${OUT}`);
