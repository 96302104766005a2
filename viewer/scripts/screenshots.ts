/**
 * Takes the screenshots in docs/screenshots/ (run from the repository root, after a build):
 * `node --conditions=development --import tsx viewer/scripts/screenshots.ts`.
 * A demo relay gets a few sessions (the shared fixture, a real 45 s recording of a CRM, stored
 * under several browsers, one with an error and app events), then real Chromium shows the
 * list, a replay, and a page being watched live.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createId } from '@sentiero/protocol';
import { launchChromium } from '../../test/helpers/browser.ts';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import { openDashboard, storeSession, waitForView } from '../test/helpers.ts';
import type { Ev } from '../test/synthetic.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'docs/screenshots');
const UA = {
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  firefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
};

const fixture = JSON.parse(await readFile(path.join(ROOT, '../shared/fixtures/acme-crm-45s.rrweb.json'), 'utf8')) as Ev[];

/** The fixture moved to `t0`, with the app's own events, a page title and (optionally) an error mixed in. */
function crmSession(t0: number, opts: { href: string; error?: boolean; repeat?: number }): Ev[] {
  const base = fixture[0]!.timestamp;
  const span = fixture[fixture.length - 1]!.timestamp - base + 1500;
  const out: Ev[] = [];
  for (let r = 0; r < (opts.repeat ?? 1); r++) {
    for (const e of fixture) {
      const moved = { ...e, timestamp: t0 + r * span + (e.timestamp - base) };
      if (e.type === 4) moved.data = { ...e.data, href: opts.href };
      if (r > 0 && (e.type === 4 || e.type === 2)) continue;
      out.push(moved);
    }
  }
  const at = (ms: number) => t0 + ms;
  out.push({ type: 5, timestamp: at(3), data: { tag: 'sentiero/page@1', payload: { href: opts.href, title: 'Acme CRM — Pipeline' } } });
  out.push({ type: 5, timestamp: at(8_200), data: { tag: 'sentiero/event@1', payload: { name: 'deal_created', props: { stage: 'Qualified', value: 18_500 } } } });
  out.push({ type: 5, timestamp: at(21_400), data: { tag: 'sentiero/event@1', payload: { name: 'filter_applied', props: { owner: 'me' } } } });
  if (opts.error) {
    out.push({ type: 5, timestamp: at(27_900), data: { tag: 'sentiero/error@1', payload: { name: 'TypeError', message: "Cannot read properties of undefined (reading 'total')", stack: "TypeError: Cannot read properties of undefined (reading 'total')\n    at dealValue (https://crm.acme.test/assets/deals.js:118:23)\n    at renderPipeline (https://crm.acme.test/assets/pipeline.js:42:9)\n    at HTMLButtonElement.onClick (https://crm.acme.test/assets/pipeline.js:77:5)" } } });
  }
  out.push({ type: 5, timestamp: at(39_000), data: { tag: 'sentiero/event@1', payload: { name: 'export_csv', props: { rows: 42 } } } });
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

const t = await startDemo({ limits: { liveGraceMs: 1500 } });
const now = Date.now();
const replayId = createId();
const sessions: Array<[string, Ev[], string]> = [
  [createId(), crmSession(now - 26 * 3_600_000, { href: 'https://crm.acme.test/contacts?segment=enterprise', repeat: 3 }), UA.firefox],
  [createId(), crmSession(now - 7 * 3_600_000, { href: 'https://crm.acme.test/reports/q3', repeat: 2 }), UA.ipad],
  [createId(), crmSession(now - 5 * 3_600_000, { href: 'https://crm.acme.test/deals/new' }), UA.iphone],
  [createId(), crmSession(now - 2 * 3_600_000, { href: 'https://crm.acme.test/settings/billing', error: true }), UA.edge],
  [createId(), crmSession(now - 50 * 60_000, { href: 'https://crm.acme.test/pipeline?owner=me', repeat: 4 }), UA.mac],
  [replayId, crmSession(now - 12 * 60_000, { href: 'https://crm.acme.test/pipeline', error: true }), UA.mac],
];
for (const [id, events, ua] of sessions) await storeSession(t, id, createId(), events, ua);
// The replayed session's server also failed (reported with the session's id, as `linkRequests` makes possible).
const serverError = await fetch(`${t.base}/api/errors`, {
  method: 'POST', headers: { authorization: 'Bearer test_ingest_key_0123456789', 'content-type': 'application/json' },
  body: JSON.stringify({
    name: 'DatabaseError', message: 'deadlock detected while updating deal 4471', sessionId: replayId, timestamp: now - 12 * 60_000 + 30_500,
    stack: 'DatabaseError: deadlock detected while updating deal 4471\n    at updateDeal (/srv/crm/src/deals/repository.js:88:13)\n    at async saveDeal (/srv/crm/src/deals/routes.js:41:5)',
  }),
});
if (serverError.status !== 200) throw new Error(`the server error was refused: ${serverError.status}`);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });


// A visit in progress (the demo app, recorded for real) so that the list has a live row.
const app = await context.newPage();
await app.goto(`${t.origin}/`);
const live = await waitFor(() => app.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
await app.fill('#name', 'Ada Lovelace');
await app.click('#suggest');

const dash = await openDashboard(context, t);
await dash.locator(`.sv-row[data-session="${live.sessionId}"]`).waitFor();
await dash.waitForTimeout(600);
await dash.screenshot({ path: path.join(OUT, 'dashboard-list.png') });

await dash.evaluate((id) => { location.hash = `#/sessions/${id}?t=28400`; }, replayId);
await waitForView(dash, (s) => s.frame === 'true' && s.time > 28_000, 'the replay at the error');
await dash.locator('.sv-entry[data-kind="error"][data-origin="server"]').waitFor();
await dash.locator('.sv-entry[data-kind="error"] .sv-entry-main').first().click();
await dash.waitForTimeout(500);
await dash.mouse.move(0, 0);
await dash.screenshot({ path: path.join(OUT, 'replay.png') });

await dash.evaluate((id) => { location.hash = `#/sessions/${id}`; }, live.sessionId);
await waitForView(dash, (s) => s.mode === 'live' && s.frame === 'true', 'live mode');
for (const label of ['Call the landlord', 'Renew the domain', 'Book the team lunch']) {
  await app.fill('#task', label);
  await app.click('#add');
  await app.waitForTimeout(400);
}
await app.click('#suggest');
await app.mouse.move(640, 420);
await waitForView(dash, (s) => s.lag !== '', 'a lag figure');
await dash.waitForTimeout(1200);
await dash.screenshot({ path: path.join(OUT, 'live.png') });

await browser.close();
await t.close();
console.log(`screenshots in ${OUT}`);
