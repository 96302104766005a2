/** Credential checks: constant-time comparison, bearer parsing, origin policy. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { OriginPolicy } from './options.ts';

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

/** Whether a request's `Origin` may send events. No `Origin` (not a browser) is allowed: browsers always send one. */
export function originAllowed(req: IncomingMessage, policy: OriginPolicy | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (policy === '*') return true;
  if (typeof policy === 'function') return policy(origin);
  if (policy) return policy.includes(origin);
  // Default: the relay's own origin, i.e. the page came from the same host.
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
