/** The session list's filters: their defaults, the REST query they become, and the check applied to live feed updates. */
import type { SessionFilters, SessionSummary } from '@sentiero/protocol';

/** Time ranges offered by the list, with their length in ms (`all` has none). */
export const TimeRange = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  all: 0,
} as const;

/** One of the time range keys. */
export type TimeRangeKey = keyof typeof TimeRange;

/** The filters a user sets on the session list. */
export interface ListFilters {
  /** Sessions active within this range, counted back from now. */
  range: TimeRangeKey;
  /** Only sessions one of whose pages contains this text (case-insensitive). */
  url: string;
  /** Only sessions with at least one error. */
  errorsOnly: boolean;
  /** Only sessions being recorded now. */
  liveOnly: boolean;
  /** Only sessions at least this long, in ms (0 for any). */
  minDurationMs: number;
  /** Only sessions in which the page identified this user ('' for any). */
  user: string;
  /** An exact window (ms since epoch) instead of `range`: sessions active between `from` and `to` (an analytics number's sessions). */
  from?: number;
  to?: number;
}

/** The filters of a fresh list: everything from all time. */
export const DEFAULT_FILTERS: Readonly<ListFilters> = Object.freeze({ range: 'all', url: '', errorsOnly: false, liveOnly: false, minDurationMs: 0, user: '' });

/** Minimum durations offered by the list, in ms. */
export const MIN_DURATIONS = [0, 10_000, 60_000, 300_000] as const;

/** Page size of the list. */
export const PAGE_SIZE = 50;

/** The REST query (`listSessions`) for the filters, at time `now`, for the page after `cursor`. */
export function toQuery(f: ListFilters, now: number, cursor?: string, limit = PAGE_SIZE): SessionFilters {
  const q: SessionFilters = { limit };
  const span = TimeRange[f.range];
  if (span) q.from = now - span;
  if (f.from !== undefined) q.from = f.from;
  if (f.to !== undefined) q.to = f.to;
  const url = f.url.trim();
  if (url) q.url = url;
  if (f.errorsOnly) q.hasErrors = true;
  if (f.liveOnly) q.live = true;
  if (f.minDurationMs > 0) q.minDuration = f.minDurationMs;
  const user = f.user.trim();
  if (user) q.user = user;
  if (cursor) q.cursor = cursor;
  return q;
}

/** Whether a session (from the live feed) belongs in a list with these filters, at time `now`. */
export function matchesFilters(s: SessionSummary, f: ListFilters, now: number): boolean {
  const span = TimeRange[f.range];
  if (span && s.lastEventAt < now - span) return false;
  if (f.from !== undefined && s.lastEventAt < f.from) return false;
  if (f.to !== undefined && s.startedAt > f.to) return false;
  const url = f.url.trim().toLowerCase();
  if (url && ![s.url, ...(s.pages ?? [])].some((p) => p.toLowerCase().includes(url))) return false;
  if (f.errorsOnly && !(s.errorCount > 0)) return false;
  if (f.liveOnly && !s.live) return false;
  if (f.minDurationMs > 0 && s.lastEventAt - s.startedAt < f.minDurationMs) return false;
  if (f.user.trim() && s.userId !== f.user.trim()) return false;
  return true;
}

/** Whether any filter differs from the default. */
export function isFiltered(f: ListFilters): boolean {
  return f.range !== DEFAULT_FILTERS.range || f.url.trim() !== '' || f.errorsOnly || f.liveOnly || f.minDurationMs > 0 || f.user.trim() !== '' || f.from !== undefined || f.to !== undefined;
}
