/**
 * The HTTP routes of error tracking. With the ingest key: `POST <base>/api/errors`,
 * `POST <base>/api/sourcemaps`, and Sentry's `<base>/api/<project>/envelope/` and
 * `/store/`. With a token (reads: viewer; status changes: admin): the error groups (`GET /api/errors`, `GET` and `PATCH
 * /api/errors/:id`) and a session's errors (`GET /api/sessions/:id/errors`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ErrorCode, ErrorStatus, isValidId, parseJson, validateErrorReport, validateErrorStatusChange,
  type ErrorGroup, type SessionError,
} from '@sentiero/protocol';
import { StoreError, StoreErrorCode, type ErrorListOptions } from '@sentiero/storage';
import { AuditAction } from './audit.ts';
import { ingestKeyOf, requireRole, safeEqual } from './auth.ts';
import { decodeBody, readBodyBytes } from './body.ts';
import { RelayError } from './errors.ts';
import { type HttpContext, pathSegment, sendError, sendJson } from './respond.ts';
import { ingestOne } from './ingest.ts';
import { KeyedRateLimiter } from './rate-limit.ts';
import { type EnvelopeWork, envelopeWork, parseEnvelope, storeWork } from './sentry.ts';
import type { ErrorInput } from './tracker.ts';

/** Headers of every answer to a Sentry route: SDKs in browsers read the status and the rate-limit headers. */
const SENTRY_CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-sentry-error, x-sentry-rate-limits, retry-after',
};

const STATUSES = new Set<string>(Object.values(ErrorStatus));
/** A project id as Sentry SDKs accept it in a DSN: digits. */
const PROJECT_RE = /^\d{1,20}$/;

function json(body: Buffer): unknown {
  const parsed = parseJson(body.toString('utf8'));
  if (!parsed.ok) throw new RelayError(parsed.code, parsed.message);
  return parsed.value;
}

/** A store's argument error as a 400; anything else as it is. */
function fromStore(err: unknown): unknown {
  if (err instanceof StoreError && err.code === StoreErrorCode.INVALID_ARGUMENT) return new RelayError(ErrorCode.INVALID_MESSAGE, err.message);
  return err;
}

/** Creates the error routes; each returns false when the path is not one of its own. */
export function createErrorRoutes(ctx: HttpContext) {
  const { options, store } = ctx;
  const limits = options.limits;
  const limiter = new KeyedRateLimiter(limits.maxErrorsPerSecond, limits.rateWindowMs);
  const retryAfter = String(Math.max(1, Math.ceil(1 / limits.maxErrorsPerSecond)));

  function checkKey(req: IncomingMessage, query: URLSearchParams): void {
    const key = ingestKeyOf(req, query);
    if (key === undefined) {
      throw new RelayError(ErrorCode.UNAUTHORIZED, 'send the ingest key as "Authorization: Bearer <key>", "X-Sentiero-Key", or in a Sentry DSN');
    }
    if (!safeEqual(key, options.ingestKey)) throw new RelayError(ErrorCode.FORBIDDEN, 'that is not the ingest key');
  }

  function limited(req: IncomingMessage): boolean {
    return !limiter.take(req.socket.remoteAddress ?? '');
  }

  async function body(req: IncomingMessage, limit: number): Promise<Buffer> {
    const raw = await readBodyBytes(req, limit);
    return decodeBody(raw, req.headers['content-encoding'], limit);
  }

  function inputOf(value: unknown): ErrorInput {
    const checked = validateErrorReport(value, limits);
    if (!checked.ok) throw new RelayError(checked.code, checked.message);
    const r = checked.value;
    const input: ErrorInput = { name: r.name ?? 'Error', message: r.message, origin: r.origin ?? 'server', via: 'api' };
    for (const key of ['stack', 'frames', 'timestamp', 'sessionId', 'windowId', 'url', 'user', 'tags', 'release', 'environment'] as const) {
      if (r[key] !== undefined) (input as unknown as Record<string, unknown>)[key] = r[key];
    }
    return input;
  }

  async function keep(work: EnvelopeWork): Promise<void> {
    for (const replay of work.replays) await ingestOne(ctx, replay);
    for (const input of work.errors) await ctx.errors.report(input);
  }

  /** A Sentry route: every answer carries CORS and, for errors, `X-Sentry-Error`. */
  async function sentry(req: IncomingMessage, res: ServerResponse, kind: 'envelope' | 'store', query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...SENTRY_CORS, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, content-encoding, x-sentry-auth',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    try {
      if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, `POST ${kind === 'envelope' ? 'an envelope' : 'an event'} here`);
      checkKey(req, query);
      if (limited(req)) {
        sendError(res, new RelayError(ErrorCode.RATE_LIMITED, 'too many error reports; slow down'), {
          ...SENTRY_CORS, 'retry-after': retryAfter, 'x-sentry-rate-limits': `${retryAfter}::key`, 'x-sentry-error': 'rate limited',
        });
        req.resume();
        return;
      }
      const bytes = await body(req, limits.maxErrorBodyBytes);
      await ctx.ready;
      if (ctx.isClosing()) throw new RelayError(ErrorCode.SHUTTING_DOWN, 'the relay is shutting down');
      const work = kind === 'envelope'
        ? await envelopeWork(parseEnvelope(bytes), String(req.headers['user-agent'] ?? ''), limits.maxErrorBodyBytes, limits.maxEventsPerBatch)
        : storeWork(bytes);
      const track = keep(work);
      ctx.inflight.add(track);
      try {
        await track;
      } finally {
        ctx.inflight.delete(track);
      }
      sendJson(res, 200, work.id ? { id: work.id } : {}, SENTRY_CORS);
    } catch (err) {
      if (!(err instanceof RelayError)) throw err;
      req.resume();
      sendError(res, err, { ...SENTRY_CORS, 'x-sentry-error': err.message.slice(0, 200), ...(err.status === 401 ? { 'www-authenticate': 'Sentry' } : {}) });
    }
  }

  async function withKey(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, fn: () => Promise<void>): Promise<void> {
    try {
      checkKey(req, query);
    } catch (err) {
      req.resume();
      sendError(res, err as RelayError, { 'www-authenticate': 'Bearer realm="sentiero-ingest"' });
      return;
    }
    if (limited(req)) {
      req.resume();
      sendError(res, new RelayError(ErrorCode.RATE_LIMITED, 'too many error reports; slow down'), { 'retry-after': retryAfter });
      return;
    }
    await ctx.ready;
    if (ctx.isClosing()) throw new RelayError(ErrorCode.SHUTTING_DOWN, 'the relay is shutting down');
    await fn();
  }

  async function sessionErrors(id: string, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    const [session, entries] = await Promise.all([store.getSession(id), store.sessionErrors(id)]);
    if (!session && entries.length === 0) throw new RelayError(ErrorCode.NOT_FOUND, `no session ${id}`);
    const errors: SessionError[] = [];
    for (const e of entries) {
      const group = await store.getErrorGroup(e.groupId, { occurrences: 0, sessions: 0 });
      if (!group) continue;
      const { sessions: _s, occurrences: _o, ...summary } = group;
      errors.push({ sessionId: id, count: e.count, firstSeen: e.firstSeen, lastSeen: e.lastSeen, group: summary as ErrorGroup });
    }
    sendJson(res, 200, { errors }, cors);
  }

  async function listGroups(q: URLSearchParams, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    const opts: ErrorListOptions = {};
    const status = q.get('status');
    if (status) {
      if (!STATUSES.has(status)) throw new RelayError(ErrorCode.INVALID_MESSAGE, `the "status" parameter must be one of ${[...STATUSES].join(', ')}`);
      opts.status = status as ErrorListOptions['status'];
    }
    const sessionId = q.get('sessionId');
    if (sessionId) {
      if (!isValidId(sessionId)) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the "sessionId" parameter must be a session id');
      opts.sessionId = sessionId;
    }
    const text = q.get('q');
    if (text) opts.query = text.slice(0, 512);
    const limit = q.get('limit');
    if (limit) {
      const n = Number(limit);
      if (!Number.isFinite(n)) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the "limit" parameter must be a number');
      opts.limit = Math.max(1, Math.min(500, Math.floor(n)));
    }
    const cursor = q.get('cursor');
    if (cursor) opts.cursor = cursor.slice(0, 512);
    const page = await store.listErrorGroups(opts).catch((err: unknown) => { throw fromStore(err); });
    sendJson(res, 200, page, cors);
  }

  return {
    /** The ingest-key routes; false for any other path. */
    async ingest(req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams): Promise<boolean> {
      const method = req.method ?? 'GET';
      if (PROJECT_RE.test(parts[0] ?? '') && (parts[1] === 'envelope' || parts[1] === 'store') && (parts.length === 2 || (parts.length === 3 && parts[2] === ''))) {
        await sentry(req, res, parts[1], query);
        return true;
      }
      if (method === 'OPTIONS') return false;
      if (parts.length === 1 && parts[0] === 'errors' && method === 'POST') {
        await withKey(req, res, query, async () => {
          const ack = await ctx.errors.report(inputOf(json(await body(req, limits.maxErrorBodyBytes))));
          if (ack) sendJson(res, 200, ack);
          else sendJson(res, 202, { dropped: true });
        });
        return true;
      }
      if (parts.length === 1 && parts[0] === 'sourcemaps') {
        if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'POST {file, map} here');
        await withKey(req, res, query, async () => {
          const v = json(await body(req, limits.maxSourceMapBytes)) as { file?: unknown; map?: unknown } | null;
          if (typeof v !== 'object' || v === null || typeof v.file !== 'string' || !v.file || v.file.length > 2048) {
            throw new RelayError(ErrorCode.INVALID_MESSAGE, 'body.file must be the minified file\'s URL or path');
          }
          const text = typeof v.map === 'string' ? v.map : typeof v.map === 'object' && v.map !== null ? JSON.stringify(v.map) : undefined;
          if (text === undefined) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'body.map must be a source map (an object or its JSON text)');
          let file: string;
          try {
            file = await ctx.sourceMaps.upload(v.file, text);
          } catch (err) {
            if (err instanceof StoreError) throw fromStore(err);
            throw new RelayError(ErrorCode.INVALID_MESSAGE, `body.map is not a source map: ${(err as Error).message}`);
          }
          sendJson(res, 201, { file });
        });
        return true;
      }
      return false;
    },

    /** The viewer-token routes of errors; false for any other path. */
    async api(req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams, cors: Record<string, string>): Promise<boolean> {
      const method = req.method ?? 'GET';
      if (parts[0] === 'sessions' && parts.length === 3 && parts[2] === 'errors') {
        const id = pathSegment(parts[1]);
        if (!isValidId(id)) throw new RelayError(ErrorCode.NOT_FOUND, 'no such session');
        if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET a session\'s errors');
        await sessionErrors(id, res, cors);
        return true;
      }
      if (parts[0] !== 'errors') return false;
      if (parts.length === 1) {
        if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the error groups (POST a report with the ingest key)');
        await listGroups(query, res, cors);
        return true;
      }
      const id = pathSegment(parts[1]);
      if (parts.length !== 2 || !isValidId(id)) throw new RelayError(ErrorCode.NOT_FOUND, 'no such error group');
      if (method === 'GET') {
        const raw = query.get('occurrences');
        const occurrences = raw === null || raw === '' ? undefined : Math.max(0, Math.floor(Number(raw)));
        if (occurrences !== undefined && !Number.isFinite(occurrences)) throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the "occurrences" parameter must be a number');
        const group = await store.getErrorGroup(id, occurrences === undefined ? {} : { occurrences });
        if (!group) throw new RelayError(ErrorCode.NOT_FOUND, `no error group ${id}`);
        sendJson(res, 200, group, cors);
        return true;
      }
      if (method === 'PATCH') {
        requireRole(req, 'admin');
        const checked = validateErrorStatusChange(json(await readBodyBytes(req, 4096)));
        if (!checked.ok) throw new RelayError(checked.code, checked.message);
        await ctx.audit(req, AuditAction.ERROR_STATUS, `${id}:${checked.value.status}`);
        const group = await store.setErrorStatus(id, checked.value.status);
        if (!group) throw new RelayError(ErrorCode.NOT_FOUND, `no error group ${id}`);
        ctx.errors.announceGroup(group);
        sendJson(res, 200, group, cors);
        return true;
      }
      throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET or PATCH an error group');
    },
  };
}
