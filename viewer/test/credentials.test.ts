/**
 * The dashboard's credentials against a script of the recorded app (same origin as the
 * relay's base) and a page of another site, in real Chromium: after an admin signs in, the
 * app's script finds no credential that reads recordings (not in storage, not in
 * `document.cookie`, not in a dashboard page it fetches, frames or opens), its requests with
 * the ambient cookie are refused, and a cross-site POST changes nothing.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Page } from 'playwright-core';
import { useDemoBrowser } from '../../test/helpers/demo.ts';
import { listen } from '../../test/helpers/net.ts';
import { openDashboard } from './helpers.ts';

describe('viewer: the dashboard\'s credentials stay off the app\'s origin', function () {
  this.timeout(120_000);
  const env = useDemoBrowser();

  /** The request token and session id the browser holds (read through the browser's cookie jar, as no page script can). */
  async function heldSecrets(): Promise<string[]> {
    const cookies = await env.context.cookies();
    const secrets = cookies.filter((c) => c.name.startsWith('sentiero_')).map((c) => c.value);
    assert.equal(secrets.length, 2, 'signed in: the session cookie and the request token cookie');
    return [...secrets, env.t.relay.token];
  }

  it('gives a script of the app no credential, and refuses what it tries with the ambient cookie', async () => {
    const { t, context } = env;
    const dash = await openDashboard(context, t);
    assert.ok(!dash.url().includes('token='), 'the #token= link is gone from the address bar');
    const secrets = await heldSecrets();

    const app: Page = await context.newPage();
    await app.goto(`${t.origin}/`);
    const found = await app.evaluate(async (base) => {
      const seen: Record<string, string> = {};
      seen.cookie = document.cookie;
      seen.storage = JSON.stringify({ ...localStorage, ...sessionStorage });
      seen.dashboard = await (await fetch(`${base}/`)).text();
      const me = await fetch(`${base}/api/me`);
      seen.me = `${me.status} ${await me.text()}`;
      const list = await fetch(`${base}/api/sessions`);
      seen.list = `${list.status} ${await list.text()}`;
      // A frame of the dashboard: refused (X-Frame-Options DENY, frame-ancestors 'none'), so its cookies stay out of reach.
      const frame = document.createElement('iframe');
      frame.src = `${base}/`;
      document.body.append(frame);
      await new Promise((r) => { frame.onload = r; setTimeout(r, 3000); });
      try { seen.frame = frame.contentDocument?.cookie ?? '(no document)'; } catch (err) { seen.frame = `(blocked: ${(err as Error).name})`; }
      // A window of the dashboard: severed by Cross-Origin-Opener-Policy, so no handle on its document.
      const w = window.open(`${base}/`);
      await new Promise((r) => setTimeout(r, 1500));
      try { seen.popup = w && !w.closed ? w.document.cookie : '(no handle)'; } catch (err) { seen.popup = `(blocked: ${(err as Error).name})`; }
      // The watch socket carries the cookie too, but signs in only with the request token.
      seen.watch = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/watch`);
        ws.onopen = () => ws.send(JSON.stringify({ t: 'auth', token: 'guess-guess-guess-guess' }));
        ws.onclose = (e) => resolve(String(e.code));
      });
      return seen;
    }, t.base);
    for (const [where, text] of Object.entries(found)) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a credential found by the app's script in ${where}: ${text.slice(0, 200)}`);
    }
    assert.equal(found.cookie, '', 'document.cookie on the app\'s pages holds none of the base path\'s cookies');
    assert.match(found.me, /^403 .*SENTIERO_CSRF_REQUIRED/);
    assert.match(found.list, /^403 .*SENTIERO_CSRF_REQUIRED/);
    assert.match(found.frame, /no document|blocked|^$/);
    assert.equal(found.watch, '4001');
    await dash.bringToFront();
    await dash.reload();
    await dash.waitForSelector('.sv-conn.is-open');
  });

  it('refuses a cross-site POST that lacks the request token: no token created, no sign-out', async () => {
    const { t, context } = env;
    const dash = await openDashboard(context, t);
    await heldSecrets();
    // Another site: a page served from localhost on another port (the relay is on 127.0.0.1), posting forms at the relay.
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html>
        <form id="make" method="POST" enctype="text/plain" action="${t.base}/api/tokens" target="a"><input name='{"name":"evil","role":"admin","x":"' value='"}'></form>
        <form id="out" method="POST" action="${t.base}/api/logout" target="b"></form>
        <iframe name="a"></iframe><iframe name="b"></iframe>
        <script>
          fetch(${JSON.stringify(`${t.base}/api/tokens`)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"name":"evil2","role":"admin"}' });
          document.getElementById('make').submit();
          document.getElementById('out').submit();
        </script>`);
    });
    const port = await listen(evil);
    try {
      const page = await context.newPage();
      await page.goto(`http://localhost:${port}/`);
      await page.waitForTimeout(1500);
      const names = ((await (await t.api('/api/tokens')).json()) as { tokens: { name: string }[] }).tokens.map((x) => x.name);
      assert.deepEqual(names, ['default'], 'no token was created');
      await dash.reload();
      await dash.waitForSelector('.sv-conn.is-open');
      assert.equal((await context.cookies()).filter((c) => c.name.startsWith('sentiero_')).length, 2, 'still signed in');
    } finally {
      evil.closeAllConnections();
      await new Promise((r) => evil.close(r));
    }
  });

  it('shows an admin the audit log, and a viewer neither the link nor the log', async () => {
    const { t, context } = env;
    const dash = await openDashboard(context, t);
    await dash.waitForSelector('.sv-conn.is-open');
    await dash.click('.sv-audit-link');
    await dash.waitForSelector('.sd-audit-row');
    const rows = await dash.locator('.sd-audit-row').allTextContents();
    assert.ok(rows.some((r) => r.includes('login') && r.includes('default')), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes('session.list')), rows.join('\n'));
    await dash.click('text=← Sessions');
    await dash.waitForSelector('.sv-list');

    const created = await t.api('/api/tokens', { method: 'POST', body: JSON.stringify({ name: 'support', role: 'viewer' }) });
    const { token } = (await created.json()) as { token: string };
    const other = await env.browser.newContext();
    try {
      const page = await other.newPage();
      await page.goto(`${t.base}/`);
      await page.fill('input[name="token"]', token);
      await page.click('button[type="submit"]');
      await page.waitForSelector('.sv-list');
      assert.equal(await page.isVisible('.sv-audit-link'), false, 'no audit link for a viewer');
      const audit = await page.evaluate(async (base) => {
        const csrf = /sentiero_csrf=([^;]+)/.exec(document.cookie)?.[1];
        const res = await fetch(`${base}/api/audit`, { headers: { authorization: `Bearer ${csrf}` } });
        return `${res.status} ${await res.text()}`;
      }, t.base);
      assert.match(audit, /^403 .*SENTIERO_ROLE_REQUIRED/);
    } finally {
      await other.close();
    }
  });
});
