/**
 * Recorder overhead: main-thread cost of Sentiero's recorder beside bare rrweb `record()` in
 * real headless Chromium (goal: geometric mean ≤ 1.05×).
 *
 * Workloads of the kind rrweb's DOM-mutation benchmark exercises (append 10k nodes, move
 * nodes, attribute changes on many nodes, 1000 levels of nesting, many nodes with several
 * descendants each) and a scripted interactive session (typing, clicks, sorting, scrolling)
 * over the shared CRM-like page. Each round runs every workload once per side, in a fresh
 * page, the order of the sides alternating between rounds:
 *
 * (a) bare: `@rrweb/record` 2.1.6 (the build the recorder bundles) with the same privacy and
 *     capture options, its `emit` pushing to an array;
 * (b) Sentiero: the recorder bundle (`recorder/dist/recorder.iife.js`, or `BENCH_RECORDER_JS`)
 *     connected to a WebSocket server on 127.0.0.1 that answers `hello` and acknowledges
 *     every batch;
 * (c) Sentiero with console and network capture on (`captureConsole`, `captureNetwork`; goal
 *     ≤ 1.10× bare rrweb). The CRM session logs to the console and fetches on every round, on
 *     every side alike.
 *
 * The figure is the CPU time of the renderer's main thread (CDP `Performance.getMetrics`
 * `ThreadTime`: every task, idle callbacks and GC included, idle and descheduled time not, so
 * it holds up on a busy machine) from just before the workload until everything it caused has
 * settled: for Sentiero, until every event is in an acknowledged batch, so deferred
 * serialisation and sending count. Beside it, the main thread's busy wall time over the same
 * span (`TaskDuration`), and the synchronous time from the start of the workload to the first
 * task after the observers ran (what the page feels during the mutation itself).
 * Sentiero's runs are checked: events were sent, the stream holds the workload's last DOM
 * change, and no gap marker or recorder error came up.
 *
 * Then the bytes on the wire per transport (`_wire.ts`): the CRM session with capture on, sent
 * over the WebSocket (permessage-deflate as the relay sets it), the HTTP fallback and the
 * unload beacons, against the JSON of the events they carried.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { DEFAULT_RECORDER_CONFIG } from '@sentiero/protocol';
import { launchChromium } from '../test/helpers/browser.ts';
import { listen } from '../test/helpers/net.ts';
import { measureWireBytes } from './_wire.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ONLY = process.env.BENCH_WORKLOADS?.split(',');
const require = createRequire(import.meta.url);
const BARE_JS = readFileSync(path.join(path.dirname(require.resolve('@rrweb/record')), 'record.umd.min.cjs'), 'utf8');
const RECORDER_PATH = process.env.BENCH_RECORDER_JS ?? path.resolve(HERE, '../recorder/dist/recorder.iife.js');
const RECORDER_JS = readFileSync(RECORDER_PATH, 'utf8');
const CRM_HTML = readFileSync(path.resolve(HERE, '../../shared/fixtures/acme-crm-page.html'), 'utf8');
const PLAIN_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head>
<body><h1>Recorder overhead</h1><input id="field" type="text"><div id="root"></div></body></html>`;

/** The workloads, run in the page: `setup` is not measured, `run` is, and ends with a marker element. */
const WORKLOADS_JS = `
window.__workloads = {
  'append-10k': {
    run(root) {
      for (let i = 0; i < 10000; i++) { const d = document.createElement('div'); d.className = 'n'; d.textContent = 'node ' + i; root.appendChild(d); }
    },
  },
  'move-nodes': {
    setup(root) {
      const a = document.createElement('div'); a.id = 'from'; root.appendChild(a);
      for (let i = 0; i < 5000; i++) { const s = document.createElement('span'); s.textContent = 'item ' + i; a.appendChild(s); }
    },
    run(root) {
      const items = Array.from(document.getElementById('from').children);
      const targets = [];
      for (let j = 0; j < 100; j++) { const t = document.createElement('div'); t.className = 'to'; root.appendChild(t); targets.push(t); }
      items.forEach((n, i) => targets[(i * 7) % 100].appendChild(n));
    },
  },
  'attributes': {
    setup(root) {
      for (let i = 0; i < 5000; i++) { const d = document.createElement('div'); d.textContent = String(i); root.appendChild(d); }
    },
    run(root) {
      const all = root.children;
      for (let pass = 0; pass < 4; pass++) {
        for (let i = 0; i < all.length; i++) { all[i].setAttribute('data-pass', String(pass)); all[i].className = 'c' + ((i + pass) % 9); }
      }
    },
  },
  'deep-nesting': {
    run(root) {
      let p = root;
      for (let i = 0; i < 1000; i++) { const d = document.createElement('div'); d.setAttribute('data-depth', String(i)); p.appendChild(d); p = d; }
      p.textContent = 'bottom';
    },
  },
  'multiple-descendant-add': {
    run(root) {
      for (let i = 0; i < 1000; i++) {
        const d = document.createElement('div'); d.className = 'card';
        for (let j = 0; j < 10; j++) { const s = document.createElement('span'); s.className = 'f' + j; s.textContent = 'field ' + j; d.appendChild(s); }
        root.appendChild(d);
      }
    },
  },
  'crm-session': {
    crm: true,
    setup() { window.stopTimers(); },
    async run() {
      const tick = () => new Promise((r) => setTimeout(r, 0));
      const type = async (el, text) => {
        el.focus();
        for (const ch of text) { el.value += ch; el.dispatchEvent(new Event('input', { bubbles: true })); await tick(); }
        el.dispatchEvent(new Event('change', { bubbles: true }));
      };
      const click = async (el) => { el.dispatchEvent(new MouseEvent('mousedown', { bubbles: true })); el.dispatchEvent(new MouseEvent('mouseup', { bubbles: true })); el.click(); await tick(); };
      const $ = (s) => document.querySelector(s);
      for (let round = 0; round < 3; round++) {
        await type($('#q'), 'globex');
        await type($('#name'), 'Jane Doe ' + round);
        await type($('#email'), 'jane' + round + '@example.com');
        await type($('#pw'), 'hunter2');
        await type($('#bio'), 'Likes long walks and short meetings.');
        for (const li of document.querySelectorAll('#sidenav li')) await click(li);
        for (const b of document.querySelectorAll('#tabs button')) await click(b);
        for (const th of document.querySelectorAll('#grid th')) await click(th);
        for (let i = 0; i < 5; i++) await click($('#addrow'));
        await click($('#nl')); await click($('#th2'));
        await click($('#save')); await click($('#confirm'));
        for (let y = 0; y < 2000; y += 200) { window.scrollTo(0, y); document.dispatchEvent(new MouseEvent('mousemove', { clientX: y % 800, clientY: 100, bubbles: true })); await tick(); }
        window.heavyWorkload(2);
        for (let i = 0; i < 5; i++) console.log('round', round, { step: i, rows: document.querySelectorAll('#grid tr').length });
        console.warn('slow render', { round });
        for (let i = 0; i < 3; i++) await fetch('/api/ping?i=' + i).then((r) => r.json());
      }
    },
  },
};
`;

const START_JS = `
(function () {
  var q = new URLSearchParams(location.search);
  window.__errors = [];
  window.__events = [];
  if (q.get('mode') === 'bare') {
    var record = window.rrwebRecord.record || window.rrwebRecord;
    record({
      emit: function (e) { window.__events.push(e); },
      maskAllInputs: true, maskInputOptions: { password: true },
      maskTextSelector: '[data-rr-mask]', blockSelector: '[data-rr-block]', ignoreSelector: '[data-rr-ignore]',
      recordCanvas: false, collectFonts: false, inlineImages: false, recordCrossOriginIframes: false,
    });
  } else {
    var capture = q.get('mode') === 'capture';
    Sentiero.start({
      relay: location.origin + '/sentiero', captureConsole: capture, captureNetwork: capture,
      onError: function (e) { window.__errors.push(e.code + ' ' + e.message); },
    });
  }
})();
`;

/** Runs in the page: waits until the recording has settled (Sentiero: every event acknowledged). */
const SETTLE_JS = `
window.__settle = async function (minMs) {
  const t0 = performance.now();
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  for (;;) {
    const s = window.Sentiero && window.Sentiero.getStats && window.Sentiero.getStats();
    const idle = !s || (s.pending === 0 && s.queued === 0);
    if (idle && performance.now() - t0 >= minMs) return;
    await new Promise((r) => setTimeout(r, 25));
  }
};
window.__measure = async function (name, marker) {
  const w = window.__workloads[name];
  const root = document.getElementById('root') || document.getElementById('bench');
  const t0 = performance.now();
  await w.run(root);
  const m = document.createElement('i'); m.textContent = marker; root.appendChild(m);
  await new Promise((r) => setTimeout(r, 0));
  return performance.now() - t0;
};
`;

function page(workload: string, mode: string): string {
  const scripts = `<script>${WORKLOADS_JS}${SETTLE_JS}</script><script src="/rec.js?mode=${mode}"></script><script>${START_JS}</script>`;
  const crm = workload === 'crm-session';
  return crm ? CRM_HTML.replace('</body>', `${scripts}</body>`) : PLAIN_HTML.replace('</body>', `${scripts}</body>`);
}

interface Sample { cpu: number; busy: number; sync: number }

/** The sides compared: bare rrweb, the recorder, the recorder with console and network capture. */
type Mode = 'bare' | 'sentiero' | 'capture';

async function startServer(): Promise<{ origin: string; frames: string[]; close(): Promise<void> }> {
  const frames: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string): void => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/rec.js') return send('text/javascript', url.searchParams.get('mode') === 'bare' ? BARE_JS : RECORDER_JS);
    if (url.pathname === '/page') return send('text/html', page(url.searchParams.get('w') ?? '', url.searchParams.get('mode') ?? ''));
    if (url.pathname === '/api/ping') return send('application/json', '{"ok":true}');
    if (req.method === 'POST') {
      req.resume();
      req.on('end', () => send('application/json', '{}'));
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const text = String(data);
      const m = JSON.parse(text) as { t: string; seq?: number };
      if (m.t === 'hello') ws.send(JSON.stringify({ t: 'welcome', ackedSeq: 0, config: DEFAULT_RECORDER_CONFIG }));
      else if (m.t === 'batch') {
        frames.push(text);
        ws.send(`{"t":"ack","seq":${m.seq}}`);
      }
    });
  });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    frames,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function runOnce(browser: Browser, origin: string, frames: string[], workload: string, mode: Mode, round: number): Promise<Sample> {
  const context = await browser.newContext();
  try {
    const p = await context.newPage();
    await p.goto(`${origin}/page?mode=${mode}&w=${workload}`);
    await p.evaluate(async (name) => {
      const w = (window as any).__workloads[name];
      if (w.setup) await w.setup(document.getElementById('root') || document.getElementById('bench'));
      await (window as any).__settle(300);
    }, workload);
    const cdp = await context.newCDPSession(p);
    await cdp.send('Performance.enable');
    const metrics = async (): Promise<{ cpu: number; busy: number }> => {
      const { metrics: m } = await cdp.send('Performance.getMetrics');
      const ms = (name: string): number => m.find((x) => x.name === name)!.value * 1000;
      return { cpu: ms('ThreadTime'), busy: ms('TaskDuration') };
    };
    frames.length = 0;
    const marker = `END-${workload}-${mode}-${round}`;
    const before = await metrics();
    const sync = await p.evaluate(async ({ name, marker }) => {
      const ms = await (window as any).__measure(name, marker);
      await (window as any).__settle(300);
      return ms as number;
    }, { name: workload, marker });
    const after = await metrics();
    if (mode !== 'bare') {
      const errors = await p.evaluate(() => (window as any).__errors as string[]);
      const text = frames.join('\n');
      const problems = [
        ...(frames.length ? [] : ['no batch was sent']),
        ...(text.includes(marker) ? [] : ['the stream lacks the workload\'s last DOM change']),
        ...(text.includes('sentiero/gap@1') ? ['a gap marker was recorded'] : []),
        ...errors,
      ];
      if (problems.length) throw new Error(`${workload}: Sentiero's recorder did not record everything: ${problems.join('; ')}`);
    }
    return { cpu: after.cpu - before.cpu, busy: after.busy - before.busy, sync };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const geomean = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

const workloads = ['append-10k', 'move-nodes', 'attributes', 'deep-nesting', 'multiple-descendant-add', 'crm-session'].filter((w) => !ONLY || ONLY.includes(w));
const server = await startServer();
const browser = await launchChromium();
const samples = new Map<string, Record<Mode, Sample[]>>(workloads.map((w) => [w, { bare: [], sentiero: [], capture: [] }]));
const ORDERS: Mode[][] = [['bare', 'sentiero', 'capture'], ['capture', 'bare', 'sentiero'], ['sentiero', 'capture', 'bare']];
console.log(`recorder overhead: ${workloads.length} workloads, ${ROUNDS} rounds, recorder bundle ${path.relative(process.cwd(), RECORDER_PATH)}`);
let wire: string[] = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const w of workloads) {
      for (const mode of ORDERS[r % ORDERS.length]!) samples.get(w)![mode].push(await runOnce(browser, server.origin, server.frames, w, mode, r));
    }
  }
  if (!ONLY || ONLY.includes('crm-session')) wire = await measureWireBytes(browser, { page: page('crm-session', 'capture'), recorderJs: RECORDER_JS });
} finally {
  await browser.close();
  await server.close();
}
// BENCH_ROUNDS=0 measures the bytes on the wire only.
if (ROUNDS > 0) printTable();
if (wire.length) {
  console.log('');
  for (const line of wire) console.log(line);
}

function printTable(): void {
  console.log('');
  console.log('| workload | bare rrweb CPU ms | Sentiero CPU ms | ratio | busy ratio (TaskDuration) | sync ratio | with capture CPU ms | capture ratio |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const ratios = { cpu: [] as number[], busy: [] as number[], sync: [] as number[], capture: [] as number[] };
  for (const w of workloads) {
    const s = samples.get(w)!;
    const med = (mode: Mode, k: keyof Sample): number => median(s[mode].map((x) => x[k]));
    const [bc, sc, cc] = [med('bare', 'cpu'), med('sentiero', 'cpu'), med('capture', 'cpu')];
    const [bb, sb] = [med('bare', 'busy'), med('sentiero', 'busy')];
    const [bs, ss] = [med('bare', 'sync'), med('sentiero', 'sync')];
    ratios.cpu.push(sc / bc);
    ratios.busy.push(sb / bb);
    ratios.sync.push(ss / bs);
    ratios.capture.push(cc / bc);
    console.log(`| ${w} | ${bc.toFixed(1)} | ${sc.toFixed(1)} | ${(sc / bc).toFixed(2)} | ${(sb / bb).toFixed(2)} | ${(ss / bs).toFixed(2)} | ${cc.toFixed(1)} | ${(cc / bc).toFixed(2)} |`);
  }
  console.log(`| **geometric mean** | | | **${geomean(ratios.cpu).toFixed(3)}** (goal ≤ 1.05) | ${geomean(ratios.busy).toFixed(3)} | ${geomean(ratios.sync).toFixed(3)} | | **${geomean(ratios.capture).toFixed(3)}** (goal ≤ 1.10) |`);
}
