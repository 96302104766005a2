/**
 * Heatmaps: where people clicked on a page, or how far down they scrolled, drawn over a replayed
 * snapshot of that page (the newest session that visited it, paused where the page was shown),
 * scaled so that the relay's page coordinates land on the replayed page.
 */
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import simpleheat from 'simpleheat';
import { toParams } from '../../analytics/query.ts';
import { type PageSnapshot, findPageMoment, measurePage, renderPageSnapshot } from '../../analytics/snapshot.ts';
import type { HeatmapAnswer } from '../../analytics/types.ts';
import type { AnalyticsRoute, Route } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { ReportState, SessionsLink, formatCount, formatPercent, useReport } from './common.ts';
import { PagePicker } from './page-picker.ts';

/** The tallest page drawn, in CSS pixels (a canvas has a size limit; deeper clicks are cut off). */
export const MAX_PAGE_HEIGHT = 16_000;
/** The page's size when neither the relay nor a replay can tell it. */
export const FALLBACK_SIZE = { width: 1280, height: 3000 } as const;
/** The radius of one click's heat on the page, in CSS pixels (before scaling). */
export const HEAT_RADIUS = 24;

/** The heatmaps view. */
export function HeatmapsView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const params = toParams(route.query);
  const kind = route.kind ?? 'click';
  const url = route.url;
  const state = useReport<HeatmapAnswer | undefined>(ctx, () => (url ? ctx.analytics.heatmap({ ...params, url, kind }) : Promise.resolve(undefined)),
    [params.from, params.to, params.segment, url, kind]);
  const r = state.data;
  return html`
    <div class="sv-an-heatmaps">
      <div class="sv-an-toolbar">
        <${PagePicker} ctx=${ctx} route=${route} label="Page" />
        <span class="sv-seg" role="group" aria-label="Heatmap kind">
          ${(['click', 'scroll'] as const).map((k) => html`<button type="button" class=${`sv-chip ${kind === k ? 'is-on' : ''}`} data-kind=${k}
            onClick=${() => ctx.navigate({ ...route, kind: k })}>${k === 'click' ? 'Clicks' : 'Scroll depth'}</button>`)}
        </span>
        ${r ? html`<span class="sv-an-totals">
          ${kind === 'click' ? html`<span data-total="clicks"><b>${formatCount(r.pointCount)}</b> clicks</span>` : ''}
          <span data-total="sessions"><${SessionsLink} ctx=${ctx} sessions=${r.sessionIds} total=${r.sessions} label=${`Visited ${r.url}`} find=${{ kind: 'page', url: r.url }}>${formatCount(r.sessions)}<//> sessions</span>
        </span>` : ''}
      </div>
      ${!url ? html`<div class="sv-empty"><strong>Pick a page.</strong><span>Its heatmap is drawn over a replay of the page as a visitor saw it.</span></div>`
        : html`<${ReportState} state=${state} empty=${!!r && r.sessions === 0} what="the heatmap" />`}
      ${r && r.sessions ? html`<${HeatStage} key=${`${ctx.generation}:${r.url}:${kind}`} ctx=${ctx} report=${r} kind=${kind} />` : ''}
    </div>`;
}

type Phase = { t: 'loading' } | { t: 'ready'; sessionId: string; route: Route } | { t: 'none' } | { t: 'failed'; message: string };

function HeatStage({ ctx, report, kind }: { ctx: ViewerContext; report: HeatmapAnswer; kind: 'click' | 'scroll' }) {
  const box = useRef<HTMLDivElement>(null);
  const page = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [phase, setPhase] = useState<Phase>({ t: 'loading' });
  const [scale, setScale] = useState(0);
  // The relay gives the page's size from its clicks; without clicks (a scroll map) it is measured on the replayed page.
  const known = report.page.width > 0 && report.page.height > 0;
  const [size, setSize] = useState(known ? report.page : undefined);
  const width = Math.max(1, size?.width ?? FALLBACK_SIZE.width);
  const height = Math.max(1, Math.min(MAX_PAGE_HEIGHT, size?.height ?? FALLBACK_SIZE.height));

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const fit = () => setScale(Math.min(1, el.clientWidth / width));
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, [width]);

  // The snapshot: the newest session that has the page, paused where it was shown.
  useEffect(() => {
    let snap: PageSnapshot | undefined;
    let cancelled = false;
    (async () => {
      for (const sessionId of report.sessionIds.slice(0, 5)) {
        const moment = await findPageMoment(ctx.client, sessionId, report.url);
        if (cancelled) return;
        if (!moment || !page.current) continue;
        let full = known ? report.page : undefined;
        if (!full) {
          full = measurePage(page.current, moment);
          setSize(full);
        }
        snap = renderPageSnapshot(page.current, moment, { width: full.width, height: Math.min(MAX_PAGE_HEIGHT, full.height) });
        const summary = await ctx.client.getSession(sessionId).catch(() => undefined);
        if (cancelled) return;
        const t = summary ? Math.max(0, moment.at - summary.startedAt) : undefined;
        setPhase({ t: 'ready', sessionId, route: { view: 'session', sessionId, windowId: moment.windowId, ...(t !== undefined ? { t } : {}) } });
        return;
      }
      if (!known) setSize(FALLBACK_SIZE);
      setPhase({ t: 'none' });
    })().catch((err: unknown) => { if (!cancelled) setPhase({ t: 'failed', message: err instanceof Error ? err.message : String(err) }); });
    return () => {
      cancelled = true;
      snap?.destroy();
    };
  }, [report]);

  // The heat, redrawn when the scale changes.
  useEffect(() => {
    const c = canvas.current;
    if (!c || !scale) return;
    c.width = Math.round(width * scale);
    c.height = Math.round(height * scale);
    if (kind === 'click') drawClicks(c, report, scale);
    else drawScroll(c, report, scale);
    c.dataset.drawn = 'true';
  }, [report, kind, scale, width, height]);

  return html`
    <div class="sv-heat" ref=${box} data-phase=${phase.t} data-scale=${scale.toFixed(4)}>
      <div class="sv-heat-note">
        ${phase.t === 'loading' ? 'Replaying the page…'
          : phase.t === 'ready' ? html`Drawn over session <button type="button" class="sv-link-btn" data-replay=${phase.sessionId} onClick=${() => ctx.navigate(phase.route)}>${phase.sessionId}</button> as the page was shown.`
          : phase.t === 'none' ? 'No stored session of this page has its snapshot any more: the heat is drawn on a blank page.'
          : `The page could not be replayed: ${phase.message}`}
      </div>
      <div class="sv-heat-frame" style=${{ width: `${Math.round(width * scale)}px`, height: `${Math.round(height * scale)}px` }}>
        <div class="sv-heat-page" ref=${page} style=${{ width: `${width}px`, height: `${height}px`, transform: `scale(${scale})` }}></div>
        <canvas class="sv-heat-canvas" ref=${canvas} aria-label=${kind === 'click' ? 'Click heatmap' : 'Scroll map'} role="img"></canvas>
      </div>
    </div>`;
}

/**
 * The value that draws as full heat: the most clicks within one radius of each other (on a grid
 * of radius-sized cells), so the busiest spot is red whether there are ten clicks or ten thousand.
 */
export function heatMax(points: ReadonlyArray<{ x: number; y: number }>, radius: number): number {
  const cells = new Map<string, number>();
  let max = 1;
  for (const p of points) {
    const key = `${Math.floor(p.x / radius)}:${Math.floor(p.y / radius)}`;
    const n = (cells.get(key) ?? 0) + 1;
    cells.set(key, n);
    if (n > max) max = n;
  }
  return max;
}

/** Clicks as heat, each point at its page coordinates times `scale`. */
function drawClicks(c: HTMLCanvasElement, r: HeatmapAnswer, scale: number): void {
  const radius = Math.max(6, HEAT_RADIUS * scale);
  new simpleheat(c)
    .data(r.points.map((p) => [p.x * scale, p.y * scale, 1] as [number, number, number]))
    .max(heatMax(r.points, HEAT_RADIUS))
    .radius(radius, radius * 0.75)
    .draw(0.08);
}

/** The share of the page's views that scrolled at least to `depth` (0–1), between the relay's 10 % steps. */
export function reachedShare(r: HeatmapAnswer, depth: number): number {
  const steps = [...r.scroll].sort((a, b) => a.depth - b.depth);
  if (!steps.length) return 0;
  let prev = steps[0]!;
  if (depth <= prev.depth) return prev.share;
  for (const s of steps) {
    if (s.depth >= depth) return prev.share + ((s.share - prev.share) * (depth - prev.depth)) / Math.max(1e-9, s.depth - prev.depth);
    prev = s;
  }
  return prev.share;
}

/** The scroll map: bands hot where most sessions reached, cold where few did, with 75 / 50 / 25 % lines. */
function drawScroll(c: HTMLCanvasElement, r: HeatmapAnswer, scale: number): void {
  const g = c.getContext('2d')!;
  g.clearRect(0, 0, c.width, c.height);
  const band = Math.max(2, Math.round(10 * scale));
  for (let y = 0; y < c.height; y += band) {
    const share = reachedShare(r, y / c.height);
    g.fillStyle = `hsla(${Math.round(240 * (1 - share))}, 90%, 50%, 0.42)`;
    g.fillRect(0, y, c.width, band);
  }
  g.font = '600 12px system-ui, sans-serif';
  for (const mark of [0.75, 0.5, 0.25]) {
    let y = 0;
    while (y < c.height && reachedShare(r, y / c.height) >= mark) y += 1;
    if (y >= c.height) continue;
    g.fillStyle = 'rgba(15, 23, 42, 0.85)';
    g.fillRect(0, y, c.width, 1);
    const text = `${formatPercent(mark)} of views reached here`;
    g.fillRect(8, y - 18, g.measureText(text).width + 12, 18);
    g.fillStyle = '#fff';
    g.fillText(text, 14, y - 5);
  }
}
