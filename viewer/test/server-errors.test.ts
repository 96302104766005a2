/**
 * Server errors in a session's activity and timeline (real relay, real Chromium): a session
 * whose page threw one error and whose server reported one (linked by session id) shows both
 * under the activity's Errors filter and on the timeline, the server's marked as such.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { createId } from '@sentiero/protocol';
import { launchChromium } from '../../test/helpers/browser.ts';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { openDashboard, storeSession } from './helpers.ts';
import { syntheticEvents } from './synthetic.ts';

const INGEST_KEY = 'test_ingest_key_0123456789';

describe('viewer: server errors in the session view', function () {
  this.timeout(120_000);
  let browser: Browser;
  let t: TestRelay;
  let context: BrowserContext;
  const t0 = Date.now() - 600_000;
  const session = { id: createId(), window: createId() };

  before(async () => {
    browser = await launchChromium();
    t = await startDemo({ limits: { liveGraceMs: 1000 } });
    await storeSession(t, session.id, session.window, syntheticEvents({
      t0, end: 30_000, steps: [{ at: 5000, text: 'step 1' }], active: [[0, 30_000]], moveEveryMs: 1000,
      errors: [{ at: 8000, name: 'TypeError', message: 'cart is undefined', stack: 'TypeError: cart is undefined\n    at total (http://synthetic.test/app.js:3:7)' }],
    }));
    const res = await fetch(`${t.base}/api/errors`, {
      method: 'POST', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'DatabaseError', message: 'orders table is locked', sessionId: session.id, timestamp: t0 + 20_000, stack: 'DatabaseError: orders table is locked\n    at saveOrder (/srv/app/src/orders.js:42:11)' }),
    });
    assert.equal(res.status, 200, await res.text());
    await waitFor(async () => ((await (await t.api(`/api/sessions/${session.id}`)).json()) as { errorCount: number }).errorCount === 2, { what: 'the session to count both errors' });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  it('shows the browser and the server error under Errors and on the timeline', async () => {
    const dash = await openDashboard(context, t, `#/sessions/${session.id}`);
    const errorsFilter = dash.locator('.sv-kind[data-filter="error"]');
    await waitFor(async () => (await errorsFilter.textContent())?.includes('2'), { what: 'the Errors filter to count 2', timeoutMs: 30_000 });
    await errorsFilter.click();
    const entries = dash.locator('.sv-entry[data-kind="error"]');
    assert.equal(await entries.count(), 2);
    assert.deepEqual(await entries.evaluateAll((els) => els.map((e) => [e.getAttribute('data-origin'), e.querySelector('.sv-entry-label')?.textContent, e.querySelector('.sv-tabtag')?.textContent ?? ''])), [
      ['browser', 'TypeError: cart is undefined', ''],
      ['server', 'DatabaseError: orders table is locked', 'Server'],
    ]);
    assert.equal(await dash.locator('.sv-timeline .sv-marker[data-kind="error"]').count(), 2, 'both errors are on the timeline');
    assert.equal(await dash.locator('.sv-badge.is-error').textContent(), '2 errors', 'the header counts the same two');

    // The server error's entry opens its stack and links to its group.
    await entries.nth(1).locator('.sv-entry-main').click();
    await dash.locator('.sv-entry-detail .sv-group-link').waitFor();
    assert.match((await dash.locator('.sv-entry-detail').textContent()) ?? '', /saveOrder.*orders\.js:42:11/);
  });
});
