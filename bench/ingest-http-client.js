/**
 * The load side of the ingest benchmark's HTTP part, in a worker thread (plain JavaScript:
 * workers do not get tsx's loader): posts every body to `url` with up to `window` requests in
 * flight on kept-alive connections, as a recorder's HTTP fallback does, and reports when the last
 * answer arrived. Any answer other than 200 fails the run.
 */
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ url: string, bodies: string[], window: number }} */
const { url, bodies, window } = workerData;

let next = 0;
const started = performance.now();
async function lane() {
  while (next < bodies.length) {
    const body = bodies[next++];
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`answered ${res.status}: ${text}`);
  }
}
await Promise.all(Array.from({ length: window }, lane));
parentPort.postMessage({ ms: performance.now() - started });
