/**
 * What the analytics views share: the date range (UTC days, inclusive, as the relay counts its
 * sessions per day) and the segment, their route text (`from=2026-12-01&to=2026-12-07&segment=<id>`) and the
 * time window they read.
 */
import type { AnalyticsParams } from './api.ts';
import type { FunnelStep, HeatmapAnswer } from './types.ts';

/** The analytics views, in the order of their tabs. */
export const AnalyticsTab = {
  overview: 'Overview',
  pages: 'Pages',
  heatmaps: 'Heatmaps',
  forms: 'Forms',
  funnels: 'Funnels',
  frustration: 'Frustration',
  segments: 'Segments',
} as const;

/** One of the analytics views. */
export type AnalyticsTabKey = keyof typeof AnalyticsTab;

/** The date range and segment the views read. */
export interface AnalyticsQuery {
  /** First day, `YYYY-MM-DD`. */
  from: string;
  /** Last day (inclusive), `YYYY-MM-DD`. */
  to: string;
  /** A saved segment's id, or empty for every session. */
  segment: string;
}

/** The days a fresh analytics view shows: the last 7, today included. */
export const DEFAULT_DAYS = 7;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** One day in ms. */
export const DAY_MS = 86_400_000;

/** The UTC day (`YYYY-MM-DD`) of a time. */
export function dayOf(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** The UTC midnight that starts `day`, or NaN when it is not a day. */
export function startOfDay(day: string): number {
  return DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
}

/** The last `days` days up to `now`, today included. */
export function lastDays(days: number, now: number): AnalyticsQuery {
  const to = dayOf(now);
  return { from: dayOf(startOfDay(to) - (days - 1) * DAY_MS), to, segment: '' };
}

/** The time window (`from` inclusive, `to` the last millisecond of the last day) and segment of a query. */
export function toParams(q: AnalyticsQuery): Required<Pick<AnalyticsParams, 'from' | 'to'>> & AnalyticsParams {
  return { from: startOfDay(q.from), to: startOfDay(q.to) + DAY_MS - 1, ...(q.segment ? { segment: q.segment } : {}) };
}

/** The query in a route's parameters, falling back to the last 7 days for what is missing or wrong. */
export function readQuery(params: URLSearchParams, now: number): AnalyticsQuery {
  const d = lastDays(DEFAULT_DAYS, now);
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const ok = DAY.test(from) && DAY.test(to) && Number.isFinite(startOfDay(from)) && startOfDay(from) <= startOfDay(to);
  const segment = params.get('segment') ?? '';
  return { from: ok ? from : d.from, to: ok ? to : d.to, segment: /^[A-Za-z0-9_-]{1,64}$/.test(segment) ? segment : '' };
}

/** Writes the query into a route's parameters. */
export function writeQuery(q: AnalyticsQuery, params: URLSearchParams): void {
  params.set('from', q.from);
  params.set('to', q.to);
  if (q.segment) params.set('segment', q.segment);
}

/** Parses funnel steps from their route text: `url:/pricing|event:signup` (each part URI-encoded). */
export function parseSteps(text: string): FunnelStep[] {
  const steps: FunnelStep[] = [];
  for (const part of text.split('|').slice(0, 10)) {
    const m = /^(url|event):(.+)$/.exec(part);
    if (!m) continue;
    let value: string;
    try {
      value = decodeURIComponent(m[2]!).slice(0, 512);
    } catch {
      continue;
    }
    steps.push(m[1] === 'url' ? { url: value } : { event: value });
  }
  return steps;
}

/** The route text of funnel steps. */
export function formatSteps(steps: readonly FunnelStep[]): string {
  return steps.map((s) => ('url' in s ? `url:${encodeURIComponent(s.url)}` : `event:${encodeURIComponent(s.event)}`)).join('|');
}

/** The heatmap kinds, by route text. */
export const HEATMAP_KINDS: ReadonlyArray<HeatmapAnswer['kind']> = ['click', 'scroll'];
