/**
 * Recorded content is untrusted: a page whose title, URL, custom event names and props, text
 * and links carry script payloads is recorded for real, then listed, replayed and inspected in
 * the dashboard. Any payload that ran would call home (`/pwned`), open a dialog or set a
 * global; none may. The payloads show as text.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../test/helpers/browser.ts';
import { waitFor } from '../../test/helpers/net.ts';
import { type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { openDashboard, replayedText, waitEnded, waitForView } from './helpers.ts';

/** Calls home with what ran, unless it runs in the recorded page itself (whose path starts with /xss). */
const CALL = (what: string) => `if(!location.pathname.startsWith('/xss')){new Image().src='/pwned?${what}';window.top.__pwned='${what}';alert('${what}')}`;
const TITLE = `Shop <img src=x onerror="${CALL('title')}"> </title><script>${CALL('title-script')}</script>`;
const TEXT = `</script><script>${CALL('text')}</script><img src=x onerror="${CALL('text-img')}"><svg onload="${CALL('text-svg')}">`;
const EVENT = `<img src=x onerror=alert('event')><script>alert('event-script')</script>`;

/** A JS literal safe inside an inline script element. */
const js = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>placeholder</title></head><body>
<h1 id="headline"></h1>
<a id="pay" href="javascript:${CALL('link')}">Pay now</a>
<img id="broken" src="/missing.png" onerror="${CALL('attr')}" alt="">
<div id="attr" data-x="&quot;&gt;&lt;img src=x onerror=${CALL('data-attr')}&gt;">attributes</div>
<script src="/sentiero/recorder.js"></script>
<script>
  document.title = ${js(TITLE)};
  document.getElementById('headline').textContent = ${js(TEXT)};
  Sentiero.start();
  Sentiero.addEvent(${js(EVENT)}, { html: ${js(TEXT)}, url: ${js(`javascript:${CALL('prop')}`)} });
</script></body></html>`;

describe('viewer: recorded script payloads never run in the dashboard', function () {
  this.timeout(180_000);
  let browser: Browser;
  let t: TestRelay;
  const pwned: string[] = [];

  before(async () => {
    browser = await launchChromium();
    t = await startRelay({ limits: { liveGraceMs: 1000 } }, (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      if (url.startsWith('/pwned')) {
        pwned.push(url);
        res.writeHead(204);
        res.end();
        return;
      }
      if (url.startsWith('/xss')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows titles, URLs, event names and text as text, and runs none of them', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const dialogs: string[] = [];
    context.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    const app = await context.newPage();
    await app.goto(`${t.origin}/xss/"><svg onload=alert(1)>?q=</script><img src=x onerror=alert(2)>&u=javascript:alert(3)`);
    const { sessionId } = await waitFor(() => app.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
    await app.click('#attr');
    await app.waitForTimeout(300);
    await app.close();
    await waitEnded(t, sessionId);

    const dash = await openDashboard(context, t);
    const violations: string[] = [];
    await dash.exposeFunction('__violation', (v: string) => violations.push(v));
    await dash.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __violation(v: string): void }).__violation(`${e.violatedDirective} ${e.blockedURI}`)));
    const row = dash.locator(`.sv-row[data-session="${sessionId}"]`);
    await row.waitFor();
    assert.match((await row.locator('.sv-url').textContent())!, /^\/xss\//, 'the URL is shown as text');

    await row.click();
    await waitForView(dash, (s) => s.frame === 'true', 'the replay');
    await waitForView(dash, (s) => s.state === 'ended', 'the end of the replay', 60_000);
    const shownTitle = (await dash.textContent('.sv-title .sv-h1'))!;
    assert.ok(shownTitle.length > 100 && TITLE.startsWith(shownTitle), `the title is text: ${shownTitle}`);
    assert.equal(await replayedText(dash, '#headline'), TEXT, 'the replayed text is text');
    const entry = dash.locator('.sv-entry[data-kind="custom"]');
    assert.equal(await entry.locator('.sv-entry-label').textContent(), EVENT, 'the event name is text');
    await entry.locator('.sv-entry-main').click();
    assert.match((await entry.locator('.sv-pre').textContent())!, /"html": "<\/script><script>/, 'the props are text');
    await dash.hover('.sv-marker[data-kind="custom"]');
    assert.equal(await dash.textContent('.sv-tip-label'), EVENT);
    // Try the recorded link inside the replay too: the sandbox has no scripts and the replay takes no input.
    await dash.evaluate(() => (document.querySelector<HTMLIFrameElement>('.sv-replay iframe')?.contentDocument?.getElementById('pay') as HTMLAnchorElement | null)?.click());
    await dash.waitForTimeout(1000);

    assert.deepEqual(pwned, [], 'no payload called home');
    assert.deepEqual(dialogs, [], 'no payload opened a dialog');
    assert.equal(await dash.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
    assert.equal(await dash.$$eval('img[onerror], svg[onload], script:not([src])', (els) => els.length), 0, 'no recorded markup in the dashboard itself');
    assert.deepEqual(violations.filter((v) => v.startsWith('script-src')), [], 'nothing even tried to run a script');
    const headers = (await (await fetch(`${t.base}/`)).headers.get('content-security-policy'))!;
    assert.match(headers, /script-src 'self'/);
    await context.close();
  });
});
