/**
 * The same extension, built for Firefox, in real Firefox ESR (headless, Marionette): it
 * loads as a temporary add-on, its panel appears in the toolbox and, once the options page
 * has the relay's token, shows the inspected page's session live and its errors.
 *
 * The panel runs out of process, where Marionette cannot reach into it; the test reads what
 * it shows from its document title (the `<browser>` element's `contentTitle`, from the chrome
 * side), which the panel keeps as a one-line summary of its state.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDemo } from '../../test/helpers/demo.ts';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { FIREFOX_DIST, buildExtension } from './helpers/build.ts';
import { type Firefox, launchFirefox } from './helpers/marionette.ts';

/** Must match `GECKO_ID` in build.config.js. */
const GECKO_ID = 'devtools@sentiero.dev';
/** A fixed moz-extension:// host, so that the test can open the options page. */
const UUID = '5e471e20-5e47-4e20-8e47-5e4715e471e2';
const SHOTS = process.env.SENTIERO_SCREENSHOTS;

/** Chrome-context code that finds the toolbox of the tab showing `origin`. */
const TOOLBOX = (origin: string) => `
  const { require } = ChromeUtils.importESModule('resource://devtools/shared/loader/Loader.sys.mjs');
  const { gDevTools } = require('devtools/client/framework/devtools');
  const toolbox = () => gDevTools.getToolboxes().find((tb) => String(tb.target && tb.target.url).startsWith(${JSON.stringify(origin)}));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));`;

describe('DevTools panel in real Firefox ESR', function () {
  this.timeout(240_000);
  let t: TestRelay | undefined;
  let ff: Firefox | undefined;

  before(async () => { await buildExtension(); });
  afterEach(async () => {
    await ff?.close();
    ff = undefined;
    await t?.close();
    t = undefined;
  });

  it('loads as a temporary add-on and its panel shows the inspected page\'s session, live, with its errors', async () => {
    t = await startDemo();
    ff = await launchFirefox({
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: UUID }),
      'devtools.toolbox.host': 'bottom',
      'devtools.toolbox.footer.height': 560,
    }, ['--devtools']);
    const { m } = ff;
    const installed = await m.send<{ value: string }>('Addon:Install', { path: FIREFOX_DIST, temporary: true });
    assert.equal(installed.value, GECKO_ID);
    await m.send('WebDriver:SetWindowRect', { width: 1280, height: 1000 });
    const { value: demoTab } = await m.send<{ value: string }>('WebDriver:GetWindowHandle');
    await m.send('WebDriver:Navigate', { url: `${t.origin}/` });
    const sessionId = await waitFor(async () => (await m.send<{ value: string | null }>('WebDriver:ExecuteScript', {
      script: 'const s = window.__SENTIERO__; return s ? s.sessionId : null;', args: [],
    })).value, { what: 'window.__SENTIERO__ in Firefox' });

    // Select the Sentiero panel in the tab's toolbox.
    await m.send('Marionette:SetContext', { value: 'chrome' });
    const selected = await m.run<{ id?: string; error?: string }>(`const [resolve] = arguments; (async () => {
      ${TOOLBOX(t.origin)}
      let tb, def;
      for (let i = 0; i < 300 && !(tb = toolbox()); i++) await sleep(100);
      for (let i = 0; i < 300 && !(def = tb.getAdditionalTools().find((d) => d.label === 'Sentiero')); i++) await sleep(100);
      await tb.selectTool(def.id);
      return { id: tb.currentToolId };
    })().then(resolve, (e) => resolve({ error: String(e) }));`);
    assert.ok(selected.id?.startsWith('webext-devtools-panel-'), JSON.stringify(selected));
    const title = async () => (await m.run<string>(`const [resolve] = arguments; (async () => {
      ${TOOLBOX(t!.origin)}
      const tb = toolbox();
      const frame = tb && tb.doc.getElementById('toolbox-panel-iframe-' + tb.currentToolId);
      const browser = frame && frame.contentDocument && frame.contentDocument.querySelector('browser');
      return browser ? browser.contentTitle : '';
    })().then(resolve, (e) => resolve('error: ' + e));`)) ?? '';
    const waitTitle = (re: RegExp, what: string) => waitFor(async () => { const s = await title(); return re.test(s) ? s : undefined; }, { timeoutMs: 60_000, intervalMs: 200, what });

    // The panel found the page's relay and asks for its token.
    await waitTitle(/token needed/, 'the panel to ask for the token');

    // Save the token on the options page, in another tab: the panel hears it and connects.
    await m.send('Marionette:SetContext', { value: 'content' });
    const { handle: optionsTab } = await m.send<{ handle: string }>('WebDriver:NewWindow', { type: 'tab', focus: false });
    await m.send('WebDriver:SwitchToWindow', { handle: optionsTab, focus: false });
    await m.send('WebDriver:Navigate', { url: `moz-extension://${UUID}/options.html` });
    const fill = async (selector: string, text: string) => {
      const { value } = await m.send<{ value: Record<string, string> }>('WebDriver:FindElement', { using: 'css selector', value: selector });
      await m.send('WebDriver:ElementSendKeys', { id: Object.values(value)[0], text });
    };
    const click = async (selector: string) => {
      const { value } = await m.send<{ value: Record<string, string> }>('WebDriver:FindElement', { using: 'css selector', value: selector });
      await m.send('WebDriver:ElementClick', { id: Object.values(value)[0] });
    };
    await fill('#origin', t.origin);
    await fill('#token', t.relay.token);
    await click('#add button[type=submit]');
    await waitFor(async () => (await m.send<{ value: string }>('WebDriver:ExecuteScript', { script: 'return document.getElementById("origins").textContent', args: [] })).value.includes(t!.origin), { what: 'the saved origin' });
    await m.send('WebDriver:CloseWindow');
    await m.send('WebDriver:SwitchToWindow', { handle: demoTab, focus: true });

    // The inspected page's own session, live.
    await m.send('Marionette:SetContext', { value: 'chrome' });
    const connected = await waitTitle(new RegExp(`session ${sessionId} \\(live\\), (\\d+) events?`), 'the page\'s session in the panel');
    const count = (s: string) => Number(/, (\d+) events?/.exec(s)?.[1] ?? 0);
    await m.send('Marionette:SetContext', { value: 'content' });
    await click('#suggest');
    await click('#suggest');
    await m.send('Marionette:SetContext', { value: 'chrome' });
    await waitFor(async () => count(await title()) > count(connected), { timeoutMs: 60_000, intervalMs: 200, what: 'live events in the Firefox panel' });

    // An error thrown in the page reaches the panel's error list.
    await m.send('Marionette:SetContext', { value: 'content' });
    await click('#boom');
    await m.send('Marionette:SetContext', { value: 'chrome' });
    await waitTitle(/, 1 error$/, 'the error in the Firefox panel');

    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      const { value } = await m.send<{ value: string }>('WebDriver:TakeScreenshot', { full: false });
      writeFileSync(path.join(SHOTS, 'devtools-firefox.png'), Buffer.from(value, 'base64'));
    }
  });
});
