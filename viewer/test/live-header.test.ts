/**
 * The session header of a session watched live as it turns into a recording (real relay, real
 * Chromium, the demo page recorded): the pages visited and the error thrown while it was watched
 * are in the header, live and after the end.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser.ts';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { openDashboard, waitForView } from './helpers.ts';

describe('viewer: the header of a live session that ends', function () {
  this.timeout(120_000);
  let browser: Browser;
  let t: TestRelay;
  let context: BrowserContext;

  before(async () => {
    browser = await launchChromium();
    t = await startDemo({ limits: { liveGraceMs: 1000 } });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  it('counts the pages and errors that came while it was watched, and keeps them once it is a recording', async () => {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const { sessionId } = await waitFor(() => app.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
    const dash = await openDashboard(context, t, `#/sessions/${sessionId}`);
    await waitForView(dash, (s) => s.mode === 'live', 'the session followed live');
    const meta = dash.locator('.sv-meta');
    assert.match((await meta.textContent()) ?? '', /1 page(?!s)/);
    assert.equal(await dash.locator('.sv-meta .sv-badge.is-error').count(), 0);

    await app.click('#boom');
    await app.click('#to-about');
    await app.waitForURL(/\/about$/);
    await waitFor(async () => /2 pages/.test((await meta.textContent()) ?? '') && /1 error/.test((await meta.textContent()) ?? ''), { what: '"2 pages" and "1 error" while live', timeoutMs: 30_000 });

    await app.close();
    await waitForView(dash, (s) => s.recording === 'false' && s.mode === 'replay', 'the session to become a recording', 40_000);
    // The header is read again once the recording's summary is final; it must still say the same.
    await dash.waitForTimeout(1500);
    const after = (await meta.textContent()) ?? '';
    assert.match(after, /2 pages/);
    assert.equal(await dash.locator('.sv-meta .sv-badge.is-error').textContent(), '1 error');
  });
});
