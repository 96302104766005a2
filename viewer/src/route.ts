/**
 * The viewer's routes and their text form, the same in every host: `#/sessions` (the list,
 * with its filters in the query), `#/sessions/<id>?t=<ms>&w=<windowId>` (one session at a
 * moment, `t` in ms from the session's start), `#/errors?status=…&q=…` (the error groups),
 * `#/errors/<groupId>` (one group), `#/analytics/<view>?from=…&to=…&segment=…` (an analytics
 * view) and `#/analytics/sessions?ids=…&label=…` (the sessions behind a number). Hosts keep it
 * in `location.hash`, a VS Code webview's state, or nowhere.
 */
import { type AnalyticsQuery, AnalyticsTab, type AnalyticsTabKey, HEATMAP_KINDS, formatSteps, parseSteps, readQuery, writeQuery } from './analytics/query.ts';
import { type MomentHint, formatHint, parseHint } from './analytics/moment.ts';
import type { FunnelStep, HeatmapAnswer } from './analytics/types.ts';

type HeatmapKind = HeatmapAnswer['kind'];
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

/** One analytics view, with the date range and segment it reads. */
export interface AnalyticsRoute {
  view: 'analytics';
  tab: AnalyticsTabKey;
  query: AnalyticsQuery;
  /** Heatmaps and forms: the page (URL). */
  url?: string;
  /** Heatmaps: click or scroll. */
  kind?: HeatmapKind;
  /** Funnels: the ordered steps. */
  steps?: FunnelStep[];
}

/** A session behind an analytics number, optionally at the moment (ms from its start) to replay. */
export interface PickedSession {
  id: string;
  t?: number;
}

/** The sessions behind an analytics number. */
export interface PickedRoute {
  view: 'picked';
  sessions: PickedSession[];
  /** What the number was (recorded content: shown as text). */
  label: string;
  /** What the number counted, so that a session opens at its first moment. */
  find?: MomentHint;
}

/** Where the viewer is. */
export type Route = ListRoute | SessionRoute | ErrorsRoute | ErrorGroupRoute | AnalyticsRoute | PickedRoute;

/** How many sessions a `#/analytics/sessions` route carries. */
export const MAX_PICKED = 100;

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
  if (path === '/analytics/sessions') {
    const sessions: PickedSession[] = [];
    for (const part of (query.get('ids') ?? '').split(',').slice(0, MAX_PICKED)) {
      const [id, at] = part.split('@');
      if (!id || !ID.test(id)) continue;
      const t = Number(at);
      sessions.push(at !== undefined && Number.isFinite(t) && t >= 0 ? { id, t: Math.floor(t) } : { id });
    }
    const picked: PickedRoute = { view: 'picked', sessions, label: (query.get('label') ?? '').slice(0, 512) };
    const find = parseHint(query.get('find'));
    if (find) picked.find = find;
    return picked;
  }
  const a = /^\/analytics(?:\/([a-z]+))?$/.exec(path);
  if (a) {
    const tab = (a[1] && a[1] in AnalyticsTab ? a[1] : 'overview') as AnalyticsTabKey;
    const route: AnalyticsRoute = { view: 'analytics', tab, query: readQuery(query, Date.now()) };
    const url = query.get('url');
    if (url) route.url = url.slice(0, 2048);
    const kind = query.get('kind');
    if (kind && (HEATMAP_KINDS as readonly string[]).includes(kind)) route.kind = kind as HeatmapKind;
    const steps = query.get('steps');
    if (steps) route.steps = parseSteps(steps);
    return route;
  }
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
  for (const key of ['from', 'to'] as const) {
    const v = Number(query.get(key));
    if (query.get(key) !== null && Number.isFinite(v) && v >= 0) filters[key] = Math.floor(v);
  }
  return { view: 'list', filters };
}

/** The text form of a route, starting with `#`. */
export function formatRoute(route: Route): string {
  const q = new URLSearchParams();
  if (route.view === 'error') return `#/errors/${encodeURIComponent(route.groupId)}`;
  if (route.view === 'picked') {
    q.set('ids', route.sessions.slice(0, MAX_PICKED).map((s) => (s.t === undefined ? s.id : `${s.id}@${Math.floor(s.t)}`)).join(','));
    if (route.label) q.set('label', route.label);
    if (route.find) q.set('find', formatHint(route.find));
    return `#/analytics/sessions?${q.toString()}`;
  }
  if (route.view === 'analytics') {
    writeQuery(route.query, q);
    if (route.url) q.set('url', route.url);
    if (route.kind) q.set('kind', route.kind);
    if (route.steps?.length) q.set('steps', formatSteps(route.steps));
    return `#/analytics/${route.tab}?${q.toString()}`;
  }
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
  if (f.from !== undefined) q.set('from', String(f.from));
  if (f.to !== undefined) q.set('to', String(f.to));
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
