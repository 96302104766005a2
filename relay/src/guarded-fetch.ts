/**
 * The one guarded fetch of the relay's asset proxy and of asset capture: it must not become a
 * way into the relay's network. Only http(s), no credentials in the URL; the host is resolved
 * first and every address checked (loopback, private, link-local, cloud metadata, multicast and
 * reserved ranges are refused unless the origin may be private), then the connection is made to
 * the checked address (no second lookup to rebind); each redirect is checked again (an origin
 * allowlist too, when there is one); no cookie, credential or referrer is sent; the answer must
 * be 200 with an image, font or CSS type, under a size and a time cap.
 */
import { type LookupAddress, lookup as dnsLookup } from 'node:dns';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { ErrorCode } from '@sentiero/protocol';
import { RelayError } from './errors.ts';

/** Redirects followed, each checked like the first URL. */
export const MAX_ASSET_REDIRECTS = 3;
/** The header the proxy's own requests carry; a request that carries it is refused (no proxy loops through the relay itself). */
export const PROXY_HEADER = 'x-sentiero-asset-proxy';

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

const FONT_TYPES = new Set(['application/font-woff', 'application/font-woff2', 'application/x-font-woff', 'application/x-font-ttf', 'application/x-font-otf', 'application/x-font-opentype', 'application/x-font-truetype', 'application/vnd.ms-fontobject', 'application/font-sfnt']);

/** The content type to answer with, or undefined when the asset is not an image, a font or CSS. */
export function assetType(header: string | undefined): string | undefined {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (/^image\/[a-z0-9.+-]+$/.test(type) || /^font\/[a-z0-9.+-]+$/.test(type) || FONT_TYPES.has(type)) return type;
  if (type === 'text/css') return 'text/css; charset=utf-8';
  return undefined;
}

/** One upstream answer, read whole (under the size cap). */
export interface Fetched {
  type: string;
  body: Buffer;
  /** The URL after redirects (what relative URLs in CSS resolve against). */
  url: URL;
}

/** What a guarded fetch may reach, and its caps. */
export interface GuardedFetchOptions {
  /** Whether URLs of `origin` may be fetched although the host is (or resolves to) a loopback, private or reserved address. */
  privateOk(origin: string): boolean;
  /** When given, every URL (redirects included) must have an origin it accepts, or the fetch is `SENTIERO_FORBIDDEN`. */
  originOk?(origin: string): boolean;
  /** Largest answer, in bytes (`SENTIERO_PAYLOAD_TOO_LARGE` beyond). */
  maxBytes: number;
  /** Longest time for one asset, redirects included, in ms (`SENTIERO_ASSET_FAILED` beyond). */
  timeoutMs: number;
}

/** Fetches one asset under the guards; rejects with a coded `RelayError` (`SENTIERO_FORBIDDEN`, `SENTIERO_ASSET_FAILED`, `SENTIERO_PAYLOAD_TOO_LARGE`, `SENTIERO_INVALID_MESSAGE`). */
export type GuardedFetch = (url: URL) => Promise<Fetched>;

/** A guarded fetch with these rules. */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  /** Checks a URL the proxy is asked to (or redirected to) fetch; returns whether its origin may be private. */
  function check(url: URL): boolean {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the asset proxy fetches http(s) URLs only');
    if (url.username || url.password) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the asset proxy does not send credentials');
    if (options.originOk && !options.originOk(url.origin)) throw new RelayError(ErrorCode.FORBIDDEN, `${url.origin} is not an allowed origin`);
    const privateOk = options.privateOk(url.origin);
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
    const timer = setTimeout(() => abort.abort(new RelayError(ErrorCode.ASSET_FAILED, `the asset took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
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
        const tooBig = () => new RelayError(ErrorCode.PAYLOAD_TOO_LARGE, `the asset is larger than ${options.maxBytes} bytes`);
        if (declared > options.maxBytes) {
          res.destroy();
          throw tooBig();
        }
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > options.maxBytes) {
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

  return fetchAsset;
}
