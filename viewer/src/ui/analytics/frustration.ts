/** Frustration: rage, dead and error clicks by element (label, selector, page), each count opening the sessions it came from. */
import { html } from 'htm/preact';
import { toParams } from '../../analytics/query.ts';
import type { FrustrationTarget } from '../../analytics/types.ts';
import { clip, shortUrl } from '../../format.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { ReportState, SessionsLink, formatCount, useReport } from './common.ts';

const KINDS = [
  ['rageClicks', 'Rage clicks', 'Several quick clicks on the same element.'],
  ['deadClicks', 'Dead clicks', 'Clicks after which nothing changed on the page.'],
  ['errorClicks', 'Error clicks', 'Clicks followed by an error.'],
] as const;

/** The frustration view. */
export function FrustrationView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const params = toParams(route.query);
  const state = useReport(ctx, () => ctx.analytics.frustration(params), [params.from, params.to, params.segment]);
  const r = state.data;
  const empty = !!r && KINDS.every(([k]) => !r[k]?.length);
  return html`
    <div class="sv-an-frustration">
      <${ReportState} state=${state} empty=${empty} what="the frustration signals" />
      ${r && !empty ? KINDS.map(([key, title, hint]) => html`
        <div class="sv-panel" data-kind=${key}>
          <h2 class="sv-h2">${title} <span class="sv-muted sv-h2-hint">${hint}</span></h2>
          <${Items} ctx=${ctx} items=${r[key] ?? []} title=${title} route=${route} />
        </div>`) : ''}
    </div>`;
}

function Items({ ctx, items, title, route }: { ctx: ViewerContext; items: FrustrationTarget[]; title: string; route: AnalyticsRoute }) {
  if (!items.length) return html`<div class="sv-empty-small">None in this range.</div>`;
  return html`<div class="sv-table sv-an-table" role="table" aria-label=${title}>
    <div class="sv-tr sv-th sv-fr-row" role="row"><span role="columnheader">Element</span><span role="columnheader">Page</span><span role="columnheader">Clicks</span><span role="columnheader">Sessions</span></div>
    ${[...items].sort((a, b) => b.count - a.count).map((it) => html`
      <div class="sv-tr sv-fr-row" role="row" data-selector=${it.selector}>
        <span role="cell" class="sv-cell-main"><span class="sv-strong" title=${it.label}>${clip(it.label || '(no label)', 80)}</span><code class="sv-selector" title=${it.selector}>${clip(it.selector, 120)}</code></span>
        <span role="cell"><button type="button" class="sv-link-btn sv-url" title=${`Heatmap of ${it.url}`}
          onClick=${() => ctx.navigate({ view: 'analytics', tab: 'heatmaps', query: route.query, url: it.url, kind: 'click' })}>${shortUrl(it.url)}</button></span>
        <span role="cell" data-col="count"><${SessionsLink} ctx=${ctx} sessions=${it.sessions} total=${it.sessionCount} label=${`${title} on ${it.label || it.selector}`} find=${{ kind: 'click', selector: it.selector }}>${formatCount(it.count)}<//></span>
        <span role="cell" data-col="sessions"><${SessionsLink} ctx=${ctx} sessions=${it.sessions} total=${it.sessionCount} label=${`${title} on ${it.label || it.selector}`} find=${{ kind: 'click', selector: it.selector }}>${formatCount(it.sessionCount)}<//></span>
      </div>`)}
  </div>`;
}
