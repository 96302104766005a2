/**
 * Takes docs/screenshots/errors.png, the errors view (run from the repository root, after a
 * build): `node --conditions=development --import tsx viewer/scripts/screenshot-errors.ts`.
 * The demo page (its script minified, with a source map the relay reads) throws a browser error
 * and calls a failing API; a few more errors are reported through `POST /api/errors`; one group
 * is resolved, then happens again (regressed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { launchChromium } from '../../test/helpers/browser.ts';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import { openDashboard } from '../test/helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const demoDir = path.join(ROOT, 'examples/demo');
const dir = mkdtempSync(path.join(tmpdir(), 'sentiero-shot-'));
const { default: targets } = (await import(path.join(demoDir, 'build.config.js'))) as { default: BuildOptions[] };
await Promise.all(targets.map((target) => build({ ...target, absWorkingDir: demoDir, outfile: path.join(dir, 'assets', 'app.min.js'), logLevel: 'warning' })));
const t = await startDemo({ sourceMapsDir: dir, limits: { liveGraceMs: 1500 } }, { assetsDir: path.join(dir, 'assets') });
const report = (body: object) => fetch(`${t.base}/api/errors`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.relay.ingestKey}` }, body: JSON.stringify(body),
}).then(async (r) => (await r.json()) as { groupId: string });

const now = Date.now();
const h = 3_600_000;
await report({ name: 'ChunkLoadError', message: 'Loading chunk 412 failed (timeout: https://crm.acme.test/assets/412.js)', origin: 'browser', timestamp: now - 30 * h, url: 'https://crm.acme.test/reports', stack: 'ChunkLoadError: Loading chunk 412 failed\n    at loadChunk (https://crm.acme.test/assets/runtime.js:1:2210)' });
for (let i = 0; i < 7; i++) {
  await report({ name: 'PrismaClientKnownRequestError', message: 'Unique constraint failed on the fields: (`email`)', timestamp: now - (20 - i * 2) * h, url: '/api/contacts', stack: 'PrismaClientKnownRequestError: Unique constraint failed\n    at createContact (/srv/app/src/contacts/service.ts:88:11)\n    at handler (/srv/app/src/contacts/routes.ts:31:5)' });
}
const old = await report({ name: 'RangeError', message: 'Invalid time value', origin: 'browser', timestamp: now - 50 * h, url: 'https://crm.acme.test/calendar', stack: 'RangeError: Invalid time value\n    at formatDay (https://crm.acme.test/assets/calendar.js:3:118)' });
await t.api(`/api/errors/${old.groupId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'resolved' }) });
await report({ name: 'RangeError', message: 'Invalid time value', origin: 'browser', timestamp: now - 40 * 60_000, url: 'https://crm.acme.test/calendar', stack: 'RangeError: Invalid time value\n    at formatDay (https://crm.acme.test/assets/calendar.js:3:118)' });

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
for (let visit = 0; visit < 2; visit++) {
  const app = await context.newPage();
  await app.goto(`${t.origin}/`);
  await waitFor(() => app.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
  await app.click('#boom');
  await app.click('#server-fail');
  await app.waitForTimeout(1500);
  await app.close();
}
const dash = await openDashboard(context, t, '#/errors');
await waitFor(async () => (await dash.locator('.sv-row[data-group]').count()) >= 4, { what: 'the groups' });
await dash.waitForTimeout(600);
await dash.mouse.move(0, 0);
await dash.screenshot({ path: path.join(ROOT, 'docs/screenshots/errors.png') });

await browser.close();
await t.close();
rmSync(dir, { recursive: true, force: true });
console.log('docs/screenshots/errors.png');
