/**
 * The fidelity tests' rig: the pages of `test/fixtures/fidelity/` served by a site of their
 * own, recorded with the real recorder bundle into a real relay (real `ws`, LevelDB in a temp
 * folder), then replayed to the end in the real dashboard (the viewer's engine, its asset
 * rewriting and proxy). `inspect` reads the same things from the live page at the end and from
 * the replayed document: a normalised DOM, computed styles and state of chosen elements.
 */
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { listen, waitFor } from './net.ts';
import { type TestRelay, startRelay } from './relay.ts';
import { openDashboard, waitEnded, waitForView } from '../../viewer/test/helpers.ts';

const FIXTURES = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'fixtures', 'fidelity');
const INSPECT = readFileSync(path.join(FIXTURES, 'inspect.js'), 'utf8').replace(/^\/\/.*\n/gm, '').trim();
/** A real web font for the font tests (Geist Mono, OFL; shipped inside the `next` package the repo already depends on). */
const FONT = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('next/package.json')), 'dist/next-devtools/server/font/geist-mono-latin.woff2'));

/** One element to read: `sel` (`a >>> b` goes into a's shadow root or iframe), computed `props`, and extra readings. */
export interface ElementCheck {
  sel: string;
  props?: string[];
  read?: Array<'rect' | 'scroll' | 'width' | 'open' | 'form' | 'pixels' | 'fonts'>;
  /** Canvas points to sample with `pixels`. */
  points?: Array<[number, number]>;
}

/** What to read: the elements, and the subtree whose DOM is compared (default `body`). */
export interface Spec {
  elements: ElementCheck[];
  root?: string;
}

/** What `inspect` reads. */
export interface Inspection {
  dom: string[];
  viewport: { width: number; height: number; scrollX: number; scrollY: number };
  elements: Record<string, Record<string, unknown> | null>;
}

/** Reads `spec` from the document that `docExpr` evaluates to in `page`. */
export function inspect(page: Page, docExpr: string, spec: Spec): Promise<Inspection> {
  return page.evaluate(`(${INSPECT})(${docExpr}, ${JSON.stringify(spec)})`) as Promise<Inspection>;
}

/** The replayed document in the dashboard. */
export const REPLAYED_DOC = "document.querySelector('.sv-replay iframe').contentDocument";

/** A recorded page and its replay, read the same way. */
export interface Recorded {
  sessionId: string;
  live: Inspection;
  replay: Inspection;
  /** The dashboard, left open on the replay's end. */
  dash: Page;
}

/** What a test does with its page. */
export interface RecordOptions {
  /** Recorder options (`Sentiero.start`). */
  opts?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /** After the page's own `__steps()`. */
  act?(page: Page): Promise<void>;
  /** Play the replay through from its start (events applied one by one) instead of opening it at its end (a seek: applied at once). */
  play?: boolean;
  /** Whether the replay matches yet (it may still be loading fonts or drawing frames); default: equal to the live page. */
  settled?(live: Inspection, replay: Inspection): boolean;
}

/** The fidelity rig: Chromium, the fixtures' site, and a relay whose asset proxy may fetch from that site. */
export class FidelityRig {
  browser!: Browser;
  t!: TestRelay;
  site!: Server;
  siteOrigin = '';

  async start(): Promise<void> {
    this.browser = await launchChromium();
    this.site = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const name = url.pathname.replace(/^\/fidelity\//, '');
      if (!url.pathname.startsWith('/fidelity/') || !/^[a-z-]+\.(html|js|woff2)$/.test(name)) {
        res.writeHead(404);
        return res.end();
      }
      if (name === 'mono.woff2') {
        res.writeHead(200, { 'content-type': 'font/woff2', 'access-control-allow-origin': '*' });
        return res.end(FONT);
      }
      let body: string;
      try {
        body = readFileSync(path.join(FIXTURES, name), 'utf8');
      } catch {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' });
      res.end(body.replaceAll('{{RELAY}}', this.t.base));
    });
    this.siteOrigin = `http://127.0.0.1:${await listen(this.site)}`;
    this.t = await startRelay({
      limits: { liveGraceMs: 1000 },
      allowedOrigins: [this.siteOrigin],
      // The recorded site is on this machine: the proxy may fetch its font because the origin is allowlisted.
      assetProxy: { allowPrivateOrigins: [this.siteOrigin] },
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.t?.close();
    this.site?.closeAllConnections();
    await new Promise((r) => this.site?.close(r));
  }

  /** Records `page` (a fixture's name), reads it at the end, then replays it to the end in the dashboard and reads the replay. */
  async record(name: string, spec: Spec, o: RecordOptions = {}): Promise<Recorded> {
    const viewport = o.viewport ?? { width: 1000, height: 700 };
    const context = await this.browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${this.siteOrigin}/fidelity/${name}.html?opts=${encodeURIComponent(JSON.stringify(o.opts ?? {}))}`);
    const { sessionId } = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });
    // The first full snapshot is taken; what follows is recorded as changes.
    await page.waitForTimeout(300);
    await page.evaluate('window.__steps && window.__steps()');
    await o.act?.(page);
    // Long enough for the last batch, rrweb's throttled scroll events and a canvas sample.
    await page.waitForTimeout(1200);
    const live = await inspect(page, 'document', spec);
    const errors = await page.evaluate('window.__errors') as string[];
    if (errors.length) throw new Error(`the recorder reported: ${errors.join('; ')}`);
    await page.close();
    await context.close();
    await waitEnded(this.t, sessionId);

    const dashContext = await this.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const dash = await openDashboard(dashContext, this.t, o.play ? `#/sessions/${sessionId}` : `#/sessions/${sessionId}?t=86400000`);
    await waitForView(dash, (s) => s.frame === 'true' && s.seeking === 'false' && s.loading === 'false' && (o.play ? s.state === 'ended' : s.state !== 'playing'), 'the replay at its end', 60_000);
    const settled = o.settled ?? ((a: Inspection, b: Inspection) => isDeepStrictEqual(a, b));
    let replay = await inspect(dash, REPLAYED_DOC, spec);
    // Fonts load and canvas frames decode after the DOM is rebuilt: give them a few seconds.
    const deadline = Date.now() + 8000;
    while (!settled(live, replay) && Date.now() < deadline) {
      await dash.waitForTimeout(200);
      replay = await inspect(dash, REPLAYED_DOC, spec);
    }
    return { sessionId, live, replay, dash };
  }
}
