/** Credential checks: constant-time comparison, bearer parsing, origin policy. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Compares two secrets in time that does not depend on where they differ (hashes first, so lengths leak nothing either). */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/**
 * The ingest key a request carries, if any: `Authorization: Bearer <key>`, `X-Sentiero-Key`,
 * Sentry's `X-Sentry-Auth: Sentry sentry_key=<key>, …`, or `sentry_key` in the query string
 * (how Sentry's browser SDK sends it).
 */
export function ingestKeyOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const direct = req.headers['x-sentiero-key'];
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  const token = bearer(req);
  if (token !== undefined) return token;
  const sentry = req.headers['x-sentry-auth'];
  if (typeof sentry === 'string') {
    const m = /(?:^|[\s,])sentry_key\s*=\s*([^\s,]+)/i.exec(sentry);
    if (m) return m[1];
  }
  return query.get('sentry_key') ?? undefined;
}

/** Who may send events: origins (`https://app.example`, compared by scheme, host and port), `'*'` for any, or a predicate. */
export type OriginPolicy = readonly string[] | '*' | ((origin: string) => boolean);

/** An origin as `scheme://host[:port]` (default port left out), or undefined when `text` is not an http(s) origin. */
export function normalizeOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  return url.origin;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The origins a page served by this very server on a loopback address has: scheme and port are those the request came in on. */
function loopbackOrigins(req: IncomingMessage): string[] {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  const port = req.socket.localPort;
  if (port === undefined) return [];
  return LOOPBACK_HOSTS.map((h) => new URL(`${scheme}://${h}:${port}`).origin);
}

/**
 * Whether a request's `Origin` may send events: scheme, host and port compared with the
 * allowed origins (normalized by `resolveOptions`), never with the `Host` header, which a
 * DNS-rebinding page controls. With no policy, only pages of this server on a loopback
 * address (`http://localhost:<port>`, `127.0.0.1`, `[::1]`, the port and scheme the request
 * came in on) may. No `Origin` (not a browser) is allowed: browsers always send one.
 */
export function originAllowed(req: IncomingMessage, policy: OriginPolicy | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (policy === '*') return true;
  if (typeof policy === 'function') return policy(origin);
  const given = normalizeOrigin(origin);
  if (given === undefined) return false;
  return (policy ?? loopbackOrigins(req)).includes(given);
}
