/**
 * The viewer's asset proxy, `GET <base>/api/assets?k=<key>&s=<session>&url=<url>`: the images,
 * fonts and stylesheets a replay refers to come from the relay, so the recorded site never
 * learns who watched (see docs/viewer-privacy.md). With `s=`, the copy that session captured
 * (assets.ts) is served first; otherwise, or when there is none, the asset is fetched live with
 * the guarded fetch (guarded-fetch.ts: public addresses only unless allowlisted, every redirect
 * checked, no credentials, type and size caps). URLs inside served CSS (`url()`, `@import`) are
 * rewritten to come back through the proxy, with the same session.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AssetPolicy, ErrorCode, mapAssetUrl, rewriteCssUrls } from '@sentiero/protocol';
import type { StoredAsset } from '@sentiero/storage';
import { safeEqual } from './auth.ts';
import { RelayError } from './errors.ts';
import { PROXY_HEADER, assetType, createGuardedFetch } from './guarded-fetch.ts';
import type { ResolvedOptions } from './options.ts';
import { sendError } from './respond.ts';

/** Requests the proxy works on at once; more are answered `SENTIERO_RATE_LIMITED`. */
export const MAX_CONCURRENT_ASSETS = 32;

/** The asset proxy's key for a viewer token: it opens the proxy and nothing else, and is the same on every instance sharing the token. */
export function assetKey(token: string): string {
  return createHmac('sha256', token).update('sentiero asset proxy v1').digest('base64url');
}

/** How a proxied answer is served: never sniffed, never run as a document if opened directly, never cached by shared caches. */
const SERVE_HEADERS = {
  'cache-control': 'private, max-age=300',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  'cross-origin-resource-policy': 'cross-origin',
  'referrer-policy': 'no-referrer',
  // Fonts load in CORS mode: the VS Code webview and the DevTools panel are on other origins than the relay.
  'access-control-allow-origin': '*',
};
/** A captured copy never changes for its session and URL: it may be kept long (by the viewer's browser only). */
const CAPTURED_CACHE = 'private, max-age=31536000, immutable';

/** Where the proxy finds the copy a session captured of a URL (assets.ts). */
export interface CapturedAssets {
  /** The session's copy of `url`, or undefined. */
  lookup(sessionId: string, url: string): Promise<StoredAsset | undefined>;
}

/** The asset proxy's routes. */
export interface AssetProxy {
  /** `GET <base>/api/assets/policy` (behind the viewer token): the mode and, in proxy mode (or block mode with captured copies), the key. */
  policy(): AssetPolicy;
  /** `GET <base>/api/assets?k=&s=&url=` (its own check: the key or the viewer token). Answers every request it is given. */
  serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void>;
}

/** Creates the proxy for the relay's options; `captured` serves sessions' copies first (when capture is on). */
export function createAssetProxy(options: ResolvedOptions, authenticate: (req: IncomingMessage) => unknown, captured?: CapturedAssets): AssetProxy {
  const { viewerAssets: mode, assetProxy: limits, basePath } = options;
  const key = assetKey(options.token);
  const allowed = new Set(limits.allowPrivateOrigins);
  const fetchAsset = createGuardedFetch({ privateOk: (origin) => allowed.has(origin), maxBytes: limits.maxBytes, timeoutMs: limits.timeoutMs });
  let inflight = 0;

  /** A URL of a served stylesheet, made to come back through the proxy (root-relative: it resolves against the relay), with the same session. */
  const cssUrl = (raw: string, base: URL, session: string): string =>
    mapAssetUrl(raw, base, (abs) => `${basePath}/api/assets?k=${encodeURIComponent(key)}${session}&url=${encodeURIComponent(abs)}`);

  /** The body to serve: CSS with its URLs through the proxy, anything else as it is. */
  const bodyOf = (type: string, body: Uint8Array, base: URL, sessionId: string | null): Buffer => {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!type.startsWith('text/css')) return bytes;
    const session = sessionId === null ? '' : `&s=${encodeURIComponent(sessionId)}`;
    return Buffer.from(rewriteCssUrls(bytes.toString('utf8'), (u) => cssUrl(u, base, session)), 'utf8');
  };

  return {
    policy() {
      if (mode === 'proxy') return { mode, key };
      return captured ? { mode, key, captured: true } : { mode };
    },
    async serve(req, res, query) {
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET an asset');
        if (mode !== 'proxy' && !captured) throw new RelayError(ErrorCode.NOT_FOUND, 'the asset proxy is off (viewerAssets: "block")');
        const k = query.get('k');
        // Its key, or any credential the API takes (a token of any role, the dashboard's sign-in); `authenticate` throws the coded 401/403.
        if (!(k !== null && safeEqual(k, key))) authenticate(req);
        if (req.headers[PROXY_HEADER]) throw new RelayError(ErrorCode.FORBIDDEN, 'the asset proxy does not fetch through itself');
        let target: URL;
        try {
          target = new URL(query.get('url') ?? '');
        } catch {
          throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the "url" parameter must be an absolute http(s) URL');
        }
        const sessionId = query.get('s');
        const copy = sessionId !== null && captured && /^https?:$/.test(target.protocol) ? await captured.lookup(sessionId, target.href) : undefined;
        if (copy) {
          const type = assetType(copy.type) ?? 'application/octet-stream';
          const body = bodyOf(type, copy.body, target, sessionId);
          res.writeHead(200, { ...SERVE_HEADERS, 'cache-control': CAPTURED_CACHE, 'content-type': type, 'content-length': body.length, 'x-sentiero-asset': 'captured' });
          res.end(req.method === 'HEAD' ? undefined : body);
          return;
        }
        if (mode !== 'proxy') throw new RelayError(ErrorCode.NOT_FOUND, 'no captured copy of this asset for this session, and the asset proxy is off (viewerAssets: "block")');
        if (inflight >= MAX_CONCURRENT_ASSETS) throw new RelayError(ErrorCode.RATE_LIMITED, 'too many assets at once; try again');
        inflight++;
        let got;
        try {
          got = await fetchAsset(target);
        } finally {
          inflight--;
        }
        const body = bodyOf(got.type, got.body, got.url, sessionId);
        res.writeHead(200, { ...SERVE_HEADERS, 'content-type': got.type, 'content-length': body.length, 'x-sentiero-asset': 'live' });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (err) {
        if (err instanceof RelayError) return sendError(res, err, { 'cache-control': 'no-store' });
        options.logger.error('the asset proxy failed', err);
        return sendError(res, new RelayError(ErrorCode.INTERNAL, 'the asset proxy failed; see the relay log'));
      }
    },
  };
}
