/**
 * In real Chromium: a page recorded at a URL with `?token=…`, showing an e-mail address, a
 * card number and secret links in its text, through a real relay into a real LevelDB. What
 * the store holds (every batch read back, and every raw key and value of the folder once the
 * relay is closed) has none of them: the sanitizers ran before anything was stored.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { LevelStore } from '@sentiero/storage';
import { Level } from 'level';
import { launchChromium } from './helpers/browser.ts';
import { waitFor } from './helpers/net.ts';
import { type TestRelay, startRelay } from './helpers/relay.ts';

const SECRETS = ['SECRET-TOKEN-123', 'jane.roe@example.com', '4111 1111 1111 1111', 'hunter2xyz', 'OAUTH-CODE-9', 'added.later@example.org', 'SIG-777'];

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Account</title></head>
<body>
<h1>Your account</h1>
<p id="contact">Write to jane.roe@example.com about card 4111 1111 1111 1111.</p>
<a id="reset" href="/reset?password=hunter2xyz&lang=en">Reset</a>
<img alt="" src="/pixel.gif?sig=SIG-777">
<ul id="log"></ul>
<script src="/sentiero/recorder.js"></script>
<script>Sentiero.start({})</script>
</body></html>`;

describe('privacy in real Chromium: nothing secret reaches the store', function () {
  this.timeout(120_000);
  let browser: Browser;
  let t: TestRelay;
  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });
  afterEach(async () => { await t?.close(); });

  it('strips ?token= and masks e-mail addresses and card numbers from what is recorded', async () => {
    t = await startRelay({ limits: { liveGraceMs: 1000 } }, (req, res) => {
      if (req.url?.startsWith('/account')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(PAGE);
      }
      res.writeHead(204);
      res.end();
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.origin}/account?token=SECRET-TOKEN-123&tab=1`);
    const { sessionId } = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
    await page.evaluate(() => {
      const li = document.createElement('li');
      li.textContent = 'Invite sent to added.later@example.org';
      document.getElementById('log')!.append(li);
    });
    await page.click('#contact');
    await page.goto(`${t.origin}/account/callback?code=OAUTH-CODE-9&state=ok`);
    await waitFor(async () => {
      const res = await t.api(`/api/sessions/${sessionId}/events`);
      const text = res.status === 200 ? await res.text() : '';
      return text.includes('Invite sent to') && text.includes('state=ok') ? text : undefined;
    }, { what: 'the mutation and the second page stored' });
    await context.close();

    // Read back through a store on the same folder, once the relay let go of it.
    await t.relay.close();
    const store = new LevelStore({ location: t.dataDir });
    await store.open();
    let held = '';
    try {
      for await (const b of store.readBatchesJson(sessionId)) held += b.eventsJson;
      held += JSON.stringify(await store.getSession(sessionId));
    } finally {
      await store.close();
    }
    const db = new Level<Buffer, Buffer>(t.dataDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    let raw = '';
    for await (const [k, v] of db.iterator()) raw += `${k.toString('latin1')} ${v.toString('latin1')}\n`;
    await db.close();

    for (const secret of SECRETS) {
      assert.ok(!held.includes(secret), `the store's events and record hold no ${secret}`);
      assert.ok(!raw.includes(secret), `no raw key or value holds ${secret}`);
    }
    assert.ok(held.includes('token=[redacted]') && held.includes('tab=1'), 'the URL was recorded, its token stripped');
    assert.ok(held.includes('password=[redacted]') && held.includes('code=[redacted]') && held.includes('state=ok'));
    assert.ok(held.includes('Write to [email] about card [card].'), 'the text was recorded, masked');
    assert.ok(held.includes('Invite sent to [email]'), 'a text added later too');
  });
});
