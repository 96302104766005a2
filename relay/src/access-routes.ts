/**
 * The HTTP routes of access: `POST <base>/api/login` (a token for a session cookie) and
 * `POST /api/logout`; `GET /api/me`; the admin's `GET`/`POST /api/tokens`,
 * `DELETE /api/tokens/:name` and `GET /api/audit`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, parseJson } from '@sentiero/protocol';
import type { Role } from '@sentiero/storage';
import { principalOf, requireRole } from './auth.ts';
import { AuditAction, addressOf } from './audit.ts';
import { readBodyBytes } from './body.ts';
import { RelayError } from './errors.ts';
import { KeyedRateLimiter } from './rate-limit.ts';
import { type HttpContext, pathSegment, sendJson } from './respond.ts';

/** Sign-in attempts per client address: one a second, in bursts of ten. */
const LOGIN_RATE = 1;
const LOGIN_WINDOW_MS = 10_000;
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parsed = parseJson((await readBodyBytes(req, 4096)).toString('utf8'));
  if (!parsed.ok) throw new RelayError(parsed.code, parsed.message);
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the body must be a JSON object');
  return parsed.value as Record<string, unknown>;
}

/** Creates the access routes; each returns false when the path is not one of its own. */
export function createAccessRoutes(ctx: HttpContext) {
  const { access, auditor } = ctx;
  const limiter = new KeyedRateLimiter(LOGIN_RATE, LOGIN_WINDOW_MS);

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A page of another site may not sign this browser in (the cookie it would set is SameSite=Strict, but the sign-in itself is refused).
    if (req.headers['sec-fetch-site'] === 'cross-site') throw new RelayError(ErrorCode.CSRF_REQUIRED, 'sign in from the dashboard itself');
    if (!limiter.take(addressOf(req))) throw new RelayError(ErrorCode.RATE_LIMITED, 'too many sign-in attempts; wait a little');
    const body = await jsonBody(req);
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const who = token ? access.byToken(token) : undefined;
    if (!who) {
      auditor.note(AuditAction.LOGIN_FAILURE, 'login', undefined, addressOf(req));
      throw new RelayError(ErrorCode.UNAUTHORIZED, 'the relay does not know that token');
    }
    const session = access.login(who);
    const me = { name: session.name, role: session.role, via: 'cookie' as const };
    await auditor.write(AuditAction.LOGIN, who.name, me, addressOf(req));
    sendJson(res, 200, { name: session.name, role: session.role, csrf: session.csrf, expires: session.expires }, { 'set-cookie': access.cookies(req, session) });
  }

  async function tokens(req: IncomingMessage, res: ServerResponse, parts: string[], cors: Record<string, string>): Promise<void> {
    const method = req.method ?? 'GET';
    requireRole(req, 'admin');
    if (parts.length === 1) {
      if (method === 'GET') return sendJson(res, 200, { tokens: access.tokens() }, cors);
      if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the tokens or POST { name, role } to create one');
      const body = await jsonBody(req);
      const name = body.name;
      const role = body.role ?? 'viewer';
      if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'body.name must be 1–64 of A-Z, a-z, 0-9, ".", "_", "-"');
      if (role !== 'viewer' && role !== 'admin') throw new RelayError(ErrorCode.INVALID_MESSAGE, 'body.role must be "viewer" or "admin"');
      const token = await access.createToken(name, role as Role);
      await ctx.audit(req, AuditAction.TOKEN_CREATE, `${name}:${role}`);
      return sendJson(res, 201, { name, role, token }, cors);
    }
    const name = pathSegment(parts[1]);
    if (parts.length !== 2 || !NAME_RE.test(name)) throw new RelayError(ErrorCode.NOT_FOUND, 'no such token');
    if (method !== 'DELETE') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'DELETE a token to revoke it');
    if (!(await access.revokeToken(name))) throw new RelayError(ErrorCode.NOT_FOUND, `no token named "${name}"`);
    await ctx.audit(req, AuditAction.TOKEN_REVOKE, name);
    res.writeHead(204, cors);
    res.end();
  }

  async function audit(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, cors: Record<string, string>): Promise<void> {
    requireRole(req, 'admin');
    if ((req.method ?? 'GET') !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the audit log');
    const before = query.get('before');
    const limit = query.get('limit');
    const b = before ? Number(before) : undefined;
    const l = limit ? Math.max(1, Math.min(1000, Math.floor(Number(limit)))) : 100;
    if ((b !== undefined && (!Number.isSafeInteger(b) || b < 1)) || !Number.isFinite(l)) {
      throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the "before" and "limit" parameters must be positive integers');
    }
    await ctx.audit(req, AuditAction.AUDIT_READ, '*');
    const page = await ctx.store.readAudit({ before: b, limit: l });
    const entries = page.entries.map(({ at, action, target, token, address }) => ({ at, action, target, token, address }));
    sendJson(res, 200, page.next === undefined ? { entries } : { entries, next: String(page.next) }, cors);
  }

  return {
    /** `POST /api/login`, which takes no credential but a token in its body; false for any other path. */
    async open(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<boolean> {
      if (parts.length !== 1 || parts[0] !== 'login') return false;
      if (req.method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'POST { token } to sign in');
      await ctx.ready;
      await login(req, res);
      return true;
    },

    /** The signed-in routes of access; false for any other path. */
    async api(req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams, cors: Record<string, string>): Promise<boolean> {
      const method = req.method ?? 'GET';
      if (parts.length === 1 && parts[0] === 'logout') {
        if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'POST to sign out');
        await ctx.audit(req, AuditAction.LOGOUT, principalOf(req)?.name ?? '-');
        access.logout(req);
        res.writeHead(204, { ...cors, 'set-cookie': access.clearCookies(req) });
        res.end();
        return true;
      }
      if (parts.length === 1 && parts[0] === 'me') {
        if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET who you are signed in as');
        const who = principalOf(req)!;
        sendJson(res, 200, { name: who.name, role: who.role, via: who.via }, cors);
        return true;
      }
      if (parts[0] === 'tokens') {
        await tokens(req, res, parts, cors);
        return true;
      }
      if (parts.length === 1 && parts[0] === 'audit') {
        await audit(req, res, query, cors);
        return true;
      }
      return false;
    },
  };
}
