/**
 * The relay's HTTP routes under the base path: the REST API (a token, or the dashboard's sign-in), the HTTP ingest
 * fallback, the recorder script and the dashboard.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ErrorCode, isValidId, parseJson, validateIngestPost } from '@sentiero/protocol';
import type { ListOptions } from '@sentiero/storage';
import { createAccessRoutes } from './access-routes.ts';
import { AuditAction, addressOf } from './audit.ts';
import { originAllowed, requireRole, setPrincipal } from './auth.ts';
import { decodeIngestBody, readBodyBytes } from './body.ts';
import { RelayError } from './errors.ts';
import { toSummary } from './hub.ts';
import { parseIngestPost } from './frame-text.ts';
import { ingestOne, metaFromRequest } from './ingest.ts';
import { KeyedRateLimiter } from './rate-limit.ts';
import { createAssetProxy } from './asset-proxy.ts';
import { createErrorRoutes } from './error-routes.ts';
import { createPrivacyRoutes } from './privacy/routes.ts';
import { createAnalyticsRoutes } from './analytics-routes.ts';
import { sendExport } from './export.ts';
import { distFile, NOT_BUILT } from './dist-file.ts';
import { type HttpContext, batchLine, drained, pathSegment, sendError, sendJson } from './respond.ts';

const RECORDER_JS = distFile('@sentiero/recorder/iife');
const DASHBOARD_JS = distFile('@sentiero/viewer/dist/dashboard.js');
const VIEWER_DIST = DASHBOARD_JS && path.dirname(DASHBOARD_JS);

/** Why the browser bundles the relay serves cannot be found, or undefined when they can (the warning at start-up). */
export function missingBundles(dashboard: boolean): string | undefined {
  const missing = [RECORDER_JS ? '' : '@sentiero/recorder/dist/recorder.iife.js', dashboard && !DASHBOARD_JS ? '@sentiero/viewer/dist/dashboard.js' : ''].filter(Boolean);
  return missing.length ? `${missing.join(' and ')} not found: ${NOT_BUILT}` : undefined;
}

/**
 * Headers of every answer under the base path: no page of the app (same origin) may frame one
 * or keep a handle on one it opened, so none can read the cookies scoped to the base path
 * through a document under it (docs/security.md).
 */
const ISOLATION_HEADERS = {
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
} as const;

/** The Content-Security-Policy of the dashboard: only its own scripts; recorded content only inside rrweb's sandboxed iframe. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Viewer privacy: a replay's remote assets come through the relay's asset proxy ('self') or not at all,
  // never from the recorded site; rrweb's about:blank iframe inherits this policy.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "media-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "frame-src 'self' blob: about:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function num(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new RelayError(ErrorCode.INVALID_MESSAGE, `the "${key}" parameter must be a number`);
  return n;
}

function bool(q: URLSearchParams, key: string): boolean | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new RelayError(ErrorCode.INVALID_MESSAGE, `the "${key}" parameter must be true or false`);
}

function dashboardHtml(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sentiero</title>
<link rel="stylesheet" href="${base}/assets/dashboard.css">
</head>
<body>
<div id="app" data-base="${base}"></div>
<script type="module" src="${base}/assets/dashboard.js"></script>
</body>
</html>
`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string | undefined, cache: string): Promise<void> {
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) {
    sendError(res, new RelayError(ErrorCode.NOT_FOUND, `not found: ${NOT_BUILT}`));
    return;
  }
  const etag = `"${info.size.toString(36)}-${info.mtimeMs.toString(36)}"`;
  const headers = {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': cache,
    etag,
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

/** Creates the request handler for paths under the base; it answers every request it is given. */
export function createRoutes(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams) => Promise<void> {
  const { options, store, hub } = ctx;
  const base = options.basePath;
  const limits = options.limits;
  const ingestLimiter = new KeyedRateLimiter(limits.maxMessagesPerSecond, limits.rateWindowMs);
  const errorRoutes = createErrorRoutes(ctx);
  const accessRoutes = createAccessRoutes(ctx);
  const privacyRoutes = createPrivacyRoutes(ctx.privacy, ctx.pruner, (req, action, target) => ctx.audit(req, action, target));
  const analyticsRoutes = createAnalyticsRoutes(ctx);
  const assets = createAssetProxy(options, (req) => ctx.access.authenticate(req), ctx.assets);
  const apiCors = (req: IncomingMessage): Record<string, string> =>
    req.headers.origin ? { 'access-control-allow-origin': '*', vary: 'origin' } : {};

  async function ingestPost(req: IncomingMessage, res: ServerResponse) {
    const cors: Record<string, string> = req.headers.origin ? { 'access-control-allow-origin': req.headers.origin, vary: 'origin' } : {};
    if (!originAllowed(req, options.allowedOrigins)) {
      throw new RelayError(ErrorCode.ORIGIN_NOT_ALLOWED, `origin ${req.headers.origin} may not send events here`);
    }
    if (!ingestLimiter.take(req.socket.remoteAddress ?? '')) throw new RelayError(ErrorCode.RATE_LIMITED, 'too many requests; slow down');
    const body = await decodeIngestBody(await readBodyBytes(req, limits.maxPayloadBytes), req.headers['content-encoding'], limits.maxPayloadBytes);
    const text = body.toString('utf8');
    // A body as the recorder writes it is parsed by its parts, and its events' text is then stored as it is if nothing changes them.
    const post = parseIngestPost(text);
    const parsed = post ? { ok: true as const, value: post.message } : parseJson(text);
    if (!parsed.ok) throw new RelayError(parsed.code, parsed.message);
    const checked = validateIngestPost(parsed.value, limits);
    if (!checked.ok) throw new RelayError(checked.code, checked.message);
    const b = checked.value;
    const eventsJson = post?.eventsJson;
    await ingestOne(ctx, { ...b, meta: b.meta ?? metaFromRequest(req, b.events), bytes: body.length, ...(eventsJson !== undefined ? { eventsJson } : {}) });
    sendJson(res, 200, { ack: b.seq }, cors);
  }

  async function listSessions(q: URLSearchParams, res: ServerResponse, cors: Record<string, string>) {
    const opts: ListOptions = {};
    const from = num(q, 'from');
    if (from !== undefined) opts.from = from;
    const to = num(q, 'to');
    if (to !== undefined) opts.to = to;
    const url = q.get('url');
    if (url) opts.urlContains = url.slice(0, 512);
    const hasErrors = bool(q, 'hasErrors');
    if (hasErrors !== undefined) opts.hasErrors = hasErrors;
    const user = q.get('user');
    if (user) opts.userId = user.slice(0, 256);
    const minDuration = num(q, 'minDuration');
    if (minDuration !== undefined) opts.minDurationMs = minDuration;
    const limit = num(q, 'limit');
    if (limit !== undefined) opts.limit = Math.max(1, Math.min(500, Math.floor(limit)));
    const cursor = q.get('cursor');
    if (cursor) opts.cursor = cursor.slice(0, 512);
    const live = bool(q, 'live');
    if (live) {
      // Live sessions are few and known in memory: no need to page through the store.
      const records = await Promise.all(hub.liveSessionIds().map((id) => store.getSession(id)));
      const sessions = records
        .filter((r): r is NonNullable<typeof r> => r !== undefined)
        .map((r) => toSummary(r, true))
        .filter((s) => (opts.urlContains ? s.pages.some((p) => p.toLowerCase().includes(opts.urlContains!.toLowerCase())) : true))
        .filter((s) => opts.userId === undefined || s.userId === opts.userId)
        .sort((a, b) => b.startedAt - a.startedAt);
      sendJson(res, 200, { sessions }, cors);
      return;
    }
    const page = await store.listSessions(opts);
    let sessions = page.sessions.map((r) => toSummary(r, hub.isLive(r.id)));
    if (live === false) sessions = sessions.filter((s) => !s.live);
    sendJson(res, 200, page.next ? { sessions, next: page.next } : { sessions }, cors);
  }

  async function streamEvents(id: string, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>) {
    if (!(await store.getSession(id))) throw new RelayError(ErrorCode.NOT_FOUND, `no session ${id}`);
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...cors });
    let aborted = false;
    res.on('close', () => { aborted = !res.writableFinished; });
    // The events go out as the store keeps them: no parse and stringify of every batch on the app's event loop.
    for await (const b of store.readBatchesJson(id)) {
      if (aborted) return;
      const line = batchLine(b);
      if (!res.write(line)) await drained(res);
    }
    res.end();
  }

  return async function route(req, res, pathname, query): Promise<void> {
    const method = req.method ?? 'GET';
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    try {
      if (ctx.isClosing()) throw new RelayError(ErrorCode.SHUTTING_DOWN, 'the relay is shutting down');
      if (pathname === '' && (method === 'GET' || method === 'HEAD')) {
        res.writeHead(301, { location: `${base}/` });
        res.end();
        return;
      }
      if (pathname === '/health') return sendJson(res, 200, { ok: true });
      if (pathname === '/recorder.js' || pathname === '/recorder.js.map') {
        const file = RECORDER_JS && (pathname.endsWith('.map') ? `${RECORDER_JS}.map` : RECORDER_JS);
        return await sendFile(req, res, file, 'public, max-age=300');
      }
      if (pathname === '/ingest') {
        if (method === 'OPTIONS') {
          res.writeHead(204, {
            'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-methods': 'POST',
            'access-control-allow-headers': 'content-type', 'access-control-max-age': '600', vary: 'origin',
          });
          { res.end(); return; }
        }
        if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'POST a batch here, or open a WebSocket');
        await ctx.ready;
        return await ingestPost(req, res);
      }
      if (pathname.startsWith('/api/')) {
        // Routes that take the ingest key (error reports, source maps, Sentry envelopes) come before the token guard; so does the sign-in, which takes a token in its body.
        if (await errorRoutes.ingest(req, res, pathname.slice('/api/'.length).split('/'), query)) return;
        // The asset proxy is loaded by <img>, <link> and CSS, which send no Authorization header: it checks its own key.
        if (pathname === '/api/assets') return await assets.serve(req, res, query);
        if (await accessRoutes.open(req, res, pathname.slice('/api/'.length).split('/'))) return;
        const cors = apiCors(req);
        if (method === 'OPTIONS') {
          res.writeHead(204, {
            ...cors, 'access-control-allow-methods': 'GET, DELETE, POST, PATCH, PUT', 'access-control-allow-headers': 'authorization, content-type',
            'access-control-max-age': '600',
          });
          { res.end(); return; }
        }
        await ctx.ready;
        try {
          const who = ctx.access.authenticate(req);
          setPrincipal(req, who);
          if (who.via === 'bearer') ctx.auditor.used(who, addressOf(req));
        } catch (err) {
          if (err instanceof RelayError && err.code === ErrorCode.UNAUTHORIZED) ctx.auditor.failed(addressOf(req), `${method} ${pathname}`);
          return sendError(res, err as RelayError, { ...cors, 'www-authenticate': 'Bearer realm="sentiero"' });
        }
        const parts = pathname.slice('/api/'.length).split('/');
        if (await accessRoutes.api(req, res, parts, query, cors)) return;
        if (await errorRoutes.api(req, res, parts, query, cors)) return;
        if (await analyticsRoutes.api(req, res, parts, query, cors)) return;
        // Privacy operations: erase and prune (admin, audited), storage figures.
        if (await privacyRoutes.api(req, res, parts, cors)) return;
        if (parts[0] === 'assets' && parts[1] === 'policy' && parts.length === 2) {
          if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the asset policy');
          return sendJson(res, 200, assets.policy(), cors);
        }
        if (parts[0] === 'sessions') {
          if (parts.length === 1) {
            if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the sessions');
            await ctx.audit(req, AuditAction.SESSION_LIST, '*');
            return await listSessions(query, res, cors);
          }
          const id = pathSegment(parts[1]);
          if (!isValidId(id)) throw new RelayError(ErrorCode.NOT_FOUND, 'no such session');
          if (parts.length === 2) {
            if (method === 'GET') {
              await ctx.audit(req, AuditAction.SESSION_LIST, id);
              const r = await store.getSession(id);
              if (!r) throw new RelayError(ErrorCode.NOT_FOUND, `no session ${id}`);
              return sendJson(res, 200, toSummary(r, hub.isLive(id)), cors);
            }
            if (method === 'DELETE') {
              requireRole(req, 'admin');
              await ctx.audit(req, AuditAction.ERASE, id);
              if (!(await ctx.deleteSession(id))) throw new RelayError(ErrorCode.NOT_FOUND, `no session ${id}`);
              res.writeHead(204, cors);
              { res.end(); return; }
            }
            throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET or DELETE a session');
          }
          if (parts.length === 3 && parts[2] === 'export.html') {
            if (method !== 'GET' && method !== 'HEAD') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the export');
            await ctx.audit(req, AuditAction.EXPORT, id);
            return await sendExport(ctx, id, req, res, cors);
          }
          if (parts.length === 3 && parts[2] === 'events') {
            if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the events');
            await ctx.audit(req, AuditAction.SESSION_READ, id);
            return await streamEvents(id, req, res, cors);
          }
        }
        throw new RelayError(ErrorCode.NOT_FOUND, `no route ${method} ${base}${pathname}`);
      }
      if (options.dashboard && (method === 'GET' || method === 'HEAD')) {
        if (pathname === '/') {
          const html = dashboardHtml(base);
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': DASHBOARD_CSP,
            'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
          });
          { res.end(method === 'HEAD' ? undefined : html); return; }
        }
        if (pathname.startsWith('/assets/')) {
          const name = pathname.slice('/assets/'.length);
          if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) throw new RelayError(ErrorCode.NOT_FOUND, 'no such asset');
          return await sendFile(req, res, VIEWER_DIST && path.join(VIEWER_DIST, name), 'no-cache');
        }
      }
      throw new RelayError(ErrorCode.NOT_FOUND, `no route ${method} ${base}${pathname}`);
    } catch (err) {
      if (err instanceof RelayError) return sendError(res, err);
      options.logger.error(`${method} ${base}${pathname} failed`, err);
      return sendError(res, new RelayError(ErrorCode.INTERNAL, 'the relay failed to answer; see its log'));
    }
  };
}
