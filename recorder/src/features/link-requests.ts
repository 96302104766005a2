/**
 * Request linking (`linkRequests`): same-origin `fetch` and `XMLHttpRequest` calls carry an
 * `X-Sentiero-Session` header with the session id, so that the relay's framework middleware
 * links a server error to the session of the page that made the request. Cross-origin
 * requests and the recorder's own requests to the relay are never touched (a custom header
 * would turn a simple cross-origin request into a preflighted one). The patches never throw:
 * when anything goes wrong the request goes out as the page made it.
 */
import { SESSION_HEADER } from '@sentiero/protocol';
import type { Feature, FeatureHost } from './feature.ts';

type FetchFn = typeof fetch;

/** The feature. */
export const linkRequestsFeature: Feature = {
  name: 'sentiero/link-requests@1',
  setup(host: FeatureHost) {
    let active = true;
    const relayPrefix = `${host.relay}/`;

    /** Whether a request to `url` gets the header: same origin as the page, and not to the relay. */
    const linked = (url: string | URL): boolean => {
      const u = new URL(String(url), location.href);
      return u.origin === location.origin && !`${u.origin}${u.pathname}`.startsWith(relayPrefix);
    };

    const originalFetch: FetchFn | undefined = typeof window.fetch === 'function' ? window.fetch : undefined;
    const patchedFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      let args: [RequestInfo | URL, RequestInit | undefined] = [input, init];
      try {
        const url = typeof input === 'string' || input instanceof URL ? input : input.url;
        if (active && linked(url)) {
          const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
          if (!headers.has(SESSION_HEADER)) headers.set(SESSION_HEADER, host.sessionId());
          args = [input, { ...init, headers }];
        }
      } catch { /* send it as the page made it */ }
      return (originalFetch as FetchFn).apply(this, args);
    } as FetchFn;
    if (originalFetch) window.fetch = patchedFetch;

    const proto = typeof XMLHttpRequest === 'function' ? XMLHttpRequest.prototype : undefined;
    const originalOpen = proto?.open;
    const originalSend = proto?.send;
    const urls = new WeakMap<XMLHttpRequest, string | URL>();
    let patchedOpen: unknown;
    let patchedSend: unknown;
    if (proto && originalOpen && originalSend) {
      proto.open = function (this: XMLHttpRequest, ...args: unknown[]) {
        try {
          urls.set(this, args[1] as string | URL);
        } catch { /* not ours to fail */ }
        return (originalOpen as (...a: unknown[]) => void).apply(this, args);
      } as typeof proto.open;
      proto.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
        try {
          const url = urls.get(this);
          if (active && url !== undefined && this.readyState === 1 && linked(url)) this.setRequestHeader(SESSION_HEADER, host.sessionId());
        } catch { /* send it as the page made it */ }
        return originalSend.call(this, body);
      };
      patchedOpen = proto.open;
      patchedSend = proto.send;
    }

    return () => {
      active = false;
      // Put the originals back unless someone wrapped ours since (then ours stays, passing requests through untouched).
      if (originalFetch && window.fetch === patchedFetch) window.fetch = originalFetch;
      if (proto && originalOpen && proto.open === patchedOpen) proto.open = originalOpen;
      if (proto && originalSend && proto.send === patchedSend) proto.send = originalSend;
    };
  },
};
