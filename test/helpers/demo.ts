/** The demo app with a real relay (LevelDB in a temp folder), plus test-only routes to replay events with rrweb in the browser. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import type { RelayOptions } from '@sentiero/relay';
import { type DemoAppOptions, createApp } from '../../examples/demo/src/app.ts';
import { waitFor } from './net.ts';
import { type TestRelay, startRelay } from './relay.ts';

const require = createRequire(import.meta.url);
/** rrweb's UMD build (its exports map hides the file, so find it beside the main entry). */
export const RRWEB_UMD_PATH = path.join(path.dirname(require.resolve('rrweb')), 'rrweb.umd.min.cjs');
const RRWEB_UMD = readFileSync(RRWEB_UMD_PATH, 'utf8');
const REPLAY_HTML = '<!doctype html><html><head><meta charset="utf-8"></head><body><div id="root"></div><script src="/__rrweb.js"></script></body></html>';

/** Starts the demo app with a relay attached (its `/api/fail` reports to it); `/__replay` is a blank page with rrweb loaded. */
export async function startDemo(options: RelayOptions = {}, appOptions: Omit<DemoAppOptions, 'relay'> = {}): Promise<TestRelay> {
  let started: TestRelay | undefined;
  const app = createApp({ ...appOptions, relay: { captureException: (err, context) => started!.relay.captureException(err, context) } });
  started = await startRelay(options, (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/__rrweb.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(RRWEB_UMD);
    }
    if (req.url === '/__replay') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(REPLAY_HTML);
    }
    app(req, res);
  });
  return started;
}

/** A stored batch as the events API streams it. */
export interface Line { windowId: string; seq: number; events: Array<{ type: number; timestamp: number; data: any }> }

/** Reads a session's stored batches through the REST API. */
export async function storedBatches(t: TestRelay, sessionId: string): Promise<Line[]> {
  const res = await t.api(`/api/sessions/${sessionId}/events`);
  if (res.status !== 200) throw new Error(`events of ${sessionId}: ${res.status}`);
  return (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

/**
 * Replays events with rrweb's own Replayer in a real page and returns the `textContent` of
 * `selector` in the replayed document at the end of the events.
 */
export async function replayText(page: Page, origin: string, events: Line['events'], selector: string): Promise<string | null> {
  await page.goto(`${origin}/__replay`);
  return page.evaluate(async ({ events, selector }) => {
    const w = window as unknown as { rrweb: { Replayer: new (e: unknown[], o: unknown) => { pause(t: number): void; iframe: HTMLIFrameElement } } };
    const r = new w.rrweb.Replayer(events, { root: document.getElementById('root'), mouseTail: false });
    // Past the last event: rrweb applies events strictly before the pause point.
    r.pause(events[events.length - 1]!.timestamp - events[0]!.timestamp + 1000);
    await new Promise((res) => setTimeout(res, 50));
    return r.iframe.contentDocument?.querySelector(selector)?.textContent ?? null;
  }, { events, selector });
}

/** Keeps the demo page changing: a numbered list item (`tick N`) appended to `#tasks` every `everyMs`. */
export async function startTicker(page: Page, everyMs: number): Promise<void> {
  await page.evaluate((ms) => {
    const w = window as unknown as { __ticker: number; __ticks: number };
    w.__ticks = 0;
    w.__ticker = window.setInterval(() => {
      const li = document.createElement('li');
      li.textContent = `tick ${++w.__ticks}`;
      document.getElementById('tasks')!.append(li);
    }, ms);
  }, everyMs);
}

/** Stops the ticker and returns the number of the last tick. */
export function stopTicker(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = window as unknown as { __ticker: number; __ticks: number };
    window.clearInterval(w.__ticker);
    return w.__ticks;
  });
}

/** What `useDemoBrowser` gives each test. */
export interface DemoEnv {
  browser: Browser;
  /** A fresh demo app with its relay (and a LevelDB in a temp folder). */
  t: TestRelay;
  /** A fresh browser context. */
  context: BrowserContext;
}

/** Registers the hooks of a browser test against the demo: Chromium once, a new demo relay and browser context for each test. */
export function useDemoBrowser(options: { relay?: RelayOptions; context?: BrowserContextOptions } = {}): DemoEnv {
  const env = {} as DemoEnv;
  before(async () => { env.browser = await launchChromium(); });
  after(async () => { await env.browser?.close(); });
  beforeEach(async () => {
    env.t = await startDemo(options.relay ?? { limits: { liveGraceMs: 1000 } });
    env.context = await env.browser.newContext(options.context);
  });
  afterEach(async () => {
    await env.context?.close();
    await env.t?.close();
  });
  return env;
}

/** The page's `window.__SENTIERO__`, once its recorder runs. */
export function pageSession(page: Page): Promise<{ sessionId: string; windowId: string; relay: string }> {
  return waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string; windowId: string; relay: string } }).__SENTIERO__), { what: 'window.__SENTIERO__' });
}
