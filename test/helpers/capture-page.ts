/**
 * A page that exercises the recorder's console and network capture, served with a real relay:
 * the clients' Console and Network pane tests (DevTools panel, VS Code) record it and check
 * that the panes list exactly what it did. One click on `#run` plays its steps a moment apart,
 * each shown in `#step`, so that a seek lands on a step the replay can show.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Frame, Page } from 'playwright-core';
import { type RelayOptions, sessionOf } from '@sentiero/relay';
import { waitFor } from './net.ts';
import { type TestRelay, startRelay } from './relay.ts';

/** A request body the recorder may keep (`/api/` is in `networkBodies`): it is stored and shown. */
export const ALLOWED_BODY = 'ORDER-BODY-7781';
/** A request body and a response body of a URL the recorder may not keep bodies of: never sent to the relay. */
export const PRIVATE_BODIES = ['PROFILE-BODY-5512', 'PROFILE-ANSWER-9034'] as const;
/** The error the server reports for `/api/pay`, linked to the page's session by `linkRequests`. */
export const SERVER_ERROR = 'the payment provider is down';

/** What the page logs, in order, as the Console pane shows it (`level text`). */
export const CONSOLE_LINES = [
  'log cart loaded {items: 2}',
  'info user signed in u-42',
  'warn slow checkout 1200',
  'debug cache state {warm: true}',
  'error payment failed 500',
] as const;

/** What the page requests, in order, as the Network pane lists it (`status type method path`). */
export const NETWORK_ROWS = [
  '200 fetch GET /api/items',
  '201 xhr POST /api/orders',
  '200 fetch POST /private/profile',
  '500 fetch GET /api/pay',
  '404 xhr GET /api/missing',
] as const;

/** The step each entry happens in (`#step` shows `step N` from then on): console lines, then requests. */
export const CONSOLE_STEPS = [1, 3, 6, 7, 8] as const;
/** The step of each request of NETWORK_ROWS. */
export const NETWORK_STEPS = [2, 4, 5, 8, 9] as const;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout</title>
<style>body { font: 16px system-ui, sans-serif; margin: 24px; } #step { font-size: 32px; font-weight: 700; }</style></head>
<body>
<h1>Checkout</h1>
<p id="step">step 0</p>
<button id="run" type="button" data-sentiero-track="checkout-run">Run</button>
<script src="/sentiero/recorder.js"></script>
<script>Sentiero.start({ linkRequests: true, captureConsole: true, captureNetwork: true, networkHeaders: ['content-type'], networkBodies: ['/api/'] })</script>
<script>
const pause = () => new Promise((r) => setTimeout(r, 700));
const xhr = (method, url, body) => new Promise((resolve) => {
  const x = new XMLHttpRequest();
  x.open(method, url);
  x.setRequestHeader('content-type', 'text/plain');
  x.onloadend = () => resolve(x.status);
  x.send(body);
});
let n = 0;
async function step(fn) {
  document.getElementById('step').textContent = 'step ' + (++n);
  await new Promise((r) => setTimeout(r, 150));
  await fn();
  await pause();
}
document.getElementById('run').addEventListener('click', async () => {
  await pause();
  await step(() => console.log('cart loaded', { items: 2 }));
  await step(() => fetch('/api/items').then((r) => r.json()));
  await step(() => console.info('user signed in', 'u-42'));
  await step(() => xhr('POST', '/api/orders', '${ALLOWED_BODY}'));
  await step(() => fetch('/private/profile', { method: 'POST', body: '${PRIVATE_BODIES[0]}' }).then((r) => r.text()));
  await step(() => console.warn('slow checkout', 1200));
  await step(() => console.debug('cache state', { warm: true }));
  await step(async () => { const r = await fetch('/api/pay'); console.error('payment failed', r.status); });
  await step(() => xhr('GET', '/api/missing'));
  window.__done = true;
});
</script>
</body></html>`;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => resolve(body));
  });
}

/** Starts a real relay with the capture page at `/checkout`; `/api/pay` reports SERVER_ERROR to the relay. */
export async function startCapturePage(options: RelayOptions = {}): Promise<TestRelay> {
  let started: TestRelay | undefined;
  started = await startRelay(options, (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === '/checkout') return send(res, 200, 'text/html; charset=utf-8', PAGE);
    if (pathname === '/api/items') return send(res, 200, 'application/json', JSON.stringify({ items: ['tea', 'cups'] }));
    if (pathname === '/api/orders') {
      void readBody(req).then((body) => send(res, 201, 'application/json', JSON.stringify({ order: body })));
      return;
    }
    if (pathname === '/private/profile') {
      void readBody(req).then(() => send(res, 200, 'text/plain', PRIVATE_BODIES[1]));
      return;
    }
    if (pathname === '/api/pay') {
      void started!.relay.captureException(new Error(SERVER_ERROR), { sessionId: sessionOf(req), url: pathname });
      return send(res, 500, 'application/json', JSON.stringify({ error: 'payment failed' }));
    }
    send(res, 404, 'text/plain', 'Not found');
  });
  return started;
}

/** Clicks `#run` on the capture page and waits until it has done every step. */
export async function runCapturePage(page: Page): Promise<void> {
  await page.click('#run');
  await waitFor(() => page.evaluate(() => (window as unknown as { __done?: boolean }).__done), { what: 'the capture page\'s steps', timeoutMs: 30_000 });
}

/** The Console pane's rows in a page or frame running the viewer, as CONSOLE_LINES has them. */
export function consoleRowsIn(target: Page | Frame): Promise<string[]> {
  return target.$$eval('.sv-logrow', (els) => els.map((e) => `${(e as HTMLElement).dataset.level} ${e.querySelector('.sv-log-text')!.textContent}`));
}

/** The Network pane's rows in a page or frame running the viewer, as NETWORK_ROWS has them. */
export function networkRowsIn(target: Page | Frame): Promise<string[]> {
  return target.$$eval('.sv-netrow', (els) => els.map((e) => `${(e as HTMLElement).dataset.status} ${(e as HTMLElement).dataset.type} ${e.querySelector('.sv-net-what')!.textContent!.trim()}`));
}
