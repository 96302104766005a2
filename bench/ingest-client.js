/**
 * The load side of the ingest benchmark, run in a worker thread so that it does not share
 * the server's event loop (plain JavaScript: workers do not get tsx's loader): one recorder-like socket that says hello, then sends every batch
 * with up to `window` unacknowledged at once, and reports when the last ack arrived. With
 * `gated`, it says `ready` once loaded and connects only on the parent's `go` (so that a run's
 * CPU count leaves the worker's start-up out).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

/** @type {{ url: string, frames: string[], window: number, hello: string, gated?: boolean }} */
const { url, frames, window, hello, gated } = workerData;
if (gated) {
  parentPort.once('message', run);
  parentPort.postMessage({ ready: true });
} else run();

function run() {
  const ws = new WebSocket(url, { perMessageDeflate: { threshold: 1024, zlibDeflateOptions: { level: 1 } } });
  let next = 0;
  let acked = 0;
  let started = 0;
  const pump = () => {
    while (next < frames.length && next - acked < window) ws.send(frames[next++]);
  };
  ws.on('open', () => {
    started = performance.now();
    if (hello) ws.send(hello);
    else pump();
  });
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.t === 'welcome') return pump();
    if (m.t !== 'ack') throw new Error(`unexpected ${String(data)}`);
    acked++;
    if (acked === frames.length) {
      parentPort.postMessage({ ms: performance.now() - started });
      ws.close();
    } else pump();
  });
  ws.on('error', (err) => { throw err; });
}
