/**
 * The one core of the framework integrations: report an error raised while handling a
 * request, linked to the recorded session that made it (the `X-Sentiero-Session` header a
 * recorder with `linkRequests` adds). The adapters beside this file only map a framework's
 * objects onto it.
 */
import type { IncomingMessage } from 'node:http';
import { SESSION_HEADER, isValidId, type ErrorUser } from '@sentiero/protocol';

/** What an integration reports an error with (the relay's capture, with `via: 'middleware'`). */
export type RequestErrorCapture = (err: unknown, context: RequestErrorContext) => void;

/** What an integration knows about the request an error came from. */
export interface RequestErrorContext {
  sessionId?: string;
  url?: string;
  user?: ErrorUser;
  tags?: Record<string, string>;
}

/** Options of every framework integration. */
export interface RequestErrorOptions {
  /** Which errors to report. Default: those without an HTTP status, or with one of 500 or more (not 4xx). */
  shouldReport?(err: unknown): boolean;
  /** The user a request is made by, if the app knows it. */
  user?(req: IncomingMessage): ErrorUser | undefined;
}

/** An error's HTTP status, as http-errors, Koa, Fastify and Express set it. */
function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const s = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The default of `shouldReport`: server errors, not client errors. */
export function isServerError(err: unknown): boolean {
  const status = statusOf(err);
  return status === undefined || status >= 500;
}

/** The recorded session a request came from, if its `X-Sentiero-Session` header names one. */
export function sessionOf(req: IncomingMessage): string | undefined {
  const v = req.headers[SESSION_HEADER.toLowerCase()];
  const id = Array.isArray(v) ? v[0] : v;
  return isValidId(id) ? id : undefined;
}

/** Reports `err` raised while handling `req`; never throws. */
export function reportRequestError(capture: RequestErrorCapture, err: unknown, req: IncomingMessage, options: RequestErrorOptions = {}): void {
  try {
    if (!(options.shouldReport ?? isServerError)(err)) return;
    const context: RequestErrorContext = { tags: {} };
    const sessionId = sessionOf(req);
    if (sessionId) context.sessionId = sessionId;
    const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
    if (url) context.url = url.split('?')[0];
    if (req.method) context.tags!['http.method'] = req.method;
    const status = statusOf(err);
    if (status !== undefined) context.tags!['http.status'] = String(status);
    const user = options.user?.(req);
    if (user) context.user = user;
    capture(err, context);
  } catch { /* reporting must never break the app's error handling */ }
}
