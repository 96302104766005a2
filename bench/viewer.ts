/**
 * Viewer: Sentiero's figures beside the raw limits measured in the same run, in real Chromium.
 *
 * 1. Loading a 30-minute session (the shared fixture, a real 45 s recording, repeated with
 *    shifted timestamps): time to the first frame and to the last frame (a deep link to the
 *    end) in the dashboard, which streams the events from the relay's LevelDB, beside rrweb's
 *    own Replayer loading the same events from one JSON file on the same server (goal: first
 *    frame < 1 s, and within 1.5× of the bare Replayer).
 * 2. Live lag at 10 watchers: a real demo page adds an item every 200 ms; each of 10 dashboard
 *    pages notes when the item shows in its replay. Beside it, the raw limit: when the batch
 *    holding the item reaches a bare `ws` watcher (recorder batching + relay, no viewer). Run at
 *    the relay's default recorder flush interval (250 ms) and at 1000 ms, to show the trade-off.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { DEFAULT_RECORDER_CONFIG, createId } from '@sentiero/protocol';
import { createApp } from '../examples/demo/src/app.ts';
import { launchChromium } from '../test/helpers/browser.ts';
import { waitFor } from '../test/helpers/net.ts';
import { type TestRelay, startRelay } from '../test/helpers/relay.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.resolve(HERE, '../../shared/fixtures/acme-crm-45s.rrweb.json');
const MINUTES = Number(process.env.BENCH_MINUTES ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 10);
const TICKS = Number(process.env.BENCH_TICKS ?? 40);
const require = createRequire(import.meta.url);
const REPLAY_UMD = readFileSync(path.join(path.dirname(require.resolve('@rrweb/replay')), 'replay.umd.min.cjs'), 'utf8');

type Ev = { type: number; timestamp: number; data: any };

function longSession(): Ev[] {
  const base = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Ev[];
  const span = base[base.length - 1]!.timestamp - base[0]!.timestamp + 1000;
  const repeat = Math.ceil((MINUTES * 60_000) / span);
  const t0 = Date.now() - 2 * MINUTES * 60_000 - base[0]!.timestamp;
  const all: Ev[] = [];
  for (let r = 0; r < repeat; r++) for (const e of base) all.push({ ...e, timestamp: e.timestamp + t0 + r * span });
  return all;
}

const BARE_HTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/__replay.css"></head>
<body style="margin:0"><div id="root"></div><script src="/__replay.js"></script></body></html>`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!; };

async function serve(options: Parameters<typeof startRelay>[0], events?: Ev[]): Promise<TestRelay> {
  const app = createApp();
  const json = events ? JSON.stringify(events) : '';
  const css = readFileSync(path.join(path.dirname(require.resolve('@rrweb/replay')), 'style.css'), 'utf8');
  return startRelay(options, (req: IncomingMessage, res: ServerResponse) => {
    const send = (type: string, body: string) => { res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
    if (req.url === '/__bare') return send('text/html', BARE_HTML);
    if (req.url === '/__replay.js') return send('text/javascript', REPLAY_UMD);
    if (req.url === '/__replay.css') return send('text/css', css);
    if (req.url === '/__events.json') return send('application/json', json);
    app(req, res);
  });
}

async function store(t: TestRelay, sessionId: string, events: Ev[]): Promise<void> {
  const windowId = createId();
  const meta = { url: 'https://crm.acme.test/pipeline', userAgent: 'bench', startedAt: events[0]!.timestamp };
  let seq = 0;
  for (let i = 0; i < events.length; i += 100) {
    const res = await fetch(`${t.base}/ingest`, { method: 'POST', body: JSON.stringify({ sessionId, windowId, seq: ++seq, events: events.slice(i, i + 100), meta }) });
    if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  }
  await waitFor(async () => !((await (await t.api(`/api/sessions/${sessionId}`)).json()) as { live: boolean }).live, { what: 'the session to end', timeoutMs: 60_000 });
}

/**
 * Notes in the page, on every animation frame from navigation on, when the dashboard first shows
 * a replayed frame (`first`), when it shows the frame at `end` ms (`end`) and when the bare
 * Replayer's page has a frame (`bare`), in ms from navigation start. The page measures itself:
 * this process also runs the relay, and while it streams a session Playwright's own polling
 * would answer late.
 */
function frameWatch(end: number): string {
  return `(() => {
    const seen = window.__frames = {};
    const look = () => {
      const now = performance.now();
      const view = document.querySelector('.sv-session');
      const shown = view?.dataset.frame === 'true' && !!document.querySelector('.sv-replay iframe')?.contentDocument?.body?.childElementCount;
      if (shown && seen.first === undefined) seen.first = now;
      if (shown && seen.end === undefined && Number(view.dataset.time) >= ${end}) seen.end = now;
      if (seen.bare === undefined && window.__r?.iframe.contentDocument?.body?.childElementCount) seen.bare = now;
      requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  })()`;
}

/** Waits until the page has noted `what` (see `frameWatch`); resolves to its time. */
async function noted(page: Page, what: 'first' | 'end' | 'bare', timeoutMs = 180_000): Promise<number> {
  return waitFor(() => page.evaluate(`window.__frames?.${what}`) as Promise<number | undefined>, { what: `the ${what} frame`, timeoutMs, intervalMs: 50 });
}

async function loading(browser: Browser): Promise<void> {
  const events = longSession();
  const durationMs = events[events.length - 1]!.timestamp - events[0]!.timestamp;
  const t = await serve({ limits: { liveGraceMs: 500, maxMessagesPerSecond: 1_000_000 } }, events);
  const sessionId = createId();
  await store(t, sessionId, events);
  const mb = Buffer.byteLength(JSON.stringify(events)) / 1e6;
  console.log(`viewer loading: a ${Math.round(durationMs / 60_000)}-minute session, ${events.length} events (${mb.toFixed(1)} MB of JSON), ${ROUNDS} rounds, median`);

  const ours = { first: [] as number[], end: [] as number[] };
  const bare = { first: [] as number[], end: [] as number[] };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ content: frameWatch(durationMs - 1) });
  const warm = await context.newPage();
  await warm.goto(`${t.base}/#token=${t.relay.token}`);
  await warm.waitForSelector('.sv-app');
  await warm.close();
  for (let r = 0; r < ROUNDS; r++) {
    const page = await context.newPage();
    await page.goto(`${t.base}/#/sessions/${sessionId}?t=${durationMs}`);
    ours.first.push(await noted(page, 'first'));
    ours.end.push(await noted(page, 'end'));
    await page.close();

    const b = await context.newPage();
    await b.goto(`${t.origin}/__bare`);
    await b.evaluate(`(async () => {
      const events = await (await fetch('/__events.json')).json();
      window.__r = new rrwebReplay.Replayer(events, { root: document.getElementById('root'), mouseTail: false, showWarning: false });
    })()`);
    bare.first.push(await noted(b, 'bare'));
    await b.evaluate(`window.__r.pause(${durationMs + 1})`);
    bare.end.push(await b.evaluate('performance.now()') as number);
    await b.close();
  }
  await context.close();
  await t.close();
  const f = median(ours.first);
  const e = median(ours.end);
  const bf = median(bare.first);
  const be = median(bare.end);
  console.log('');
  console.log('| measure | Sentiero dashboard | raw limit (rrweb Replayer, one JSON file) | ratio | goal |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| first frame (ms from navigation) | ${Math.round(f)} | ${Math.round(bf)} | ${(f / bf).toFixed(2)} | < 1000 ms, ≤ 1.5 |`);
  console.log(`| last frame of the session (ms from navigation) | ${Math.round(e)} | ${Math.round(be)} | ${(e / be).toFixed(2)} | ≤ 1.5 |`);
}

async function liveLag(browser: Browser, flushIntervalMs: number | undefined): Promise<void> {
  const t = await serve({ limits: { liveGraceMs: 1000 }, ...(flushIntervalMs ? { recorder: { flushIntervalMs } } : {}) });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const app = await context.newPage();
  await app.goto(`${t.origin}/`);
  const { sessionId } = await waitFor(() => app.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__), { what: 'the recorder' });

  // The raw limit: a bare watcher on the relay's socket, noting when each tick's batch arrives.
  const raw: Record<string, number> = {};
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}/sentiero/watch`);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ t: 'auth', token: t.relay.token }));
  ws.on('message', (d) => {
    const text = String(d);
    const at = Date.now();
    if (text.includes('"t":"ready"')) ws.send(JSON.stringify({ t: 'subscribe', sessionId }));
    for (const m of text.matchAll(/tick (\d+)/g)) if (!(m[1]! in raw)) raw[m[1]!] = at;
  });

  const watchers: Page[] = [];
  for (let i = 0; i < WATCHERS; i++) {
    const p = await context.newPage();
    await p.goto(`${t.base}/#token=${t.relay.token}`);
    await p.evaluate((id) => { location.hash = `#/sessions/${id}`; }, sessionId);
    await p.waitForFunction(() => document.querySelector<HTMLElement>('.sv-session')?.dataset.mode === 'live' && document.querySelector<HTMLElement>('.sv-session')?.dataset.frame === 'true', undefined, { timeout: 60_000 });
    await p.evaluate(`(() => {
      const seen = {}; window.__seen = seen;
      const look = () => {
        const doc = document.querySelector('.sv-replay iframe')?.contentDocument;
        for (const li of doc?.querySelectorAll('#tasks li') ?? []) {
          const m = /tick (\\d+)/.exec(li.textContent ?? '');
          if (m && !(m[1] in seen)) seen[m[1]] = Date.now();
        }
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    })()`);
    watchers.push(p);
  }
  await app.evaluate(`(() => {
    const made = {}; window.__made = made; let i = 0;
    const timer = setInterval(() => {
      i++; const li = document.createElement('li'); li.textContent = 'tick ' + i;
      document.getElementById('tasks').append(li); made[i] = Date.now();
      if (i >= ${TICKS}) clearInterval(timer);
    }, 200);
  })()`);
  await waitFor(async () => {
    for (const p of watchers) if (Object.keys(await p.evaluate('window.__seen') as object).length < TICKS) return false;
    return true;
  }, { what: 'every tick in every watcher', timeoutMs: 120_000, intervalMs: 250 });
  const made = await app.evaluate('window.__made') as Record<string, number>;
  const ours: number[] = [];
  for (const p of watchers) {
    const seen = await p.evaluate('window.__seen') as Record<string, number>;
    for (const k of Object.keys(made)) ours.push(seen[k]! - made[k]!);
  }
  const rawLags = Object.keys(made).filter((k) => k in raw).map((k) => raw[k]! - made[k]!);
  ws.close();
  await context.close();
  await t.close();
  const flush = flushIntervalMs ?? DEFAULT_RECORDER_CONFIG.flushIntervalMs;
  console.log(`| recorder flush ${flush} ms${flushIntervalMs ? '' : ' (default)'}: p50 | ${Math.round(pct(ours, 50))} | ${Math.round(pct(rawLags, 50))} | ${(pct(ours, 50) / pct(rawLags, 50)).toFixed(2)} | < 1000 ms |`);
  console.log(`| recorder flush ${flush} ms${flushIntervalMs ? '' : ' (default)'}: p99 | ${Math.round(pct(ours, 99))} | ${Math.round(pct(rawLags, 99))} | ${(pct(ours, 99) / pct(rawLags, 99)).toFixed(2)} | |`);
}

const browser = await launchChromium();
try {
  await loading(browser);
  console.log('');
  console.log(`viewer live lag: ${WATCHERS} dashboard pages follow one demo page that adds an item every 200 ms (${TICKS} items); lag from the page's change to each viewer's render, ms`);
  console.log('');
  console.log(`| measure | Sentiero dashboard (${WATCHERS} watchers) | raw limit (bare ws watcher gets the batch) | ratio | goal |`);
  console.log('| --- | --- | --- | --- | --- |');
  await liveLag(browser, undefined);
  await liveLag(browser, 1000);
} finally {
  await browser.close();
}
