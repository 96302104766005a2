/**
 * The analytics routes (viewer token): `GET <base>/api/analytics/overview|pages|frustration|
 * heatmap|forms`, `POST <base>/api/analytics/funnel`, and saved segments under
 * `<base>/api/segments`. Answers come from the digest index (analytics/query.ts); bad
 * parameters are `SENTIERO_INVALID_QUERY` (400). Documented in docs/analytics.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ErrorCode, createId, isValidId, parseJson, validateFunnelRequest, validateSegmentInput, type Segment, type SegmentFilter,
} from '@sentiero/protocol';
import { pageUrl } from './analytics/derive.ts';
import { type QueryScope, forms, frustration, funnel, heatmap, overview, pages } from './analytics/query.ts';
import type { Analytics } from './analytics/service.ts';
import { readBodyBytes } from './body.ts';
import { RelayError } from './errors.ts';
import { type HttpContext, pathSegment, sendJson } from './respond.ts';

/** The largest body of a funnel or segment request. */
const MAX_BODY_BYTES = 64 * 1024;
/** At most this many saved segments. */
const MAX_SEGMENTS = 1000;

/** The analytics answers under `<base>/api/analytics/`. */
const ANALYTICS = new Set(['overview', 'pages', 'frustration', 'heatmap', 'forms', 'funnel']);

const invalid = (message: string): RelayError => new RelayError(ErrorCode.INVALID_QUERY, message);

/** A time parameter: ms since epoch, or a date `Date.parse` reads (`2026-12-01`, ISO 8601). */
function time(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw invalid(`the "${key}" parameter must be a time: ms since epoch or an ISO 8601 date`);
  return n;
}

function range(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from > to) throw invalid('"from" must not be after "to"');
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const parsed = parseJson((await readBodyBytes(req, MAX_BODY_BYTES)).toString('utf8'));
  if (!parsed.ok) throw new RelayError(parsed.code, parsed.message);
  return parsed.value;
}

/** Creates the analytics routes; `api` returns false when the path is not one of its own. */
export function createAnalyticsRoutes(ctx: HttpContext) {
  const { store } = ctx;

  const analyticsOf = async (): Promise<Analytics> => {
    const analytics = ctx.analytics;
    if (!analytics) throw new RelayError(ErrorCode.NOT_FOUND, 'analytics is turned off on this relay (the "analytics" option)');
    await analytics.ready;
    return analytics;
  };

  const segmentFilter = (analytics: Analytics, id: string | null | undefined): SegmentFilter | undefined => {
    if (id === null || id === undefined || id === '') return undefined;
    const segment = isValidId(id) ? analytics.segments.get(id) : undefined;
    if (!segment) throw invalid(`there is no segment ${JSON.stringify(id.slice(0, 80))}`);
    return segment.filter;
  };

  const scopeOf = (analytics: Analytics, q: URLSearchParams): QueryScope => {
    const from = time(q, 'from');
    const to = time(q, 'to');
    range(from, to);
    return { from, to, filter: segmentFilter(analytics, q.get('segment')) };
  };

  const urlOf = (q: URLSearchParams, required: boolean): string | undefined => {
    const url = q.get('url');
    if (url === null || url === '') {
      if (required) throw invalid('the "url" parameter is required: the page, as its origin and path');
      return undefined;
    }
    return pageUrl(url);
  };

  async function analyticsRoute(name: string, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, cors: Record<string, string>): Promise<void> {
    const method = req.method ?? 'GET';
    if (!ANALYTICS.has(name)) throw new RelayError(ErrorCode.NOT_FOUND, `no analytics ${JSON.stringify(name.slice(0, 80))}`);
    const analytics = await analyticsOf();
    if (name === 'funnel') {
      if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'POST a funnel: { steps: [{ url } | { event }], from?, to?, withinMs? }');
      const checked = validateFunnelRequest(await jsonBody(req));
      if (!checked.ok) throw new RelayError(checked.code, checked.message);
      const f = checked.value;
      range(f.from, f.to);
      const scope = { from: f.from, to: f.to, filter: segmentFilter(analytics, f.segment) };
      return sendJson(res, 200, funnel(analytics.index, scope, f.steps, f.withinMs), cors);
    }
    if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, `GET ${name}`);
    const scope = scopeOf(analytics, q);
    switch (name) {
      case 'overview': return sendJson(res, 200, overview(analytics.index, scope), cors);
      case 'pages': return sendJson(res, 200, pages(analytics.index, scope), cors);
      case 'frustration': return sendJson(res, 200, frustration(analytics.index, scope), cors);
      case 'forms': return sendJson(res, 200, forms(analytics.index, scope, urlOf(q, false)), cors);
      default: {
        const kind = q.get('kind') ?? 'click';
        if (kind !== 'click' && kind !== 'scroll') throw invalid('the "kind" parameter must be "click" or "scroll"');
        return sendJson(res, 200, heatmap(analytics.index, scope, urlOf(q, true) as string, kind), cors);
      }
    }
  }

  async function segmentRoute(parts: string[], req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    const method = req.method ?? 'GET';
    const analytics = await analyticsOf();
    if (parts.length === 1) {
      if (method === 'GET') return sendJson(res, 200, { segments: [...analytics.segments.values()].sort((a, b) => a.createdAt - b.createdAt) }, cors);
      if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the segments or POST one');
      const checked = validateSegmentInput(await jsonBody(req));
      if (!checked.ok) throw new RelayError(checked.code, checked.message);
      if (analytics.segments.size >= MAX_SEGMENTS) throw invalid(`at most ${MAX_SEGMENTS} segments can be saved`);
      const now = Date.now();
      const segment: Segment = { id: createId(now), ...checked.value, createdAt: now, updatedAt: now };
      await store.putSegment(segment);
      analytics.segments.set(segment.id, segment);
      return sendJson(res, 201, segment, cors);
    }
    const id = pathSegment(parts[1]);
    const found = parts.length === 2 && isValidId(id) ? analytics.segments.get(id) : undefined;
    if (!found) throw new RelayError(ErrorCode.NOT_FOUND, 'no such segment');
    if (method === 'GET') return sendJson(res, 200, found, cors);
    if (method === 'PUT') {
      const checked = validateSegmentInput(await jsonBody(req));
      if (!checked.ok) throw new RelayError(checked.code, checked.message);
      const segment: Segment = { ...found, ...checked.value, updatedAt: Date.now() };
      await store.putSegment(segment);
      analytics.segments.set(id, segment);
      return sendJson(res, 200, segment, cors);
    }
    if (method === 'DELETE') {
      await store.deleteSegment(id);
      analytics.segments.delete(id);
      res.writeHead(204, cors);
      res.end();
      return;
    }
    throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET, PUT or DELETE a segment');
  }

  return {
    /** The viewer-token routes of analytics and segments; false for any other path. */
    async api(req: IncomingMessage, res: ServerResponse, parts: string[], query: URLSearchParams, cors: Record<string, string>): Promise<boolean> {
      if (parts[0] === 'analytics' && parts.length === 2) {
        await analyticsRoute(parts[1], req, res, query, cors);
        return true;
      }
      if (parts[0] === 'segments' && parts.length <= 2) {
        await segmentRoute(parts, req, res, cors);
        return true;
      }
      return false;
    },
  };
}
