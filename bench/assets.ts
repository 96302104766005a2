/**
 * Captured assets: what each design costs the recorded page, in real headless Chromium.
 *
 * (a) capture in the relay (what Sentiero does): the page runs the recorder as it is, with
 *     rrweb's `inlineImages: false` and no font capture; the relay fetches the assets after the
 *     ack. Its page cost is rrweb's own snapshot, and nothing is added to it (no recorder code
 *     changed: `git diff b2f3267 -- recorder/` is empty).
 * (b) capture in the page: rrweb with `inlineImages: true` and `collectFonts: true`, plus the
 *     page reading the stylesheets and fonts it already loaded (`fetch(url, { cache:
 *     'force-cache' })`) and encoding them as base64 to send.
 *
 * The page holds `BENCH_ASSETS` assets (default 30: 6 stylesheets, 4 fonts, 20 images of 256×256
 * noise, about 200 KB each as PNG). The figure is the renderer's main-thread CPU time (CDP
 * `Performance.getMetrics` `ThreadTime`) from the start of the recording until its first
 * snapshot and, for (b), every asset read and encoded, has settled; the page is loaded (its
 * images decoded) before. Median of `BENCH_ROUNDS` (default 5) rounds, sides alternating.
 *
 * The relay's side of (a): the CPU time of walking the shared 45 s recording for its asset URLs
 * (what `relay/src/assets.ts` does with each stored batch, off the ack path), beside
 * `JSON.parse` of the same events as the raw limit.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { launchChromium } from '../test/helpers/browser.ts';
import { listen } from '../test/helpers/net.ts';
import { createAssetWalker } from '@sentiero/protocol';
import { fixtureEvents, fmt, loadLine, median, table } from './_lib.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const N = Number(process.env.BENCH_ASSETS ?? 30);
const require = createRequire(import.meta.url);
const RRWEB_JS = readFileSync(path.join(path.dirname(require.resolve('@rrweb/record')), 'record.umd.min.cjs'), 'utf8');
const FONT = readFileSync(path.resolve(HERE, '../test/fixtures/fonts/open-sans-regular.woff2'));

/** A valid PNG of `size`×`size` RGB noise (so that it neither compresses nor decodes for free). */
function noisePng(size: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = randomBytes((size * 3 + 1) * size);
  for (let row = 0; row < size; row++) raw[row * (size * 3 + 1)] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const nCss = Math.max(1, Math.round(N * 0.2));
const nFont = Math.max(1, Math.round(N * 0.13));
const nImg = Math.max(1, N - nCss - nFont);
const images = Array.from({ length: nImg }, (_, i) => noisePng(256));
const css = (i: number) => `${Array.from({ length: 400 }, (_, r) => `.c${i}-${r} { margin: ${r % 7}px; color: rgb(${r % 255}, ${i * 9 % 255}, 40); }`).join('\n')}
@font-face { font-family: F${i}; src: url(/font-${i % nFont}.woff2) format("woff2"); }`;

function page(mode: 'relay' | 'page'): string {
  const links = Array.from({ length: nCss }, (_, i) => `<link rel="stylesheet" href="/style-${i}.css">`).join('');
  const fonts = Array.from({ length: nFont }, (_, i) => `<p style="font-family: F${i}">font ${i}</p>`).join('');
  const imgs = images.map((_, i) => `<img src="/img-${i}.png" width="64" height="64">`).join('');
  return `<!doctype html><html><head><meta charset="utf-8">${links}</head><body>${fonts}${imgs}
<script>${RRWEB_JS}</script>
<script>
window.__start = async function () {
  var record = window.rrwebRecord.record || window.rrwebRecord;
  var events = [];
  var inPage = ${JSON.stringify(mode === 'page')};
  record({ emit: function (e) { events.push(e); }, maskAllInputs: true, inlineImages: inPage, collectFonts: inPage, recordCanvas: false });
  if (inPage) {
    var urls = [].slice.call(document.styleSheets).map(function (s) { return s.href; }).filter(Boolean)
      .concat(performance.getEntriesByType('resource').filter(function (r) { return r.initiatorType === 'css' && /\\.woff2$/.test(r.name); }).map(function (r) { return r.name; }));
    var out = await Promise.all(urls.map(async function (u) {
      var buf = new Uint8Array(await (await fetch(u, { cache: 'force-cache' })).arrayBuffer());
      var s = ''; for (var i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
      return { url: u, data: btoa(s) };
    }));
    events.push({ type: 5, data: { tag: 'assets', payload: out } });
  }
  // inlineImages draws on image load: give it the frames it takes, then let the snapshot settle.
  await new Promise(function (r) { setTimeout(r, 300); });
  return { events: events.length, bytes: JSON.stringify(events).length };
};
</script></body></html>`;
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (type: string, body: string | Buffer) => {
    res.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600' });
    res.end(body);
  };
  let m: RegExpExecArray | null;
  if (url.pathname === '/') return send('text/html', page(url.searchParams.get('mode') === 'page' ? 'page' : 'relay'));
  if ((m = /^\/style-(\d+)\.css$/.exec(url.pathname))) return send('text/css', css(Number(m[1])));
  if (/^\/font-\d+\.woff2$/.test(url.pathname)) return send('font/woff2', FONT);
  if ((m = /^\/img-(\d+)\.png$/.exec(url.pathname))) return send('image/png', images[Number(m[1])]!);
  res.writeHead(404);
  res.end();
});
const origin = `http://127.0.0.1:${await listen(server)}`;
const browser = await launchChromium();
const samples: Record<'relay' | 'page', Array<{ cpu: number; bytes: number }>> = { relay: [], page: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<'relay' | 'page'> = round % 2 ? ['page', 'relay'] : ['relay', 'page'];
    for (const mode of order) {
      const context = await browser.newContext();
      const p = await context.newPage();
      const cdp = await context.newCDPSession(p);
      await cdp.send('Performance.enable');
      await p.goto(`${origin}/?mode=${mode}`, { waitUntil: 'load' });
      await p.evaluate(() => document.fonts.ready.then(() => undefined));
      const cpu = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((x) => x.name === 'ThreadTime')?.value ?? NaN) * 1000;
      const before = await cpu();
      const got = await p.evaluate(() => (window as unknown as { __start(): Promise<{ bytes: number }> }).__start());
      samples[mode].push({ cpu: (await cpu()) - before, bytes: got.bytes });
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}

const cpuRelay = median(samples.relay.map((s) => s.cpu));
const cpuPage = median(samples.page.map((s) => s.cpu));
console.log(`${N} assets on the page: ${nCss} stylesheets, ${nFont} fonts, ${nImg} images (256×256 PNG, ${fmt(images.reduce((n, b) => n + b.length, 0) / nImg / 1024, 0)} KB each); ${ROUNDS} rounds; ${loadLine()}`);
table(['design', 'main-thread CPU, first snapshot (ms, median)', 'recorded bytes (first snapshot)'], [
  ['relay capture (the recorder as it is)', fmt(cpuRelay), String(median(samples.relay.map((s) => s.bytes)))],
  ['in-page capture (inlineImages, collectFonts, CSS and fonts read and base64-encoded)', fmt(cpuPage), String(median(samples.page.map((s) => s.bytes)))],
  ['added by in-page capture', `${fmt(cpuPage - cpuRelay)} (${fmt(cpuPage / cpuRelay, 2)}×)`, '—'],
]);

// The relay's side: walking recorded events for their asset URLs, beside parsing them.
const fixture = fixtureEvents();
const text = JSON.stringify(fixture);
const walkMs: number[] = [];
const parseMs: number[] = [];
let urls = 0;
for (let i = 0; i < 7; i++) {
  const events = JSON.parse(text) as typeof fixture;
  const t0 = process.cpuUsage();
  urls = 0;
  const walker = createAssetWalker((u) => { urls++; return u; });
  for (const e of events) walker.walk(e as never);
  const t1 = process.cpuUsage(t0);
  walkMs.push((t1.user + t1.system) / 1000);
  const p0 = process.cpuUsage();
  JSON.parse(text);
  const p1 = process.cpuUsage(p0);
  parseMs.push((p1.user + p1.system) / 1000);
}
console.log(`\nRelay: walking the 45 s fixture (${fixture.length} events, ${fmt(text.length / 1e6, 2)} MB, ${urls} asset URLs) for its asset URLs: ${fmt(median(walkMs))} ms CPU (median of 7), beside JSON.parse of it ${fmt(median(parseMs))} ms (${fmt(median(walkMs) / median(parseMs), 2)}×); ${loadLine()}`);
