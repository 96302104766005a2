/**
 * The player of an HTML export (`<base>/api/sessions/:id/export.html`): the viewer, mounted on
 * one session, with a `fetch` that answers from the data inlined in the page and no network at
 * all. The relay inlines this bundle into every export; the page's CSP allows this script (by
 * its hash) and nothing else to run, and the recording is replayed in rrweb's sandboxed iframe
 * with every remote asset blocked.
 *
 * The data is inert: base64 inside `<script type="application/octet-stream">` elements, which a
 * browser never runs — the session's summary (JSON) and its stored batches (NDJSON, gzipped),
 * decompressed here by the browser's `DecompressionStream` as the replay reads them.
 */
import type { AssetPolicy, SessionErrorsResponse, SessionSummary } from '@sentiero/protocol';
import { mountViewer } from './mount.ts';

/** The ids of the data elements the relay writes (relay/src/export.ts). */
export const EXPORT_ELEMENT = { SESSION: 'sentiero-session', EVENTS: 'sentiero-events' } as const;

/** The made-up relay URL the exported viewer's requests go to; they never leave the page. */
const OFFLINE_RELAY = 'https://export.sentiero.invalid/sentiero';

/** Base64 text decoded per step, in characters (a multiple of 4). */
const SLICE = 1 << 20;

function text(id: string): string {
  return (document.getElementById(id)?.textContent ?? '').replace(/\s+/g, '');
}

function bytesOf(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The inlined events, decoded and decompressed a slice at a time as they are read. */
function eventStream(): ReadableStream<Uint8Array> {
  const b64 = text(EXPORT_ELEMENT.EVENTS);
  let at = 0;
  const compressed = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= b64.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytesOf(b64.slice(at, at + SLICE)));
      at += SLICE;
    },
  });
  return compressed.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A `fetch` that answers the viewer's few requests from the page's own data. */
function offlineFetch(summary: SessionSummary): typeof fetch {
  const prefix = `${OFFLINE_RELAY}/api/`;
  const id = encodeURIComponent(summary.id);
  const noPolicy: AssetPolicy = { mode: 'block' };
  const noErrors: SessionErrorsResponse = { errors: [] };
  return async (input) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = url.startsWith(prefix) ? url.slice(prefix.length).split('?')[0] : '';
    if (path === 'assets/policy') return json(noPolicy);
    if (path === `sessions/${id}`) return json(summary);
    if (path === `sessions/${id}/events`) return new Response(eventStream(), { headers: { 'content-type': 'application/x-ndjson' } });
    if (path === `sessions/${id}/errors`) return json(noErrors);
    return json({ code: 'SENTIERO_NOT_FOUND', message: 'not in this export' }, 404);
  };
}

/** A WebSocket that never connects: an export has no live side. */
class NoSocket {
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  readyState = 3;
  constructor() {
    setTimeout(() => this.onclose?.({ code: 1000, reason: 'an export has no relay' }), 0);
  }
  send(): void {}
  close(): void {}
}

function start(): void {
  const app = document.getElementById('app');
  if (!app) return;
  const summary = JSON.parse(new TextDecoder().decode(bytesOf(text(EXPORT_ELEMENT.SESSION)))) as SessionSummary;
  mountViewer(app, {
    relayUrl: OFFLINE_RELAY,
    token: 'offline',
    route: `#/sessions/${encodeURIComponent(summary.id)}`,
    fetch: offlineFetch({ ...summary, live: false }),
    WebSocket: NoSocket,
    showHeader: false,
    standalone: true,
  });
}

// After the page's own load: rrweb keeps its iframe's document open, which would hold the page's
// `load` event (and the browser's busy indicator) back for as long as the replay is shown.
if (document.readyState === 'complete') start();
else window.addEventListener('load', start, { once: true });
