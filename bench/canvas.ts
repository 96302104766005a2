/**
 * The cost of the recorder's `recordCanvas` on the recording page: a 480×320 canvas redrawn on
 * every animation frame for 5 s (the worst case for sampling: every sample is a new frame),
 * recorded by the recorder bundle with canvases off, at the default `{ fps: 2, quality: 0.6 }`,
 * and at 10 fps. The figure is the CPU time of the renderer's main thread over those 5 s (CDP
 * `ThreadTime`; rrweb encodes frames in a worker, whose time is not in it), beside the bytes of
 * canvas frames sent. Each round runs every side once in a fresh page, order rotating.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { DEFAULT_RECORDER_CONFIG } from '@sentiero/protocol';
import { launchChromium } from '../test/helpers/browser.ts';
import { listen } from '../test/helpers/net.ts';
import { fmt, loadLine, median, table } from './_lib.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RECORDER_JS = readFileSync(path.resolve(HERE, '../recorder/dist/recorder.iife.js'), 'utf8');
const SIDES = { off: false, 'fps 2 (default)': true, 'fps 10': { fps: 10 } } as const;
type Side = keyof typeof SIDES;

const PAGE = (opts: unknown) => `<!doctype html><html><head><meta charset="utf-8"><title>canvas bench</title></head><body>
<canvas id="c" width="480" height="320"></canvas>
<script src="/rec.js"></script>
<script>Sentiero.start(${JSON.stringify({ relay: '/sentiero', recordCanvas: opts, webVitals: false })});
window.__animate = (ms) => new Promise((done) => {
  const ctx = document.getElementById('c').getContext('2d');
  const t0 = performance.now();
  const frame = (t) => {
    const k = (t - t0) / 1000;
    ctx.fillStyle = 'rgb(240,240,240)';
    ctx.fillRect(0, 0, 480, 320);
    for (let i = 0; i < 20; i++) {
      ctx.fillStyle = 'hsl(' + ((i * 18 + k * 90) % 360) + ',70%,50%)';
      ctx.fillRect(20 + i * 22, 160 + Math.sin(k * 3 + i) * 120, 18, 18);
    }
    if (t - t0 < ms) requestAnimationFrame(frame); else done();
  };
  requestAnimationFrame(frame);
});</script></body></html>`;

let canvasBytes = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/rec.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(RECORDER_JS);
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(PAGE(SIDES[(url.searchParams.get('side') ?? 'off') as Side]));
});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => ws.on('message', (data) => {
  const m = JSON.parse(String(data)) as { t: string; seq?: number; events?: Array<{ type: number; data: { source?: number } }> };
  if (m.t === 'hello') ws.send(JSON.stringify({ t: 'welcome', ackedSeq: 0, config: DEFAULT_RECORDER_CONFIG }));
  else if (m.t === 'batch') {
    for (const e of m.events ?? []) if (e.type === 3 && e.data.source === 9) canvasBytes += JSON.stringify(e).length;
    ws.send(`{"t":"ack","seq":${m.seq}}`);
  }
}));
server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
const origin = `http://127.0.0.1:${await listen(server)}`;
const browser = await launchChromium();
const cpu = new Map<Side, number[]>(Object.keys(SIDES).map((s) => [s as Side, []]));
const bytes = new Map<Side, number[]>(Object.keys(SIDES).map((s) => [s as Side, []]));
console.log(`canvas: ${ROUNDS} rounds of 5 s of animation per side; ${loadLine()}`);
try {
  const sides = Object.keys(SIDES) as Side[];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + r) % sides.length]!;
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/?side=${encodeURIComponent(side)}`);
      await page.waitForTimeout(500);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const thread = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')!.value * 1000;
      canvasBytes = 0;
      const before = await thread();
      await page.evaluate('window.__animate(5000)');
      const after = await thread();
      await page.waitForTimeout(600);
      cpu.get(side)!.push(after - before);
      bytes.get(side)!.push(canvasBytes);
      await context.close();
    }
  }
} finally {
  await browser.close();
  for (const c of wss.clients) c.terminate();
  wss.close();
  server.closeAllConnections();
  server.close();
}
const base = median(cpu.get('off')!);
table(['recordCanvas', 'main thread ms (median)', 'runs', 'ratio to off', 'canvas frame bytes (median)'],
  (Object.keys(SIDES) as Side[]).map((s) => [s, fmt(median(cpu.get(s)!)), cpu.get(s)!.map((x) => fmt(x, 0)).join(', '), fmt(median(cpu.get(s)!) / base, 2), String(median(bytes.get(s)!))]));
console.log(loadLine());
