/**
 * The dashboard's privacy controls in real Chromium against a real relay: the store's size in
 * the top bar, the user filter of the session list, erasing a session (it asks first), and
 * erasing a user's data from the list (it asks first, and says what went).
 */
import assert from 'node:assert/strict';
import type { BrowserContext } from 'playwright-core';
import { pageSession, useDemoBrowser } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { openDashboard } from './helpers.ts';

describe('viewer: privacy controls in the dashboard', function () {
  this.timeout(120_000);
  const env = useDemoBrowser({ context: { viewport: { width: 1280, height: 800 } } });
  let t: TestRelay;
  let context: BrowserContext;
  beforeEach(() => ({ t, context } = env));

  const seed = async (id: string, userIds?: string[]) => {
    const now = Date.now();
    await t.relay.store.append({ sessionId: id, windowId: 'w1', seq: 1, events: [{ type: 3, timestamp: now, data: {} }], receivedAt: now, ...(userIds ? { digest: { userIds } } : {}) });
  };
  const ids = async () => ((await (await t.api('/api/sessions')).json()) as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id).sort();

  it('shows the size on disk, filters by user, and erases a user\'s sessions after asking', async () => {
    await seed('sess-u1-a', ['u-1']);
    await seed('sess-u1-b', ['u-9', 'u-1']);
    await seed('sess-other', ['u-2']);
    const dash = await openDashboard(context, t, '#/sessions?user=u-1');
    assert.match((await dash.locator('.sv-storage').textContent())!, /B of .* on disk/);
    await waitFor(async () => (await dash.$$eval('.sv-row', (rows) => rows.length)) === 2 || undefined, { what: 'the filtered list' });
    assert.deepEqual((await dash.$$eval('.sv-row', (rows) => rows.map((r) => (r as HTMLElement).dataset.session))).sort(), ['sess-u1-a', 'sess-u1-b']);

    await dash.click('.sv-erase-user summary');
    await dash.fill('input[name="erase-user"]', 'u-1');
    await dash.click('[data-action="erase-user"]');
    assert.deepEqual(await ids(), ['sess-other', 'sess-u1-a', 'sess-u1-b'], 'nothing is erased before the confirmation');
    await dash.click('[data-action="erase-user-confirm"]');
    await dash.waitForSelector('[data-erase-result]');
    assert.match((await dash.textContent('[data-erase-result]'))!, /^2 sessions, 2 events, 0 error occurrences erased for u-1\.$/);
    assert.deepEqual(await ids(), ['sess-other']);
  });

  it('erases the open session after a second click, and goes back to the list', async () => {
    const app = await context.newPage();
    await app.goto(`${t.origin}/`);
    const { sessionId } = await pageSession(app);
    await app.click('#suggest');
    await waitFor(async () => (await t.api(`/api/sessions/${sessionId}`)).status === 200 || undefined, { what: 'the session stored' });
    await app.close();
    const dash = await openDashboard(context, t, `#/sessions/${sessionId}`);
    await dash.click('[data-action="erase-session"]');
    await dash.waitForSelector('[data-action="erase-confirm"]');
    await dash.click('[data-action="erase-cancel"]');
    assert.equal((await t.api(`/api/sessions/${sessionId}`)).status, 200, 'cancel erases nothing');
    await dash.click('[data-action="erase-session"]');
    await dash.click('[data-action="erase-confirm"]');
    await dash.waitForSelector('.sv-list');
    assert.equal((await t.api(`/api/sessions/${sessionId}`)).status, 404);
  });
});
