/**
 * The viewer's routes and their text form, the same in every host: `#/sessions` (the list,
 * with its filters in the query), `#/sessions/<id>?t=<ms>&w=<windowId>` (one session at a
 * moment, `t` in ms from the session's start), `#/errors?status=…&q=…` (the error groups) and
 * `#/errors/<groupId>` (one group). Hosts keep it in `location.hash`, a VS Code
 * webview's state, or nowhere.
 */
import { DEFAULT_ERROR_FILTERS, type ErrorFilters, ErrorStatusFilter } from './errors.ts';
import { DEFAULT_FILTERS, type ListFilters, TimeRange, type TimeRangeKey } from './filters.ts';

/** The session list. */
export interface ListRoute {
  view: 'list';
  filters: ListFilters;
}

/** One session, optionally at a moment and in a window (tab). */
export interface SessionRoute {
  view: 'session';
  sessionId: string;
  /** ms from the session's start. */
  t?: number;
  windowId?: string;
}

/** The error groups, with their filters. */
export interface ErrorsRoute {
  view: 'errors';
  filters: ErrorFilters;
}

/** One error group. */
export interface ErrorGroupRoute {
  view: 'error';
  groupId: string;
}

/** Where the viewer is. */
export type Route = ListRoute | SessionRoute | ErrorsRoute | ErrorGroupRoute;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses a route from its text (`#/sessions/…`, with or without `#`); anything unknown is the list. */
export function parseRoute(text: string): Route {
  const raw = text.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q >= 0 ? raw.slice(0, q) : raw).replace(/\/+$/, '');
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const decode = (x: string) => {
    try {
      return decodeURIComponent(x);
    } catch {
      return ''; // malformed escape: not an id
    }
  };
  const g = /^\/errors(?:\/([^/]+))?$/.exec(path);
  if (g) {
    if (g[1] !== undefined) {
      const id = decode(g[1]);
      if (ID.test(id)) return { view: 'error', groupId: id };
    }
    const filters: ErrorFilters = { ...DEFAULT_ERROR_FILTERS };
    const status = query.get('status');
    if (status && (Object.values(ErrorStatusFilter) as string[]).includes(status)) filters.status = status as ErrorStatusFilter;
    filters.q = (query.get('q') ?? '').slice(0, 512);
    return { view: 'errors', filters };
  }
  const m = /^\/sessions\/([^/]+)$/.exec(path);
  if (m) {
    const id = decode(m[1]!);
    if (ID.test(id)) {
      const route: SessionRoute = { view: 'session', sessionId: id };
      const t = Number(query.get('t'));
      if (query.get('t') !== null && Number.isFinite(t) && t >= 0) route.t = Math.floor(t);
      const w = query.get('w');
      if (w && ID.test(w)) route.windowId = w;
      return route;
    }
  }
  const filters: ListFilters = { ...DEFAULT_FILTERS };
  const range = query.get('range');
  if (range && range in TimeRange) filters.range = range as TimeRangeKey;
  filters.url = (query.get('url') ?? '').slice(0, 512);
  filters.errorsOnly = query.get('errors') === '1';
  filters.liveOnly = query.get('live') === '1';
  const min = Number(query.get('min'));
  if (Number.isFinite(min) && min > 0) filters.minDurationMs = Math.floor(min);
  filters.user = (query.get('user') ?? '').slice(0, 256);
  return { view: 'list', filters };
}

/** The text form of a route, starting with `#`. */
export function formatRoute(route: Route): string {
  const q = new URLSearchParams();
  if (route.view === 'error') return `#/errors/${encodeURIComponent(route.groupId)}`;
  if (route.view === 'errors') {
    if (route.filters.status !== DEFAULT_ERROR_FILTERS.status) q.set('status', route.filters.status);
    if (route.filters.q.trim()) q.set('q', route.filters.q.trim());
    const qs = q.toString();
    return `#/errors${qs ? `?${qs}` : ''}`;
  }
  if (route.view === 'session') {
    if (route.t !== undefined) q.set('t', String(Math.max(0, Math.floor(route.t))));
    if (route.windowId) q.set('w', route.windowId);
    const qs = q.toString();
    return `#/sessions/${encodeURIComponent(route.sessionId)}${qs ? `?${qs}` : ''}`;
  }
  const f = route.filters;
  if (f.range !== DEFAULT_FILTERS.range) q.set('range', f.range);
  if (f.url.trim()) q.set('url', f.url.trim());
  if (f.errorsOnly) q.set('errors', '1');
  if (f.liveOnly) q.set('live', '1');
  if (f.minDurationMs > 0) q.set('min', String(f.minDurationMs));
  if (f.user.trim()) q.set('user', f.user.trim());
  const qs = q.toString();
  return `#/sessions${qs ? `?${qs}` : ''}`;
}

/** The dashboard's deep link to a session at a moment: `<relayUrl>/#/sessions/<id>?t=<ms>`. */
export function deepLink(relayUrl: string, sessionId: string, t?: number, windowId?: string): string {
  const route: SessionRoute = { view: 'session', sessionId };
  if (t !== undefined) route.t = t;
  if (windowId) route.windowId = windowId;
  return `${relayUrl.replace(/\/+$/, '')}/${formatRoute(route)}`;
}
