/** Credential checks: constant-time comparison, bearer parsing, origin policy, roles and who a request is. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ErrorCode } from '@sentiero/protocol';
import type { Role } from '@sentiero/storage';
import { RelayError } from './errors.ts';

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

/** Who a request or a watch socket is: the name and role of the token it was signed in with, and how it presented it. */
export interface Principal {
  /** The token's name (`default` for the `token` option), as the audit log shows it. */
  name: string;
  role: Role;
  /** `bearer`: the token itself (DevTools, VS Code, CLI); `cookie`: the dashboard's session cookie and request token. */
  via: 'bearer' | 'cookie';
}

/** What each role may do, in rising order: an admin may do all a viewer may. */
const RANK: Record<Role, number> = { viewer: 1, admin: 2 };

const principals = new WeakMap<IncomingMessage, Principal>();

/** Remembers who signed a request in (the API guard calls it once per request). */
export function setPrincipal(req: IncomingMessage, who: Principal): void {
  principals.set(req, who);
}

/** Who signed a request in, or undefined when nobody did. */
export function principalOf(req: IncomingMessage): Principal | undefined {
  return principals.get(req);
}

/**
 * The guard of every route that changes or removes data: returns who signed the request in
 * when their role is at least `role`; throws `SENTIERO_UNAUTHORIZED` (401) when nobody did and
 * `SENTIERO_ROLE_REQUIRED` (403) for a role below it. One line at the top of a route:
 * `requireRole(req, 'admin')`.
 */
export function requireRole(req: IncomingMessage, role: Role): Principal {
  const who = principals.get(req);
  if (!who) throw new RelayError(ErrorCode.UNAUTHORIZED, 'sign in first');
  if (RANK[who.role] < RANK[role]) throw new RelayError(ErrorCode.ROLE_REQUIRED, `the ${who.role} token "${who.name}" may not do this; it takes an ${role} token`);
  return who;
}

/** SHA-256 of a token as lowercase hex: all a relay keeps of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares two SHA-256 hex digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/** The value of one cookie of a request, if it has it. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether the request came in over TLS, to this server or (per `X-Forwarded-Proto`) to a proxy in front of it. */
export function isHttps(req: IncomingMessage): boolean {
  return Boolean((req.socket as Partial<TLSSocket>).encrypted) || req.headers['x-forwarded-proto'] === 'https';
}
