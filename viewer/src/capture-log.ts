/**
 * The Console and Network panes' data: `sentiero/console@1` and `sentiero/network@1` events read
 * into entries (incrementally, as batches stream in), repeats folded into a count, filters, the
 * entry at a moment, and the server errors that belong to a request. Everything in an entry is
 * the recorded page's and untrusted: the panes show it as text only. Pure, no DOM.
 */
import { ConsoleLevel, CustomTag, EventType, NetworkInitiator, type ConsolePayload, type NetworkPayload, type RecordedEvent } from '@sentiero/protocol';
import { type Marker, MarkerKind } from './markers.ts';

/** One console message in the pane. */
export interface ConsoleEntry {
  /** Unique within the session (window and position). */
  id: string;
  windowId: string;
  /** When it was logged (ms since epoch). */
  timestamp: number;
  level: ConsoleLevel;
  args: string[];
  /** How many times it was logged in a row (1 when once). */
  count: number;
  stack?: string;
  /** Messages the recorder dropped just before it (the page logged too fast). */
  dropped?: number;
}

/** One request in the pane: placed at its start. */
export interface NetworkEntry extends Omit<NetworkPayload, 'startedAt'> {
  id: string;
  windowId: string;
  /** When the request started (ms since epoch). */
  timestamp: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const LEVELS = new Set<string>(Object.values(ConsoleLevel));
const TYPES = new Set<string>(Object.values(NetworkInitiator));
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return Object.keys(out).length ? out : undefined;
}

/** A console payload as recorded, checked field by field (a malformed one gives `undefined`). */
export function readConsole(p: unknown): ConsolePayload | undefined {
  if (!isObj(p) || !LEVELS.has(p.level as string) || !Array.isArray(p.args)) return undefined;
  const out: ConsolePayload = { level: p.level as ConsoleLevel, args: p.args.map((a) => (typeof a === 'string' ? a : String(a))) };
  const count = num(p.count);
  if (count !== undefined && count > 0) out.count = count;
  const stack = text(p.stack);
  if (stack) out.stack = stack;
  const dropped = num(p.dropped);
  if (dropped) out.dropped = dropped;
  return out;
}

/** A network payload as recorded, checked field by field (a malformed one gives `undefined`). */
export function readNetwork(p: unknown): NetworkPayload | undefined {
  if (!isObj(p) || !TYPES.has(p.type as string) || typeof p.url !== 'string') return undefined;
  const out: NetworkPayload = {
    type: p.type as NetworkPayload['type'], method: text(p.method) ?? 'GET', url: p.url, status: num(p.status) ?? 0,
    startedAt: num(p.startedAt) ?? 0, durationMs: Math.max(0, num(p.durationMs) ?? 0),
  };
  for (const k of ['requestSize', 'responseSize'] as const) {
    const v = num(p[k]);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['error', 'contentType', 'requestBody', 'responseBody'] as const) {
    const v = text(p[k]);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['failed', 'aborted', 'bodyTruncated'] as const) if (p[k] === true) out[k] = true;
  for (const k of ['requestHeaders', 'responseHeaders'] as const) {
    const v = stringRecord(p[k]);
    if (v) out[k] = v;
  }
  return out;
}

/** Whether a request went wrong: no answer, or an HTTP error status (an abort is the page's own doing). */
export function isFailedRequest(p: Pick<NetworkPayload, 'failed' | 'aborted' | 'status' | 'type'>): boolean {
  return !p.aborted && (p.failed === true || p.status >= 400);
}

/** Reads one window's console and network events, incrementally: feed it events in time order. */
export class CaptureReader {
  private n = 0;
  private lastConsole: ConsoleEntry | undefined;

  constructor(readonly windowId: string) {}

  /** Reads events; returns the new entries, and the console entries whose count grew (already returned before). */
  read(events: readonly RecordedEvent[]): { console: ConsoleEntry[]; network: NetworkEntry[]; grown: ConsoleEntry[] } {
    const out = { console: [] as ConsoleEntry[], network: [] as NetworkEntry[], grown: [] as ConsoleEntry[] };
    for (const e of events) {
      if (e.type !== EventType.Custom || !isObj(e.data)) continue;
      const tag = e.data.tag;
      if (tag === CustomTag.CONSOLE) {
        const p = readConsole(e.data.payload);
        if (!p) continue;
        const prev = this.lastConsole;
        if (p.count && prev && prev.level === p.level && prev.stack === p.stack && prev.args.length === p.args.length && prev.args.every((a, i) => a === p.args[i])) {
          prev.count += p.count;
          if (!out.console.includes(prev) && !out.grown.includes(prev)) out.grown.push(prev);
          continue;
        }
        const entry: ConsoleEntry = { id: `${this.windowId}:${this.n++}`, windowId: this.windowId, timestamp: e.timestamp, level: p.level, args: p.args, count: 1 + (p.count ?? 0) };
        if (p.stack) entry.stack = p.stack;
        if (p.dropped) entry.dropped = p.dropped;
        this.lastConsole = entry;
        out.console.push(entry);
      } else if (tag === CustomTag.NETWORK) {
        const p = readNetwork(e.data.payload);
        if (!p) continue;
        const { startedAt, ...rest } = p;
        out.network.push({ ...rest, id: `${this.windowId}:${this.n++}`, windowId: this.windowId, timestamp: startedAt || e.timestamp });
      }
    }
    return out;
  }
}

/** Inserts entries into a time-ordered list, keeping the order (new entries mostly come last). */
export function mergeByTime<T extends { timestamp: number }>(into: readonly T[], add: readonly T[]): T[] {
  if (!add.length) return into as T[];
  const out = into.slice();
  for (const x of add) {
    let i = out.length;
    while (i > 0 && out[i - 1]!.timestamp > x.timestamp) i--;
    out.splice(i, 0, x);
  }
  return out;
}

/** The index of the last entry at or before `timestamp` (entries in time order), or -1. */
export function indexAt(entries: readonly { timestamp: number }[], timestamp: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.timestamp <= timestamp) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** What the Console pane shows. */
export interface ConsoleFilter {
  /** Levels shown (all when empty). */
  levels: ReadonlySet<ConsoleLevel>;
  /** Text searched in the arguments (case-insensitive). */
  text: string;
}

/** The entries the filter lets through. */
export function filterConsole(entries: readonly ConsoleEntry[], f: ConsoleFilter): ConsoleEntry[] {
  const q = f.text.trim().toLowerCase();
  return entries.filter((e) => (!f.levels.size || f.levels.has(e.level)) && (!q || e.args.some((a) => a.toLowerCase().includes(q))));
}

/** The status classes the Network pane filters by. */
export const StatusFilter = { ALL: 'all', FAILED: 'failed', OK: '2xx', REDIRECT: '3xx', CLIENT: '4xx', SERVER: '5xx' } as const;

/** One of the status filters. */
export type StatusFilter = (typeof StatusFilter)[keyof typeof StatusFilter];

/** What the Network pane shows. */
export interface NetworkFilter {
  status: StatusFilter;
  /** Initiator types shown (all when empty). */
  types: ReadonlySet<NetworkEntry['type']>;
  /** Text searched in the method and URL (case-insensitive). */
  text: string;
}

function statusMatches(e: NetworkEntry, s: StatusFilter): boolean {
  switch (s) {
    case StatusFilter.ALL: return true;
    case StatusFilter.FAILED: return isFailedRequest(e);
    case StatusFilter.OK: return e.status >= 200 && e.status < 300 || e.status === 101;
    case StatusFilter.REDIRECT: return e.status >= 300 && e.status < 400;
    case StatusFilter.CLIENT: return e.status >= 400 && e.status < 500;
    case StatusFilter.SERVER: return e.status >= 500;
  }
}

/** The entries the filter lets through. */
export function filterNetwork(entries: readonly NetworkEntry[], f: NetworkFilter): NetworkEntry[] {
  const q = f.text.trim().toLowerCase();
  return entries.filter((e) => statusMatches(e, f.status) && (!f.types.size || f.types.has(e.type)) && (!q || `${e.method} ${e.url}`.toLowerCase().includes(q)));
}

/** How far apart (ms) the browser's and the server's clocks may be for a server error to belong to a request. */
const LINK_SLACK_MS = 2000;

/** The server errors (markers with `origin: 'server'` and a `url`) reported while a request was in flight, for the same path. */
export function serverErrorsOf(e: NetworkEntry, markers: readonly Marker[]): Marker[] {
  let path: string;
  try {
    path = new URL(e.url).pathname;
  } catch {
    return [];
  }
  return markers.filter((m) => {
    if (m.origin !== 'server' || !m.url) return false;
    let mp: string;
    try {
      mp = new URL(m.url, e.url).pathname;
    } catch {
      return false;
    }
    return mp === path && m.timestamp >= e.timestamp - LINK_SLACK_MS && m.timestamp <= e.timestamp + e.durationMs + LINK_SLACK_MS;
  });
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const clipLabel = (s: string, max = 160): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The path and query of a URL, or the text itself. */
function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

/**
 * The timeline marker of a console or network event: console errors and failed assertions,
 * and failed requests, are error markers; other console and network events are none (`null`).
 * `undefined` for any other tag.
 */
export function captureMarker(tag: unknown, payload: unknown, base: { timestamp: number; windowId: string }): Marker | null | undefined {
  if (tag === CustomTag.CONSOLE) {
    const p = readConsole(payload);
    if (!p || (p.level !== ConsoleLevel.ERROR && p.level !== ConsoleLevel.ASSERT) || p.count) return null;
    const what = p.level === ConsoleLevel.ASSERT ? 'Assertion failed' : 'Console error';
    const m: Marker = { ...base, kind: MarkerKind.ERROR, label: clipLabel(squash(`${what}: ${p.args.join(' ')}`)) };
    const detail = [p.args.join(' '), p.stack ?? ''].filter(Boolean).join('\n');
    if (detail) m.detail = detail.slice(0, 4000);
    return m;
  }
  if (tag === CustomTag.NETWORK) {
    const p = readNetwork(payload);
    if (!p || !isFailedRequest(p)) return null;
    const outcome = p.failed ? `failed${p.error ? ` (${p.error})` : ''}` : `→ ${p.status}`;
    return { timestamp: p.startedAt || base.timestamp, windowId: base.windowId, kind: MarkerKind.ERROR, label: clipLabel(squash(`${p.method} ${pathOf(p.url)} ${outcome}`)), detail: p.url };
  }
  return undefined;
}
