/**
 * The errors view's pure logic: its filters (status, text) and how they become REST queries,
 * which groups match them (for the live feed), keeping a list of groups current, the frames
 * of a stack as the view shows them, and the moment a "Replay the moment" link opens.
 */
import { type ErrorFrame, type ErrorGroup, type ErrorGroupFilters, type ErrorStatus, frameFunction } from '@sentiero/protocol';

/** The status filter of the errors view. `unresolved` also shows `regressed` groups (they are open again). */
export const ErrorStatusFilter = {
  UNRESOLVED: 'unresolved',
  REGRESSED: 'regressed',
  RESOLVED: 'resolved',
  IGNORED: 'ignored',
  ALL: 'all',
} as const;

/** One of the status filters. */
export type ErrorStatusFilter = (typeof ErrorStatusFilter)[keyof typeof ErrorStatusFilter];

/** Filters of the errors view, kept in its route. */
export interface ErrorFilters {
  status: ErrorStatusFilter;
  /** Text in the type, message or culprit (case-insensitive). */
  q: string;
}

/** The default: open groups, any text. */
export const DEFAULT_ERROR_FILTERS: ErrorFilters = { status: 'unresolved', q: '' };

/** How far before an error "Replay the moment" starts, so that what led to it shows. */
export const REPLAY_LEAD_MS = 3000;

/** Page size of the errors list. */
export const ERROR_PAGE_SIZE = 100;

/** Whether the filters differ from the defaults. */
export function isErrorFiltered(f: ErrorFilters): boolean {
  return f.status !== DEFAULT_ERROR_FILTERS.status || f.q.trim() !== '';
}

/** The statuses a filter shows. */
export function statusesOf(filter: ErrorStatusFilter): ErrorStatus[] | undefined {
  if (filter === 'all') return undefined;
  if (filter === 'unresolved') return ['unresolved', 'regressed'];
  return [filter];
}

/**
 * The REST queries (`listErrorGroups`) that together give the groups of the filters: one per
 * status (the relay filters by one status at a time), or one for all.
 */
export function toErrorQueries(f: ErrorFilters, limit = ERROR_PAGE_SIZE): ErrorGroupFilters[] {
  const q = f.q.trim();
  const base: ErrorGroupFilters = { limit, ...(q ? { q } : {}) };
  const statuses = statusesOf(f.status);
  return statuses ? statuses.map((status) => ({ ...base, status })) : [base];
}

/** Whether a group (from the live feed) belongs in a list with these filters; the text test is the relay's (type, message, culprit). */
export function matchesErrorFilters(g: ErrorGroup, f: ErrorFilters): boolean {
  const statuses = statusesOf(f.status);
  if (statuses && !statuses.includes(g.status)) return false;
  const q = f.q.trim().toLowerCase();
  if (!q) return true;
  const c = g.culprit;
  const hay = [g.name, g.message, c?.function, c?.file, c?.original?.file, c?.original?.name, c?.original?.function];
  return hay.some((x) => typeof x === 'string' && x.toLowerCase().includes(q));
}

/** Most recently seen first (then by id, so that the order is stable). */
export function sortGroups(list: ErrorGroup[]): ErrorGroup[] {
  return list.sort((a, b) => b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * A list of groups after the feed told about `g`: replaced in place (and re-sorted), added when
 * it now matches, removed when it no longer does. `complete` says whether the list holds every
 * matching group (no more pages): a group older than the last row of an incomplete list is left
 * for "Load more".
 */
export function upsertGroup(list: readonly ErrorGroup[], g: ErrorGroup, f: ErrorFilters, complete: boolean): ErrorGroup[] {
  const others = list.filter((x) => x.id !== g.id);
  const known = others.length !== list.length;
  if (!matchesErrorFilters(g, f)) return known ? others : (list as ErrorGroup[]);
  if (!known && !complete && list.length && g.lastSeen < list[list.length - 1]!.lastSeen) return list as ErrorGroup[];
  return sortGroups([...others, g]);
}

/** Merges pages of groups (several queries), without duplicates, most recently seen first. */
export function mergeGroups(...lists: ReadonlyArray<readonly ErrorGroup[]>): ErrorGroup[] {
  const byId = new Map<string, ErrorGroup>();
  for (const list of lists) for (const g of list) byId.set(g.id, g);
  return sortGroups([...byId.values()]);
}

/** A stack frame as the errors view shows it: the original position when a source map gave one, and the running one. */
export interface FrameView {
  fn: string;
  /** `src/cart.ts:3:15` (original) or the running file's position. */
  location: string;
  /** The running file's position when the original one is shown, e.g. `https://app/assets/app.min.js:1:1234`. */
  generated?: string;
  inApp: boolean;
  mapped: boolean;
  /** What the host's `open-source` message gets; undefined when the frame has no file or line. */
  open?: { url: string; line: number; column?: number; fn?: string };
}

const pos = (file: string | undefined, line?: number, column?: number) =>
  file ? `${file}${line ? `:${line}${column ? `:${column}` : ''}` : ''}` : '';

/** The frames of an occurrence as the view shows them, innermost first. */
export function frameViews(frames: readonly ErrorFrame[]): FrameView[] {
  return frames.map((f) => {
    const o = f.original;
    const fnName = frameFunction(f);
    const fn = fnName || '(anonymous)';
    const running = pos(f.file, f.line, f.column);
    const v: FrameView = { fn, location: o ? pos(o.file, o.line, o.column) : running || '(unknown location)', inApp: f.inApp, mapped: !!o };
    if (o && running) v.generated = running;
    if (o) v.open = { url: o.file, line: o.line, column: o.column, ...(fnName ? { fn: fnName } : {}) };
    else if (f.file && f.line) v.open = { url: f.file, line: f.line, ...(f.column ? { column: f.column } : {}), ...(fnName ? { fn: fnName } : {}) };
    return v;
  });
}

/** The `t` (ms from the session's start) of "Replay the moment": a few seconds before the error, never before the start. */
export function replayMoment(errorAt: number, sessionStartedAt: number, leadMs = REPLAY_LEAD_MS): number {
  return Math.max(0, Math.floor(errorAt - sessionStartedAt - leadMs));
}

/** The label of a status. */
export const STATUS_LABELS: Record<ErrorStatus, string> = { unresolved: 'Unresolved', regressed: 'Regressed', resolved: 'Resolved', ignored: 'Ignored' };
