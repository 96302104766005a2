/**
 * The viewer's Console and Network panes inside the DevTools panel (real Chromium, the demo with
 * its real relay): the panel mounts the same viewer, so what the demo page logs and fetches
 * shows there, live, in the panel's narrower layout.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { CHROME_DIST, buildExtension } from './helpers/build.ts';
import { type ChromiumDevTools, launchWithDevTools } from './helpers/chromium.ts';

/** Set to a folder to keep screenshots of the panel (docs/screenshots is where the docs take them from). */
const SHOTS = process.env.SENTIERO_SCREENSHOTS;
const js = (v: unknown) => JSON.stringify(v);

describe('DevTools panel: Console and Network panes (real Chromium)', function () {
  this.timeout(240_000);
  let t: TestRelay | undefined;
  let b: ChromiumDevTools | undefined;

  before(async () => { await buildExtension(); });
  after(async () => {
    await b?.close();
    await t?.close().catch(() => undefined);
  });

  it('shows the inspected page\'s console lines and requests, the failing request with the server\'s error', async () => {
    t = await startDemo();
    b = await launchWithDevTools(CHROME_DIST);
    await b.page.goto(`${t.origin}/`);
    await b.openPanel();
    await b.waitInPanel('document.getElementById("app").dataset.status === "need-token"', 'the token prompt');
    await b.panel(`(() => {
      const input = document.getElementById('sp-token'); input.value = ${js(t.relay.token)};
      document.getElementById('sp-token-form').requestSubmit(); return true; })()`);
    await b.waitInPanel('document.getElementById("app").dataset.status === "connected"', 'connected');
    b.page.on('pageerror', () => undefined);
    await b.page.click('#suggest');
    await b.page.click('#boom');
    await b.page.click('#server-fail');

    await b.waitInPanel('document.querySelector("#sp-viewer [data-side-tab=console]")', 'the side tabs in the panel');
    await b.panel('document.querySelector("#sp-viewer [data-side-tab=console]").click()');
    const lines = await waitFor(async () => {
      const l = await b!.panel<string[]>('[...document.querySelectorAll("#sp-viewer .sv-logrow")].map((e) => e.dataset.level + " " + e.querySelector(".sv-log-text").textContent)');
      return l.some((x) => x === 'error the API failed 500') ? l : undefined;
    }, { what: 'the console lines in the panel', timeoutMs: 30_000 });
    assert.match(lines[0]!, /^info Acme Tasks ready/);
    assert.ok(lines.includes('warn computing the cart total without a cart'), lines.join('\n'));

    await b.panel('document.querySelector("#sp-viewer [data-side-tab=network]").click()');
    await b.waitInPanel('document.querySelector("#sp-viewer .sv-netrow[data-status=\\"500\\"]")', 'the failing request in the panel');
    await b.panel('document.querySelector("#sp-viewer .sv-netrow[data-status=\\"500\\"] .sv-netrow-main").click()');
    await b.waitInPanel('/Server error/.test(document.querySelector("#sp-viewer .sv-net-detail")?.textContent ?? "")', 'the server error on the request', 30_000);
    const fits = await b.panel<boolean>(`(() => {
      const row = document.querySelector('#sp-viewer .sv-netrow');
      const root = document.querySelector('#sp-viewer').getBoundingClientRect();
      const pane = document.querySelector('#sp-viewer .sv-network').getBoundingClientRect();
      return row.scrollWidth <= row.clientWidth + 1 && pane.right <= root.right + 1; })()`);
    assert.equal(fits, true, 'the pane fits the panel');
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await b.undock(1280, 800);
      const shot = async (name: string) => {
        await new Promise((r) => setTimeout(r, 1000));
        await b!.panel('document.querySelector("#sp-viewer .sv-side").scrollIntoView({ block: "end" })');
        writeFileSync(path.join(SHOTS, name), await b!.screenshot());
      };
      await shot('devtools-network-pane.png');
      await b.panel('document.querySelector("#sp-viewer [data-side-tab=console]").click()');
      await b.panel('document.querySelector("#sp-viewer .sv-logrow[data-level=error] .sv-logrow-main").click()');
      await shot('devtools-console-pane.png');
    }
  });
});
