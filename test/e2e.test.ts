/**
 * End to end in real Chromium: the demo app records through a real relay into a real
 * LevelDB; the stored session replays to the page's DOM; nothing typed leaves the page.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { type Line, pageSession, replayText, startTicker, stopTicker, storedBatches, useDemoBrowser } from './helpers/demo.ts';
import { waitFor } from './helpers/net.ts';
import { Inbox, type TestRelay } from './helpers/relay.ts';

const SECRETS = ['Zelda Quuxington', 'zelda.quux@example.com', 'hunter2-Secret!'];


/** Records every frame and POST body a page sends to the relay, through CDP's Network domain. */
async function captureWire(page: Page): Promise<string[]> {
  const sent: string[] = [];
  // The recorder opens its socket in a worker when it can; CDP's page session sees the frames of the page's own sockets only.
  await page.addInitScript('delete window.Worker');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketFrameSent', (e: { response: { payloadData: string } }) => sent.push(e.response.payloadData));
  cdp.on('Network.requestWillBeSent', (e: { request: { url: string; postData?: string } }) => {
    if (e.request.postData) sent.push(e.request.postData);
  });
  return sent;
}


describe('end to end: the demo in real Chromium', function () {
  this.timeout(120_000);
  const env = useDemoBrowser();
  let t: TestRelay;
  let context: BrowserContext;
  beforeEach(() => ({ t, context } = env));

  it('records a visit with two tabs into one session, replays the list, and never lets typed text out', async () => {
    const page = await context.newPage();
    const wire = await captureWire(page);
    await page.goto(`${t.origin}/`);
    const first = await pageSession(page);
    assert.equal(first.relay, t.base);

    await page.fill('#name', SECRETS[0]!);
    await page.fill('#email', SECRETS[1]!);
    await page.fill('#password', SECRETS[2]!);
    await page.click('#signup-submit');
    await page.click('#suggest');
    await page.click('#suggest');
    await page.click('#suggest');
    await page.click('#tasks li:nth-child(3) .done');
    const finalList = await page.textContent('#tasks');
    assert.match(finalList!, /Book the team lunch/);
    assert.doesNotMatch(finalList!, /Renew the domain/, 'the removed task is gone');

    // Navigate: the same window goes on in the same session.
    await page.click('#to-about');
    await page.waitForURL(`${t.origin}/about`);
    const afterNav = await pageSession(page);
    assert.deepEqual(afterNav, first);
    await page.click('#like');

    // A second tab of the same visit.
    const tab2 = await context.newPage();
    const wire2 = await captureWire(tab2);
    await tab2.goto(`${t.origin}/about`);
    const second = await pageSession(tab2);
    assert.equal(second.sessionId, first.sessionId);
    assert.notEqual(second.windowId, first.windowId);
    await tab2.click('#like');

    const session = await waitFor(async () => {
      const res = await t.api(`/api/sessions/${first.sessionId}`);
      if (res.status !== 200) return undefined;
      const s = (await res.json()) as { windows: string[]; pages: string[] };
      return s.windows.length === 2 && s.pages.some((p) => p.endsWith('/about')) ? s : undefined;
    }, { what: 'both windows stored' });
    assert.deepEqual(new Set(session.windows), new Set([first.windowId, second.windowId]));

    const list = (await (await t.api('/api/sessions')).json()) as { sessions: Array<{ id: string }> };
    assert.deepEqual(list.sessions.map((s) => s.id), [first.sessionId], 'one session for the whole visit');

    // Close the tabs so that the last batches are flushed (pagehide), then read everything stored.
    await page.close();
    await tab2.close();
    await waitFor(async () => !((await (await t.api(`/api/sessions/${first.sessionId}`)).json()) as { live: boolean }).live, { what: 'the session to end' });
    const lines = await storedBatches(t, first.sessionId);

    // Replay window 1 up to the navigation: the list is what the page showed.
    const w1 = lines.filter((l) => l.windowId === first.windowId).flatMap((l) => l.events);
    const metas = w1.map((e, i) => [e, i] as const).filter(([e]) => e.type === 4);
    assert.ok(metas.length >= 2, 'a Meta event for each page of the first tab');
    const home = w1.slice(0, metas[1]![1]);
    const replayPage = await context.newPage();
    const replayed = await replayText(replayPage, t.origin, home, '#tasks');
    assert.equal(replayed?.replace(/\s+/g, ' ').trim(), finalList!.replace(/\s+/g, ' ').trim());

    // Nothing typed, no password, and no blocked content anywhere: not stored, not on the wire.
    const stored = JSON.stringify(lines);
    const onWire = [...wire, ...wire2].join('\n');
    assert.ok(wire.length > 0, 'frames were captured');
    for (const secret of [...SECRETS, 'this block is never recorded']) {
      assert.ok(!stored.includes(secret), `"${secret}" is in the stored events`);
      assert.ok(!onWire.includes(secret), `"${secret}" went over the wire`);
    }
  });

  it('gives a watcher that joins mid-visit every event exactly once, in order, while the page keeps producing', async () => {
    const page = await context.newPage();
    await page.goto(`${t.origin}/`);
    const { sessionId, windowId } = await pageSession(page);
    // The page keeps changing: one new list item every 20 ms, numbered.
    await startTicker(page, 20);
    await waitFor(async () => ((await (await t.api(`/api/sessions/${sessionId}`)).json()) as { eventCount?: number }).eventCount! > 30, { what: 'a backlog' });

    const w = new Inbox(await t.socket('/watch'));
    w.send({ t: 'auth', token: t.relay.token });
    await w.next((m) => m.t === 'ready');
    w.send({ t: 'subscribe', sessionId });
    await w.next((m) => m.t === 'live');
    const seamCount = w.messages.filter((m) => m.t === 'events').length;
    await waitFor(() => w.messages.filter((m) => m.t === 'events').length > seamCount + 5, { what: 'live batches after the seam' });
    await stopTicker(page);
    await page.close();
    await w.next((m) => m.t === 'end', 20_000);

    const stored = (await storedBatches(t, sessionId)).filter((l) => l.windowId === windowId);
    const watched = w.messages.filter((m) => m.t === 'events' && m.windowId === windowId) as unknown as Line[];
    assert.deepEqual(watched.map((m) => m.seq), stored.map((l) => l.seq), 'the same batches, each once, in order');
    assert.deepEqual(watched.flatMap((m) => m.events), stored.flatMap((l) => l.events), 'the same events');
  });
});
