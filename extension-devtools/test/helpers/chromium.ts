/**
 * Real Chromium with the unpacked extension and DevTools open on the inspected tab, as the
 * recipe does it: `--load-extension`, `--auto-open-devtools-for-tabs`, the Sentiero panel
 * selected through DevTools' own front-end over CDP, and the panel's page attached as its
 * own CDP target. The inspected tab stays an ordinary Playwright page.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../test/helpers/browser.ts';
import { waitFor } from '../../../test/helpers/net.ts';
import { Cdp } from './cdp.ts';

/** A Chromium with the extension, DevTools open on `page`. */
export interface ChromiumDevTools {
  context: BrowserContext;
  /** The inspected tab. */
  page: Page;
  cdp: Cdp;
  /** The extension's id (once the panel is open). */
  extensionId: string;
  /** Selects the Sentiero panel in DevTools and attaches to its page. */
  openPanel(): Promise<void>;
  /** Evaluates an expression in the panel's page (promises awaited, value returned). */
  panel<T>(expression: string): Promise<T>;
  /** Evaluates an expression in DevTools' front-end. */
  frontend<T>(expression: string): Promise<T>;
  /** Waits until `expression`, evaluated in the panel, is truthy; returns its value. */
  waitInPanel<T>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  /** A PNG of the DevTools window (with the panel in it). */
  screenshot(): Promise<Buffer>;
  /** Undocks DevTools into its own window of this size (for screenshots). */
  undock(width: number, height: number): Promise<void>;
  close(): Promise<void>;
}

const SHOW_PANEL = (select: boolean) => `(async () => {
  const L = await import('./ui/legacy/legacy.js');
  const iv = L.InspectorView.InspectorView.instance();
  const id = iv.tabbedPane.tabIds().find((t) => t.endsWith('Sentiero'));
  if (id && ${select}) await iv.showPanel(id);
  return id ?? null;
})()`;

/** Options of `launchWithDevTools`. */
export interface LaunchOptions {
  /** The system's dark color scheme (`--force-dark-mode`): DevTools opens in its dark theme. */
  dark?: boolean;
}

/** Launches Chromium with the extension from `extensionDir`; DevTools opens on the first tab. */
export async function launchWithDevTools(extensionDir: string, options: LaunchOptions = {}): Promise<ChromiumDevTools> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-devtools-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1100, height: 700 },
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`,
      '--auto-open-devtools-for-tabs', '--remote-debugging-port=0', ...(options.dark ? ['--force-dark-mode'] : [])],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const [port, wsPath] = readFileSync(path.join(userDataDir, 'DevToolsActivePort'), 'utf8').split('\n');
  const cdp = await Cdp.connect(`ws://127.0.0.1:${port}${wsPath}`);
  let frontendSession: string | undefined;
  let frontendTarget: string | undefined;
  let panelSession: string | undefined;
  let extensionId = '';

  const targets = async () => (await cdp.send<{ targetInfos: Array<{ targetId: string; type: string; url: string }> }>('Target.getTargets', { filter: [{}] })).targetInfos;
  const attach = async (targetId: string) => (await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true })).sessionId;

  const frontend = async <T>(expression: string): Promise<T> => {
    if (!frontendSession) {
      const dt = await waitFor(async () => (await targets()).find((t) => t.type === 'page' && t.url.startsWith('devtools://')), { timeoutMs: 30_000, what: 'the DevTools front-end' });
      frontendTarget = dt.targetId;
      frontendSession = await attach(dt.targetId);
    }
    return cdp.evaluate<T>(frontendSession, expression);
  };

  const panel = <T>(expression: string): Promise<T> => {
    if (!panelSession) throw new Error('open the panel first');
    return cdp.evaluate<T>(panelSession, expression);
  };

  return {
    context, page, cdp,
    get extensionId() { return extensionId; },
    async openPanel() {
      // The devtools page creates the panel a moment after DevTools opens.
      await waitFor(() => frontend<string | null>(SHOW_PANEL(false)).catch(() => null), { timeoutMs: 30_000, intervalMs: 200, what: 'the Sentiero tab in DevTools' });
      await frontend(SHOW_PANEL(true));
      const target = await waitFor(async () => (await targets()).find((t) => t.url.startsWith('chrome-extension://') && t.url.endsWith('/panel.html')),
        { timeoutMs: 30_000, intervalMs: 100, what: 'the panel page' });
      extensionId = new URL(target.url).host;
      panelSession = await attach(target.targetId);
      await waitFor(() => panel<boolean>('document.readyState === "complete" && !!document.getElementById("sp-notice")').catch(() => false),
        { timeoutMs: 30_000, what: 'the panel page to load' });
    },
    panel,
    frontend,
    async waitInPanel<T>(expression: string, what: string, timeoutMs = 30_000) {
      return waitFor(() => panel<T>(expression), { timeoutMs, intervalMs: 100, what });
    },
    async screenshot() {
      if (!frontendSession) await frontend('1');
      // Park the pointer where it hovers nothing, so that no tab is drawn highlighted.
      await cdp.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: 2, y: 700 }, frontendSession);
      const { data } = await cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' }, frontendSession);
      return Buffer.from(data, 'base64');
    },
    async undock(width, height) {
      await frontend(`(async () => { const L = await import('./ui/legacy/legacy.js'); L.DockController.DockController.instance().setDockSide('undocked'); })()`);
      const { windowId } = await waitFor(() => cdp.send<{ windowId: number }>('Browser.getWindowForTarget', { targetId: frontendTarget }).catch(() => undefined), { what: 'the DevTools window' });
      await cdp.send('Browser.setWindowBounds', { windowId, bounds: { width, height, windowState: 'normal' } });
      await new Promise((r) => setTimeout(r, 500));
    },
    async close() {
      cdp.close();
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
