/** Pages: per URL, views, median time on page, exits and Web Vitals (p75, coloured good / needs improvement / poor). */
import { html } from 'htm/preact';
import { toParams } from '../../analytics/query.ts';
import { VITAL_THRESHOLDS, type VitalName, rateVital } from '../../analytics/types.ts';
import { DEFAULT_FILTERS } from '../../filters.ts';
import { formatDuration, shortUrl, urlHost } from '../../format.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { ReportState, SessionsLink, formatCount, formatPercent, useReport } from './common.ts';

/** A vital's value: `1.8 s`, `120 ms`, or CLS's unitless `0.05`. */
export function formatVital(name: VitalName, value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (name === 'CLS') return value.toFixed(2);
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

const RATING_TEXT = { good: 'Good', 'needs-improvement': 'Needs improvement', poor: 'Poor' } as const;

/** The pages view. */
export function PagesView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const params = toParams(route.query);
  const state = useReport(ctx, () => ctx.analytics.pages(params), [params.from, params.to, params.segment]);
  const pages = state.data ? [...state.data.pages].sort((a, b) => b.views - a.views) : [];
  const names = Object.keys(VITAL_THRESHOLDS) as VitalName[];
  const toHeatmap = (url: string) => ctx.navigate({ view: 'analytics', tab: 'heatmaps', query: route.query, url, kind: 'click' });
  return html`
    <div class="sv-an-pages">
      <${ReportState} state=${state} empty=${!!state.data && pages.length === 0} what="the pages" />
      ${pages.length ? html`
        <div class="sv-table sv-an-table" role="table" aria-label="Pages">
          <div class="sv-tr sv-th sv-pages-row" role="row">
            <span role="columnheader">Page</span><span role="columnheader">Views</span><span role="columnheader">Time on page</span><span role="columnheader">Exits</span>
            ${names.map((n) => html`<span role="columnheader" title=${`${n}: 75th percentile`}>${n}</span>`)}
          </div>
          ${pages.map((p) => html`
            <div class="sv-tr sv-pages-row" role="row" data-url=${p.url}>
              <span role="cell" class="sv-cell-main">
                <button type="button" class="sv-link-btn sv-url" title=${`Heatmap of ${p.url}`} onClick=${() => toHeatmap(p.url)}>${shortUrl(p.url) || '(no URL)'}</button>
                <span class="sv-host">${urlHost(p.url)}</span>
              </span>
              <span role="cell" data-col="views"><${SessionsLink} ctx=${ctx} sessions=${p.sessionIds} total=${p.sessions} label=${`Viewed ${p.url}`}
                route=${params.segment ? undefined : { view: 'list', filters: { ...DEFAULT_FILTERS, url: p.url, from: params.from, to: params.to } }}>${formatCount(p.views)}<//></span>
              <span role="cell" class="sv-num" data-col="time">${formatDuration(p.medianTimeMs)}</span>
              <span role="cell" class="sv-num" data-col="exits">${formatCount(p.exits)} <span class="sv-muted">${formatPercent(p.exitRate)}</span></span>
              ${names.map((n) => {
                const v = p.vitals?.[n];
                if (!v) return html`<span role="cell" class="sv-muted" data-vital=${n}>—</span>`;
                const r = rateVital(n, v.p75);
                return html`<span role="cell" data-vital=${n} data-rating=${r}><span class=${`sv-vital is-${r}`} title=${`${n} p75: ${RATING_TEXT[r]} (${v.good} good, ${v.needsImprovement} needs improvement, ${v.poor} poor)`}>${formatVital(n, v.p75)}</span></span>`;
              })}
            </div>`)}
        </div>
        <p class="sv-an-note">Vitals are the 75th percentile of the page's loads; <span class="sv-vital is-good">good</span> <span class="sv-vital is-needs-improvement">needs improvement</span> <span class="sv-vital is-poor">poor</span> by the web.dev thresholds. A page's name opens its heatmap.</p>` : ''}
    </div>`;
}
