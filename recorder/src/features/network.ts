/**
 * Network capture (`captureNetwork`): the page's `fetch`, `XMLHttpRequest`, `navigator.sendBeacon`
 * and WebSocket opens become `sentiero/network@1` events when they end — method, URL, status,
 * start and duration, sizes where known, failed or aborted. Headers are recorded only when
 * their name is listed (`networkHeaders`, never cookies or credentials) and bodies only for
 * the URLs listed (`networkBodies`), capped at `networkBodyMaxBytes`; a response body is read
 * from a clone and only when it is text (never an event stream), so streaming responses reach
 * the page untouched. The recorder's own traffic to the relay is never recorded. The wrappers
 * never throw into the page (what the page's own functions throw still reaches it), and
 * `stop()` puts the originals back.
 */
import { CustomTag, EventType, NetworkInitiator, type NetworkPayload } from '@sentiero/protocol';
import { utf8Length } from '../buffer.ts';
import { RecorderErrorCode } from '../errors.ts';
import type { Feature, FeatureHost } from './feature.ts';

/** Caps of one network event. */
export const NETWORK_LIMITS = {
  /** Most characters of a URL. */
  maxUrl: 2048,
  /** Most characters of one header value. */
  maxHeader: 1024,
  /** Most characters of an error message. */
  maxError: 300,
} as const;

/** What the feature records beyond the basics. */
export interface NetworkCaptureOptions {
  /** Lower-case header names to record. */
  headers: readonly string[];
  /** URL patterns whose bodies are recorded (strings: absolute URL prefixes). */
  bodies: readonly (string | RegExp)[];
  /** Most bytes of one body. */
  bodyMaxBytes: number;
}

/** Content types whose bodies are text worth keeping (an event stream never is: it does not end). */
const TEXTUAL = /^(text\/(?!event-stream)|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)|[^;]*\+(json|xml))/i;

const clip = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/** `text` cut to `max` UTF-8 bytes. */
function cutBytes(text: string, max: number): { text: string; cut: boolean } {
  if (text.length * 3 <= max || utf8Length(text) <= max) return { text, cut: false };
  const bytes = new TextEncoder().encode(text).subarray(0, max);
  return { text: new TextDecoder().decode(bytes).replace(/\uFFFD$/, ''), cut: true };
}

function absolute(url: unknown): string {
  try {
    return clip(new URL(String(url), location.href).href, NETWORK_LIMITS.maxUrl);
  } catch {
    return clip(String(url), NETWORK_LIMITS.maxUrl);
  }
}

/** Bytes of a request body, where they can be known without reading it. */
function bodySize(body: unknown): number | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return utf8Length(body);
  if (typeof URLSearchParams === 'function' && body instanceof URLSearchParams) return utf8Length(body.toString());
  if (typeof Blob === 'function' && body instanceof Blob) return body.size;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return undefined;
}

/** A request body as text (strings and URL-encoded forms only; anything else is described). */
function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (typeof URLSearchParams === 'function' && body instanceof URLSearchParams) return body.toString();
  const size = bodySize(body);
  const kind = typeof FormData === 'function' && body instanceof FormData ? 'FormData' : Object.prototype.toString.call(body).slice(8, -1);
  return `[${kind}${size !== undefined ? `, ${size} bytes` : ''}]`;
}

function describeError(err: unknown): string {
  try {
    return clip(err instanceof Error ? `${err.name}: ${err.message}` : String(err), NETWORK_LIMITS.maxError);
  } catch {
    return 'unknown error';
  }
}

/** The network capture feature with its options. */
export function networkFeature(o: NetworkCaptureOptions): Feature {
  return {
    name: 'sentiero/network@1',
    setup(host: FeatureHost) {
      let active = true;
      const relayPrefixes = [`${host.relay}/`, `${host.relay.replace(/^http/, 'ws')}/`];
      const own = (url: string): boolean => relayPrefixes.some((p) => url.startsWith(p)) || url === host.relay;
      const bodyAllowed = (url: string): boolean => o.bodies.some((p) => {
        if (typeof p === 'string') return url.startsWith(p);
        p.lastIndex = 0;
        return p.test(url);
      });
      const pickHeaders = (get: (name: string) => string | null | undefined): Record<string, string> | undefined => {
        let out: Record<string, string> | undefined;
        for (const name of o.headers) {
          const v = get(name);
          if (typeof v === 'string') (out ??= {})[name] = clip(v, NETWORK_LIMITS.maxHeader);
        }
        return out;
      };
      const emit = (p: NetworkPayload): void => {
        if (!active) return;
        host.add({ type: EventType.Custom, timestamp: Date.now(), data: { tag: CustomTag.NETWORK, payload: p } });
      };
      const guarded = <A extends unknown[]>(what: string, fn: (...a: A) => void) => (...a: A): void => {
        try {
          fn(...a);
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, `network capture: ${what} failed`, err);
        }
      };
      const setBody = (p: NetworkPayload, key: 'requestBody' | 'responseBody', text: string | undefined): void => {
        if (text === undefined) return;
        const c = cutBytes(text, o.bodyMaxBytes);
        p[key] = c.text;
        if (c.cut) p.bodyTruncated = true;
      };
      const undo: (() => void)[] = [];

      // fetch
      const originalFetch = typeof window.fetch === 'function' ? window.fetch : undefined;
      if (originalFetch) {
        const startFetch = (input: RequestInfo | URL, init: RequestInit | undefined): NetworkPayload | undefined => {
          if (!active) return undefined;
          const req = typeof Request === 'function' && input instanceof Request ? input : undefined;
          const url = absolute(req ? req.url : input);
          if (own(url)) return undefined;
          const p: NetworkPayload = {
            type: NetworkInitiator.FETCH, method: String(init?.method ?? req?.method ?? 'GET').toUpperCase(), url, status: 0, startedAt: Date.now(), durationMs: 0,
          };
          const size = bodySize(init?.body);
          if (size !== undefined) p.requestSize = size;
          if (o.headers.length) {
            const headers = new Headers(init?.headers ?? req?.headers);
            const picked = pickHeaders((n) => headers.get(n));
            if (picked) p.requestHeaders = picked;
          }
          if (bodyAllowed(url)) setBody(p, 'requestBody', bodyText(init?.body));
          return p;
        };
        const readBody = async (p: NetworkPayload, res: Response, t0: number): Promise<void> => {
          const reader = res.body!.getReader();
          const decoder = new TextDecoder();
          let text = '';
          let bytes = 0;
          let done = false;
          while (bytes <= o.bodyMaxBytes) {
            const r = await reader.read();
            if (r.done) {
              done = true;
              break;
            }
            bytes += r.value.byteLength;
            text += decoder.decode(r.value, { stream: true });
          }
          if (done) {
            text += decoder.decode();
            p.responseSize = bytes;
          } else {
            void reader.cancel().catch(() => undefined);
          }
          setBody(p, 'responseBody', text);
          if (!done) p.bodyTruncated = true;
          p.durationMs = Math.round(performance.now() - t0);
        };
        const patchedFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
          let p: NetworkPayload | undefined;
          const t0 = performance.now();
          try {
            p = startFetch(input, init);
          } catch (err) {
            host.report(RecorderErrorCode.INTERNAL, 'network capture: reading a fetch call failed', err);
          }
          const result = originalFetch.call(this, input, init);
          if (!p || !result || typeof result.then !== 'function') return result;
          const rec = p;
          result.then(guarded('a fetch response', (res: Response) => {
            rec.status = res.status;
            rec.durationMs = Math.round(performance.now() - t0);
            const type = res.headers.get('content-type');
            if (type) rec.contentType = clip(type, NETWORK_LIMITS.maxHeader);
            const length = Number(res.headers.get('content-length'));
            if (res.headers.has('content-length') && Number.isFinite(length)) rec.responseSize = length;
            const picked = o.headers.length ? pickHeaders((n) => res.headers.get(n)) : undefined;
            if (picked) rec.responseHeaders = picked;
            if (bodyAllowed(rec.url) && res.body && !res.bodyUsed && TEXTUAL.test(type ?? '')) {
              const clone = res.clone();
              readBody(rec, clone, t0).catch(() => undefined).finally(() => emit(rec));
            } else {
              emit(rec);
            }
          }), guarded('a failed fetch', (err: unknown) => {
            rec.durationMs = Math.round(performance.now() - t0);
            const signal = init?.signal ?? (typeof Request === 'function' && input instanceof Request ? input.signal : undefined);
            if ((err as { name?: unknown } | null)?.name === 'AbortError' || signal?.aborted) rec.aborted = true;
            else rec.failed = true;
            rec.error = describeError(err);
            emit(rec);
          }));
          return result;
        } as typeof fetch;
        window.fetch = patchedFetch;
        undo.push(() => {
          if (window.fetch === patchedFetch) window.fetch = originalFetch;
        });
      }

      // XMLHttpRequest
      const proto = typeof XMLHttpRequest === 'function' ? XMLHttpRequest.prototype : undefined;
      if (proto) {
        const originalOpen = proto.open;
        const originalSend = proto.send;
        const originalSetHeader = proto.setRequestHeader;
        const calls = new WeakMap<XMLHttpRequest, { method: string; url: string; headers?: Record<string, string> }>();
        const open = function (this: XMLHttpRequest, ...args: unknown[]) {
          try {
            if (active) calls.set(this, { method: String(args[0]).toUpperCase(), url: absolute(args[1]) });
          } catch { /* not ours to fail */ }
          return (originalOpen as (...a: unknown[]) => void).apply(this, args);
        } as typeof proto.open;
        const setRequestHeader = function (this: XMLHttpRequest, name: string, value: string) {
          try {
            const c = calls.get(this);
            const n = String(name).toLowerCase();
            if (c && o.headers.includes(n)) (c.headers ??= {})[n] = clip(String(value), NETWORK_LIMITS.maxHeader);
          } catch { /* not ours to fail */ }
          return originalSetHeader.call(this, name, value);
        };
        const send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
          try {
            const c = calls.get(this);
            if (active && c && !own(c.url)) track(this, c, body);
          } catch (err) {
            host.report(RecorderErrorCode.INTERNAL, 'network capture: reading an XHR failed', err);
          }
          return originalSend.call(this, body);
        };
        const track = (xhr: XMLHttpRequest, c: { method: string; url: string; headers?: Record<string, string> }, body: unknown): void => {
          const t0 = performance.now();
          const p: NetworkPayload = { type: NetworkInitiator.XHR, method: c.method, url: c.url, status: 0, startedAt: Date.now(), durationMs: 0 };
          const size = bodySize(body);
          if (size !== undefined) p.requestSize = size;
          if (c.headers) p.requestHeaders = { ...c.headers };
          const withBody = bodyAllowed(c.url);
          if (withBody) setBody(p, 'requestBody', bodyText(body));
          let ending: 'abort' | 'error' | 'timeout' | undefined;
          const onEnd = (ev: Event): void => {
            if (ev.type !== 'loadend') {
              ending = ev.type as typeof ending;
              return;
            }
            for (const t of ['abort', 'error', 'timeout', 'loadend']) xhr.removeEventListener(t, listener);
            p.durationMs = Math.round(performance.now() - t0);
            p.status = xhr.status;
            if (ending === 'abort') p.aborted = true;
            else if (ending || xhr.status === 0) {
              p.failed = true;
              p.error = ending === 'timeout' ? 'timeout' : 'network error';
            }
            const type = xhr.getResponseHeader('content-type');
            if (type) p.contentType = clip(type, NETWORK_LIMITS.maxHeader);
            const picked = o.headers.length ? pickHeaders((n) => xhr.getResponseHeader(n)) : undefined;
            if (picked) p.responseHeaders = picked;
            const rt = xhr.responseType;
            if (xhr.readyState === 4 && !ending) {
              if (rt === '' || rt === 'text') p.responseSize = utf8Length(xhr.responseText);
              else if (rt === 'arraybuffer' && xhr.response) p.responseSize = (xhr.response as ArrayBuffer).byteLength;
              else if (rt === 'blob' && xhr.response) p.responseSize = (xhr.response as Blob).size;
              if (withBody && TEXTUAL.test(type ?? '')) {
                if (rt === '' || rt === 'text') setBody(p, 'responseBody', xhr.responseText);
                else if (rt === 'json') setBody(p, 'responseBody', JSON.stringify(xhr.response));
              }
            }
            emit(p);
          };
          const listener = guarded('an XHR end', onEnd);
          for (const t of ['abort', 'error', 'timeout', 'loadend']) xhr.addEventListener(t, listener);
        };
        proto.open = open;
        proto.setRequestHeader = setRequestHeader;
        proto.send = send;
        undo.push(() => {
          if (proto.open === open) proto.open = originalOpen;
          if (proto.setRequestHeader === setRequestHeader) proto.setRequestHeader = originalSetHeader;
          if (proto.send === send) proto.send = originalSend;
        });
      }

      // navigator.sendBeacon
      const originalBeacon = typeof navigator.sendBeacon === 'function' ? navigator.sendBeacon : undefined;
      if (originalBeacon) {
        const hadOwn = Object.prototype.hasOwnProperty.call(navigator, 'sendBeacon');
        const beacon = function (this: Navigator, url: string | URL, data?: BodyInit | null): boolean {
          let p: NetworkPayload | undefined;
          try {
            const u = absolute(url);
            if (active && !own(u)) {
              p = { type: NetworkInitiator.BEACON, method: 'POST', url: u, status: 0, startedAt: Date.now(), durationMs: 0 };
              const size = bodySize(data);
              if (size !== undefined) p.requestSize = size;
              if (bodyAllowed(u)) setBody(p, 'requestBody', bodyText(data));
            }
          } catch (err) {
            host.report(RecorderErrorCode.INTERNAL, 'network capture: reading a beacon failed', err);
          }
          let queued: boolean;
          try {
            queued = originalBeacon.call(this, url, data);
          } catch (err) {
            if (p) guarded('a refused beacon', () => emit({ ...p!, failed: true, error: describeError(err) }))();
            throw err;
          }
          if (p) {
            const rec = p;
            guarded('a beacon', () => emit(queued ? rec : { ...rec, failed: true, error: 'the browser did not queue the beacon' }))();
          }
          return queued;
        };
        navigator.sendBeacon = beacon;
        undo.push(() => {
          if (navigator.sendBeacon !== beacon) return;
          if (hadOwn) navigator.sendBeacon = originalBeacon;
          else delete (navigator as unknown as Record<string, unknown>).sendBeacon;
        });
      }

      // WebSocket opens
      const OriginalWebSocket = typeof window.WebSocket === 'function' ? window.WebSocket : undefined;
      if (OriginalWebSocket) {
        const watch = (ws: WebSocket, url: string): void => {
          if (!active || own(url)) return;
          const t0 = performance.now();
          const p: NetworkPayload = { type: NetworkInitiator.WEBSOCKET, method: 'GET', url, status: 0, startedAt: Date.now(), durationMs: 0 };
          let done = false;
          const finish = guarded('a WebSocket open', (ev: Event) => {
            if (done) return;
            done = true;
            ws.removeEventListener('open', finish);
            ws.removeEventListener('error', finish);
            ws.removeEventListener('close', finish);
            p.durationMs = Math.round(performance.now() - t0);
            if (ev.type === 'open') p.status = 101;
            else {
              p.failed = true;
              p.error = ev.type === 'close' ? `closed before opening (code ${(ev as CloseEvent).code})` : 'the connection failed';
            }
            emit(p);
          });
          ws.addEventListener('open', finish);
          ws.addEventListener('error', finish);
          ws.addEventListener('close', finish);
        };
        const Wrapped = class WebSocket extends OriginalWebSocket {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            try {
              watch(this, absolute(this.url || url));
            } catch (err) {
              host.report(RecorderErrorCode.INTERNAL, 'network capture: watching a WebSocket failed', err);
            }
          }
        };
        window.WebSocket = Wrapped;
        undo.push(() => {
          if (window.WebSocket === Wrapped) window.WebSocket = OriginalWebSocket;
        });
      }

      return () => {
        active = false;
        for (const u of undo) u();
      };
    },
  };
}
