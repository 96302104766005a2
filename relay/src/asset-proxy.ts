/**
 * The viewer's asset proxy, `GET <base>/api/assets?k=<key>&url=<url>`: the images, fonts and
 * stylesheets a replay refers to are fetched by the relay, so the recorded site never learns
 * who watched (see docs/viewer-privacy.md). It must not become a way into the relay's network:
 * only http(s); the host is resolved first and every address checked (loopback, private,
 * link-local, cloud metadata, multicast and reserved ranges are refused unless the origin is
 * allowlisted), then the connection is made to the checked address (no second lookup to
 * rebind); each redirect is checked again; no cookie, credential or referrer is sent; the answer
 * must be 200 with an image, font or CSS type, under a size and a time cap. URLs inside proxied
 * CSS (`url()`, `@import`) are rewritten to come back through the proxy.
 */
import { createHmac } from 'node:crypto';
import { type LookupAddress, lookup as dnsLookup } from 'node:dns';
import { type IncomingMessage, type ServerResponse, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { type AssetPolicy, ErrorCode, mapAssetUrl, rewriteCssUrls } from '@sentiero/protocol';
import { safeEqual } from './auth.ts';
import { RelayError } from './errors.ts';
import type { ResolvedOptions } from './options.ts';
import { sendError } from './respond.ts';

/** Requests the proxy works on at once; more are answered `SENTIERO_RATE_LIMITED`. */
export const MAX_CONCURRENT_ASSETS = 32;
/** Redirects followed, each checked like the first URL. */
export const MAX_ASSET_REDIRECTS = 3;
/** The header the proxy's own requests carry; a request that carries it is refused (no proxy loops through the relay itself). */
const PROXY_HEADER = 'x-sentiero-asset-proxy';

/** Address ranges the proxy never connects to, unless the origin is in `assetProxy.allowPrivateOrigins`. */
const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(net, bits, 'ipv6');

/** The IPv4 address an IPv6 one carries (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, compatible `::a.b.c.d`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether the proxy may connect to `address` (an IP literal): false for loopback, private, link-local, metadata, multicast and reserved ranges. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !BLOCKED.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined) return isPublicAddress(v4);
  return !BLOCKED.check(address, 'ipv6');
}

/** The asset proxy's key for a viewer token: it opens the proxy and nothing else, and is the same on every instance sharing the token. */
export function assetKey(token: string): string {
  return createHmac('sha256', token).update('sentiero asset proxy v1').digest('base64url');
}

const FONT_TYPES = new Set(['application/font-woff', 'application/font-woff2', 'application/x-font-woff', 'application/x-font-ttf', 'application/x-font-otf', 'application/x-font-opentype', 'application/x-font-truetype', 'application/vnd.ms-fontobject', 'application/font-sfnt']);

/** The content type to answer with, or undefined when the asset is not an image, a font or CSS. */
export function assetType(header: string | undefined): string | undefined {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (/^image\/[a-z0-9.+-]+$/.test(type) || /^font\/[a-z0-9.+-]+$/.test(type) || FONT_TYPES.has(type)) return type;
  if (type === 'text/css') return 'text/css; charset=utf-8';
  return undefined;
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

/** One upstream answer, read whole (under the size cap). */
interface Fetched {
  type: string;
  body: Buffer;
  /** The URL after redirects (what relative URLs in CSS resolve against). */
  url: URL;
}

/** The asset proxy's routes. */
export interface AssetProxy {
  /** `GET <base>/api/assets/policy` (behind the viewer token): the mode and, in proxy mode, the key. */
  policy(): AssetPolicy;
  /** `GET <base>/api/assets?k=&url=` (its own check: the key or the viewer token). Answers every request it is given. */
  serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void>;
}

/** Creates the proxy for the relay's options. */
export function createAssetProxy(options: ResolvedOptions, authenticate: (req: IncomingMessage) => unknown): AssetProxy {
  const { viewerAssets: mode, assetProxy: limits, basePath } = options;
  const key = assetKey(options.token);
  const allowed = new Set(limits.allowPrivateOrigins);
  let inflight = 0;

  /** A URL of a proxied stylesheet, made to come back through the proxy (root-relative: it resolves against the relay). */
  const cssUrl = (raw: string, base: URL): string =>
    mapAssetUrl(raw, base, (abs) => `${basePath}/api/assets?k=${encodeURIComponent(key)}&url=${encodeURIComponent(abs)}`);

  /** Checks a URL the proxy is asked to (or redirected to) fetch; returns whether its origin may be private. */
  function check(url: URL): boolean {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the asset proxy fetches http(s) URLs only');
    if (url.username || url.password) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the asset proxy does not send credentials');
    const privateOk = allowed.has(url.origin);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !privateOk && !isPublicAddress(host)) throw new RelayError(ErrorCode.FORBIDDEN, `the asset proxy does not fetch from ${host} (a loopback, private, link-local or reserved address)`);
    return privateOk;
  }

  /** A `lookup` that resolves once, refuses private answers, and hands the socket the checked address. */
  const pinnedLookup = (privateOk: boolean) =>
    (hostname: string, opts: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
      dnsLookup(hostname, { all: true }, (err, addresses) => {
        if (err) return cb(err, '');
        const usable = privateOk ? addresses : addresses.filter((a) => isPublicAddress(a.address));
        const first = usable[0];
        if (!first) return cb(new RelayError(ErrorCode.FORBIDDEN, `the asset proxy does not fetch from ${hostname}: it resolves to a loopback, private, link-local or reserved address`), '');
        if (opts.all) cb(null, [first]);
        else cb(null, first.address, first.family);
      });
    };

  function fetchOnce(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    const privateOk = check(url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'GET',
        signal,
        lookup: pinnedLookup(privateOk) as never,
        agent: false,
        headers: { accept: 'image/*,font/*,text/css;q=0.9', 'user-agent': 'Sentiero-asset-proxy/1', [PROXY_HEADER]: '1' },
      }, resolve);
      req.on('error', reject);
      req.end();
    });
  }

  async function fetchAsset(start: URL): Promise<Fetched> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new RelayError(ErrorCode.ASSET_FAILED, `the asset took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);
    try {
      let url = start;
      for (let hop = 0; ; hop++) {
        const res = await fetchOnce(url, abort.signal).catch((err: unknown) => {
          if (err instanceof RelayError) throw err;
          if (abort.signal.aborted && abort.signal.reason instanceof RelayError) throw abort.signal.reason;
          throw new RelayError(ErrorCode.ASSET_FAILED, `the asset could not be fetched: ${(err as Error).message}`);
        });
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (hop >= MAX_ASSET_REDIRECTS) throw new RelayError(ErrorCode.ASSET_FAILED, `more than ${MAX_ASSET_REDIRECTS} redirects`);
          url = new URL(res.headers.location, url);
          continue;
        }
        if (status !== 200) {
          res.resume();
          throw new RelayError(ErrorCode.ASSET_FAILED, `the asset's server answered ${status}`);
        }
        const type = assetType(res.headers['content-type']);
        if (!type) {
          res.resume();
          throw new RelayError(ErrorCode.ASSET_FAILED, `not an image, a font or CSS (${String(res.headers['content-type'] ?? 'no type').slice(0, 100)})`);
        }
        const declared = Number(res.headers['content-length']);
        const tooBig = () => new RelayError(ErrorCode.PAYLOAD_TOO_LARGE, `the asset is larger than ${limits.maxBytes} bytes`);
        if (declared > limits.maxBytes) {
          res.destroy();
          throw tooBig();
        }
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > limits.maxBytes) {
              res.destroy();
              throw tooBig();
            }
            chunks.push(chunk);
          }
        } catch (err) {
          if (err instanceof RelayError) throw err;
          if (abort.signal.aborted && abort.signal.reason instanceof RelayError) throw abort.signal.reason;
          throw new RelayError(ErrorCode.ASSET_FAILED, `the asset could not be read: ${(err as Error).message}`);
        }
        return { type, body: Buffer.concat(chunks), url };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    policy() {
      return mode === 'proxy' ? { mode, key } : { mode };
    },
    async serve(req, res, query) {
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET an asset');
        if (mode !== 'proxy') throw new RelayError(ErrorCode.NOT_FOUND, 'the asset proxy is off (viewerAssets: "block")');
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
        if (inflight >= MAX_CONCURRENT_ASSETS) throw new RelayError(ErrorCode.RATE_LIMITED, 'too many assets at once; try again');
        inflight++;
        let got: Fetched;
        try {
          got = await fetchAsset(target);
        } finally {
          inflight--;
        }
        const body = got.type.startsWith('text/css')
          ? Buffer.from(rewriteCssUrls(got.body.toString('utf8'), (u) => cssUrl(u, got.url)), 'utf8')
          : got.body;
        res.writeHead(200, { ...SERVE_HEADERS, 'content-type': got.type, 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (err) {
        if (err instanceof RelayError) return sendError(res, err, { 'cache-control': 'no-store' });
        options.logger.error('the asset proxy failed', err);
        return sendError(res, new RelayError(ErrorCode.INTERNAL, 'the asset proxy failed; see the relay log'));
      }
    },
  };
}
